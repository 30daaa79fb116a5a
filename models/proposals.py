"""Project proposals, from a partner's first idea to an approved and funded project."""
from peewee import (
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel
from models.grant import FinancialYear


class Proposal(BaseModel):
    year = ForeignKeyField(FinancialYear, backref="proposals")
    number = IntegerField()  # 7 in CRG-2024/25-007, counted per partnership year
    pot = CharField()  # "upfront" or "tactical"
    status = CharField(index=True)
    title = TextField()
    lead_organisation = TextField()
    contact_name = TextField()
    contact_slack_id = CharField(default="")
    proposer_slack_id = CharField(index=True)
    description = TextField(default="")
    priorities = TextField(default="[]")  # JSON list of priority names
    amount_pence = BigIntegerField()  # requested
    approved_pence = BigIntegerField(null=True)  # what the PCC approved (after any variation)
    planned_start = DateField(null=True)
    planned_end = DateField(null=True)
    planned_spend = TextField(default="{}")  # JSON {"Q1": pence, ...}
    # A Slack view id or similar: the same submission arriving twice makes one proposal.
    submission_key = CharField(null=True, unique=True)
    decision_note = TextField(default="")  # last reason given (decline, changes asked for)
    wg_decided_at = DateTimeField(null=True)
    opcc_submitted_on = DateField(null=True)
    pcc_decided_at = DateTimeField(null=True)
    post_channel = CharField(default="")  # where the working-group post of it lives
    post_ts = CharField(default="")
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("year", "number"), True),)
