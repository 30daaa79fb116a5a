"""Progress reports of funded projects and the per-partnership options table.

The tables as they were at version 3, frozen here (see `models.migrations.frozen`).
"""
from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from models.migrations.frozen import FrozenModel, create


class Partnership(FrozenModel):  # made by m0001
    pass


class Proposal(FrozenModel):  # made by m0001
    pass


class ProgressReport(FrozenModel):
    proposal = ForeignKeyField(Proposal, backref="progress_reports")
    reported_on = DateField()
    period = CharField()
    narrative = TextField()
    outputs = TextField(default="")
    rag = CharField()
    reporter = CharField()
    created_at = DateTimeField()

    class Meta:
        indexes = ((("proposal", "reported_on"), False),)


class PartnershipOption(FrozenModel):
    partnership = ForeignKeyField(Partnership, unique=True, backref="options")
    leads_record_spend = BooleanField(default=False)
    updated_by = CharField()
    updated_at = DateTimeField()


def upgrade(database, migrator):
    create(database, [ProgressReport, PartnershipOption], referenced=[Partnership, Proposal])
