"""Working-group meetings and their agendas.

The tables as they were at version 4, frozen here (see `models.migrations.frozen`).
"""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from models.migrations.frozen import FrozenModel, create


class FinancialYear(FrozenModel):  # made by m0001
    pass


class Proposal(FrozenModel):  # made by m0001
    pass


class Meeting(FrozenModel):
    year = ForeignKeyField(FinancialYear, backref="meetings")
    title = TextField()
    held_at = DateTimeField()
    cutoff_at = DateTimeField()
    status = CharField(default="scheduled")
    created_by = CharField()
    created_at = DateTimeField()
    agenda_posted_at = DateTimeField(null=True)


class AgendaItem(FrozenModel):
    meeting = ForeignKeyField(Meeting, backref="items")
    proposal = ForeignKeyField(Proposal, backref="agenda_items")
    position = IntegerField()
    post_channel = CharField(default="")
    post_ts = CharField(default="")

    class Meta:
        indexes = ((("meeting", "proposal"), True),)


def upgrade(database, migrator):
    create(database, [Meeting, AgendaItem], referenced=[FinancialYear, Proposal])
