"""Spend profiles set by admins (re-profiling), and each partnership's margin for "behind".

A project's first profile is its proposal's planned spend by quarter (`Proposal.planned_spend`),
so only re-profiles need rows here. They are only ever added: the newest row is the profile in
force and the older ones are its history, kept as the OPCC agreed them.
"""
from peewee import (
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel
from models.grant import Partnership
from models.proposals import Proposal


class SpendProfile(BaseModel):
    """An approved project's planned spend by quarter, as an admin re-profiled it."""

    proposal = ForeignKeyField(Proposal, backref="spend_profiles")
    q1_pence = BigIntegerField()
    q2_pence = BigIntegerField()
    q3_pence = BigIntegerField()
    q4_pence = BigIntegerField()
    reason = TextField()
    set_by = CharField()
    set_at = DateTimeField()

    class Meta:
        indexes = ((("proposal", "set_at"), False),)


class ForecastSettings(BaseModel):
    """When a project counts as behind its profile, per partnership. No row means the defaults."""

    partnership = ForeignKeyField(Partnership, unique=True, backref="forecast_settings")
    behind_percent = IntegerField()  # of the spend planned to date
    behind_minimum_pence = BigIntegerField()
    updated_by = CharField()
    updated_at = DateTimeField()
