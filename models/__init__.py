"""Persistence only: the peewee tables and the database handle they bind to. No rules here."""
from models.audit import AuditRecord, SchemaVersion
from models.base import BaseModel, database
from models.grant import Channel, FinancialYear, Partnership, Pot, Priority
from models.ledger import LedgerEntry
from models.people import Member
from models.proposals import Proposal

__all__ = [
    "AuditRecord", "BaseModel", "Channel", "FinancialYear", "LedgerEntry", "Member",
    "Partnership", "Pot", "Priority", "Proposal", "SchemaVersion", "database",
]
