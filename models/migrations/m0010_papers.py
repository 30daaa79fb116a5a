"""The papers a partnership owes: its paper settings (chair, deputy, template, measures), the
measures of each progress report, and closed years.

The tables as they were at version 10, frozen here (see `models.migrations.frozen`).
"""
from peewee import (
    BigIntegerField,
    BlobField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.migrations.frozen import FrozenModel, create


class Partnership(FrozenModel):  # made by m0001
    pass


class FinancialYear(FrozenModel):  # made by m0001
    pass


class ProgressReport(FrozenModel):  # made by m0003
    pass


class PaperSettings(FrozenModel):
    partnership = ForeignKeyField(Partnership, unique=True, backref="paper_settings")
    chair = TextField(default="")
    deputy_chair = TextField(default="")
    classification = CharField(default="For Information")
    template = BlobField(null=True)
    template_name = CharField(default="")
    measures = TextField(default="[]")
    explain_behind_percent = IntegerField(null=True)
    updated_by = CharField()
    updated_at = DateTimeField()


class ReportMeasures(FrozenModel):
    report = ForeignKeyField(ProgressReport, unique=True, backref="measures")
    values = TextField(default="{}")
    explanation = TextField(default="")


class YearClosure(FrozenModel):
    year = ForeignKeyField(FinancialYear, unique=True, backref="closure")
    closed_at = DateTimeField()
    closed_by = CharField()
    underspend_pence = BigIntegerField()


def upgrade(database, migrator):
    create(database, [PaperSettings, ReportMeasures, YearClosure],
           referenced=[Partnership, FinancialYear, ProgressReport])
