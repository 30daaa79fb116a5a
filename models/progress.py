"""Progress reports of funded projects, and per-partnership options for who may record what."""
from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from models.base import BaseModel
from models.grant import Partnership
from models.proposals import Proposal


class ProgressReport(BaseModel):
    """One report from a project's lead: kept with its date, never edited (a new one supersedes)."""

    proposal = ForeignKeyField(Proposal, backref="progress_reports")
    reported_on = DateField()
    period = CharField()  # "2024/25 Q2", or whatever period the partnership reports on
    narrative = TextField()
    outputs = TextField(default="")  # "2 of 6 sessions delivered, 80+ attendees"
    rag = CharField()  # "red", "amber" or "green"
    reporter = CharField()
    created_at = DateTimeField()

    class Meta:
        indexes = ((("proposal", "reported_on"), False),)


class PartnershipOption(BaseModel):
    """Choices a partnership makes about its own process: one row each, made on first use.

    A table of its own so that adding an option never alters the partnership table.
    """

    partnership = ForeignKeyField(Partnership, unique=True, backref="options")
    leads_record_spend = BooleanField(default=False)
    updated_by = CharField()
    updated_at = DateTimeField()
