"""Partnerships, their financial years and the two pots of each year.

Money columns are BigIntegerField pence: never float, on either database. A pot has no balance
column on purpose: its state is always summed from the ledger, so it cannot drift.
"""
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from models.base import BaseModel


class Partnership(BaseModel):
    name = CharField(unique=True)
    created_at = DateTimeField()


class Channel(BaseModel):
    """A Slack channel that belongs to one partnership; one of them is its working-group channel."""

    partnership = ForeignKeyField(Partnership, backref="channels")
    slack_channel_id = CharField(unique=True)
    is_working_group = BooleanField(default=False)


class FinancialYear(BaseModel):
    partnership = ForeignKeyField(Partnership, backref="years")
    start_year = IntegerField()  # 2024 for 2024/25 (1 April 2024 - 31 March 2025)
    label = CharField()
    allocation_pence = BigIntegerField()
    upfront_pence = BigIntegerField()
    tactical_pence = BigIntegerField()
    # The grant conditions in force when the year was opened (e.g. "2/3 upfront, rounded down
    # to the pound"): kept because the conditions change from year to year.
    split_rule = CharField()
    opened_at = DateTimeField()
    upfront_cutoff_at = DateTimeField(null=True)
    rolled_over_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("partnership", "start_year"), True),)


class Priority(BaseModel):
    """A Community Safety Agreement priority for one year: data, because it is refreshed yearly."""

    year = ForeignKeyField(FinancialYear, backref="priorities")
    name = CharField()
    position = IntegerField()

    class Meta:
        indexes = ((("year", "name"), True),)


class Pot(BaseModel):
    year = ForeignKeyField(FinancialYear, backref="pots")
    kind = CharField()  # "upfront" or "tactical"

    class Meta:
        indexes = ((("year", "kind"), True),)

