"""The first schema: partnerships, years, pots, ledger, proposals, members and the audit trail.

The tables as they were at version 1, frozen here (see `models.migrations.frozen`).
"""
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.migrations.frozen import FrozenModel, create


class Partnership(FrozenModel):
    name = CharField(unique=True)
    created_at = DateTimeField()


class Channel(FrozenModel):
    partnership = ForeignKeyField(Partnership, backref="channels")
    slack_channel_id = CharField(unique=True)
    is_working_group = BooleanField(default=False)


class FinancialYear(FrozenModel):
    partnership = ForeignKeyField(Partnership, backref="years")
    start_year = IntegerField()
    label = CharField()
    allocation_pence = BigIntegerField()
    upfront_pence = BigIntegerField()
    tactical_pence = BigIntegerField()
    split_rule = CharField()
    opened_at = DateTimeField()
    upfront_cutoff_at = DateTimeField(null=True)
    rolled_over_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("partnership", "start_year"), True),)


class Priority(FrozenModel):
    year = ForeignKeyField(FinancialYear, backref="priorities")
    name = CharField()
    position = IntegerField()

    class Meta:
        indexes = ((("year", "name"), True),)


class Pot(FrozenModel):
    year = ForeignKeyField(FinancialYear, backref="pots")
    kind = CharField()

    class Meta:
        indexes = ((("year", "kind"), True),)


class Proposal(FrozenModel):
    year = ForeignKeyField(FinancialYear, backref="proposals")
    number = IntegerField()
    pot = CharField()
    status = CharField(index=True)
    title = TextField()
    lead_organisation = TextField()
    contact_name = TextField()
    contact_slack_id = CharField(default="")
    proposer_slack_id = CharField(index=True)
    description = TextField(default="")
    priorities = TextField(default="[]")
    amount_pence = BigIntegerField()
    approved_pence = BigIntegerField(null=True)
    planned_start = DateField(null=True)
    planned_end = DateField(null=True)
    planned_spend = TextField(default="{}")
    submission_key = CharField(null=True, unique=True)
    decision_note = TextField(default="")
    wg_decided_at = DateTimeField(null=True)
    opcc_submitted_on = DateField(null=True)
    pcc_decided_at = DateTimeField(null=True)
    post_channel = CharField(default="")
    post_ts = CharField(default="")
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("year", "number"), True),)


class LedgerEntry(FrozenModel):
    pot = ForeignKeyField(Pot, backref="entries")
    kind = CharField(index=True)
    amount_pence = BigIntegerField()
    proposal = ForeignKeyField(Proposal, null=True, backref="entries")
    occurred_on = DateField(null=True)
    memo = TextField(default="")
    reference = CharField(default="")
    reverses = ForeignKeyField("self", null=True, backref="reversals")
    actor = CharField()
    created_at = DateTimeField()


class Member(FrozenModel):
    partnership = ForeignKeyField(Partnership, backref="members")
    slack_user_id = CharField(index=True)
    role = CharField()
    granted_by = CharField()
    granted_at = DateTimeField()

    class Meta:
        indexes = ((("partnership", "slack_user_id"), True),)


class AuditRecord(FrozenModel):
    at = DateTimeField(index=True)
    actor = CharField()
    action = CharField()
    entity = CharField()
    entity_id = IntegerField()
    partnership_id = IntegerField(null=True, index=True)
    before = TextField(default="{}")
    after = TextField(default="{}")

    class Meta:
        indexes = ((("entity", "entity_id"), False),)


TABLES = [Partnership, Channel, FinancialYear, Priority, Pot, Proposal, LedgerEntry, Member,
          AuditRecord]


def upgrade(database, migrator):
    create(database, TABLES)
