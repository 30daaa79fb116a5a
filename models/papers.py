"""What the papers a partnership owes need beyond the ledger: who signs them, its own Word
template, which progress measures it counts, the measures of each report, and closed years."""
from peewee import (
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel, BytesField
from models.grant import FinancialYear, Partnership
from models.progress import ProgressReport


class PaperSettings(BaseModel):
    """A partnership's choices for its papers and returns. No row means the defaults."""

    partnership = ForeignKeyField(Partnership, unique=True, backref="paper_settings")
    chair = TextField(default="")  # the Working Group's chair, as the paper names them
    deputy_chair = TextField(default="")
    classification = CharField(default="For Information")
    template = BytesField(null=True)  # its own .docx (logo, house style); None: the default
    template_name = CharField(default="")
    measures = TextField(default="[]")  # JSON list of the measures its reports count
    # spend this far behind its planned profile needs a reason; None: never required
    explain_behind_percent = IntegerField(null=True)
    updated_by = CharField()
    updated_at = DateTimeField()


class ReportMeasures(BaseModel):
    """The structured numbers beside one progress report's narrative, and why spend is behind.

    A table of its own so that the reports recorded before it keep working unchanged.
    """

    report = ForeignKeyField(ProgressReport, unique=True, backref="measures")
    values = TextField(default="{}")  # JSON {"sessions delivered": 2, ...}
    explanation = TextField(default="")  # required when spend is behind by the set percentage


class YearClosure(BaseModel):
    """A financial year closed after its year-end return: only reversals may follow."""

    year = ForeignKeyField(FinancialYear, unique=True, backref="closure")
    closed_at = DateTimeField()
    closed_by = CharField()
    underspend_pence = BigIntegerField()  # handed back to the OPCC, as the return said
