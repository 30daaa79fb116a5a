"""The append-only ledger every pot's state is summed from."""
from peewee import BigIntegerField, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from models.base import BaseModel
from models.grant import Pot
from models.proposals import Proposal


class LedgerEntry(BaseModel):
    """One movement of money. Rows are only ever added; a correction is a new, reversing row."""

    pot = ForeignKeyField(Pot, backref="entries")
    kind = CharField(index=True)
    amount_pence = BigIntegerField()  # always positive; `kind` says which way it moves
    proposal = ForeignKeyField(Proposal, null=True, backref="entries")
    occurred_on = DateField(null=True)  # for spend: the day it was spent
    memo = TextField(default="")
    reference = CharField(default="")  # invoice/claim reference, or the OPCC's consent
    reverses = ForeignKeyField("self", null=True, backref="reversals")
    actor = CharField()
    created_at = DateTimeField()
