"""Working-group meetings and the proposals on their agendas."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from models.base import BaseModel
from models.grant import FinancialYear
from models.proposals import Proposal


class Meeting(BaseModel):
    year = ForeignKeyField(FinancialYear, backref="meetings")
    title = TextField()
    held_at = DateTimeField()  # naive UTC
    cutoff_at = DateTimeField()  # upfront proposals submitted by then are on its agenda
    status = CharField(default="scheduled")  # scheduled or cancelled
    created_by = CharField()
    created_at = DateTimeField()
    agenda_posted_at = DateTimeField(null=True)


class AgendaItem(BaseModel):
    """A proposal's decision post for one meeting, so it can be kept current."""

    meeting = ForeignKeyField(Meeting, backref="items")
    proposal = ForeignKeyField(Proposal, backref="agenda_items")
    position = IntegerField()
    post_channel = CharField(default="")
    post_ts = CharField(default="")

    class Meta:
        indexes = ((("meeting", "proposal"), True),)
