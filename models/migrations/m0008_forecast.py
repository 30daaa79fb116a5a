"""Re-profiled spend of approved projects, and each partnership's margin for "behind profile".

The tables as they were at version 8, frozen here (see `models.migrations.frozen`).
"""
from peewee import (
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.migrations.frozen import FrozenModel, create


class Partnership(FrozenModel):  # made by m0001
    pass


class Proposal(FrozenModel):  # made by m0001
    pass


class SpendProfile(FrozenModel):
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


class ForecastSettings(FrozenModel):
    partnership = ForeignKeyField(Partnership, unique=True, backref="forecast_settings")
    behind_percent = IntegerField()
    behind_minimum_pence = BigIntegerField()
    updated_by = CharField()
    updated_at = DateTimeField()


def upgrade(database, migrator):
    create(database, [SpendProfile, ForecastSettings], referenced=[Partnership, Proposal])
