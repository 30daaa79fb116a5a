"""The first schema: partnerships, years, pots, ledger, proposals, members and the audit trail."""
from models import (
    AuditRecord,
    Channel,
    FinancialYear,
    LedgerEntry,
    Member,
    Partnership,
    Pot,
    Priority,
    Proposal,
)

TABLES = [Partnership, Channel, FinancialYear, Priority, Pot, Proposal, LedgerEntry, Member,
          AuditRecord]


def upgrade(database, migrator):
    database.create_tables(TABLES, safe=False)
