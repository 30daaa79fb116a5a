"""The grant's conditions, claims for money with their evidence, and each partnership's finance
channel.

A claim's evidence is kept here as bytes (with its SHA-256), not only as a link into Slack: the
tracker must still hold the receipt after a Slack file is deleted or the workspace changes plan.
"""
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel, BytesField
from models.grant import Partnership
from models.ledger import LedgerEntry
from models.proposals import Proposal


class ConditionTemplate(BaseModel):
    """One of a partnership's usual grant conditions: attached to each project it approves."""

    partnership = ForeignKeyField(Partnership, backref="condition_templates")
    title = CharField()
    explanation = TextField(default="")
    due = CharField()  # "release", "year_end" or "ongoing"
    needs_file = BooleanField(default=False)
    retired_at = DateTimeField(null=True)
    created_by = CharField()
    created_at = DateTimeField()
    updated_at = DateTimeField()


class ProjectCondition(BaseModel):
    """A condition one project must meet: a copy of its template's words when attached (so a
    later edit of the template does not rewrite what a project agreed to), or added for it."""

    proposal = ForeignKeyField(Proposal, backref="conditions")
    template = ForeignKeyField(ConditionTemplate, null=True, backref="attached")
    title = CharField()
    explanation = TextField(default="")
    due = CharField()
    needs_file = BooleanField(default=False)
    state = CharField(index=True)  # "outstanding", "submitted", "met" or "waived"
    note = TextField(default="")  # the lead's, as they marked it met
    answer = TextField(default="")  # the admin's: why it was sent back, or waived
    added_by = CharField()
    created_at = DateTimeField()
    updated_by = CharField(default="")
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("proposal", "template"), True),)


class Claim(BaseModel):
    """A project's claim for money, with evidence: pending until finance approves it (when it
    becomes the spend line) or rejects it."""

    proposal = ForeignKeyField(Proposal, backref="claims")
    number = IntegerField()  # 1, 2... within the project: CRG-2024/25-007/C2
    state = CharField(index=True)  # "pending", "queried", "approved" or "rejected"
    amount_pence = BigIntegerField()
    cost_on = DateField()
    memo = TextField()
    invoice_ref = CharField(default="")
    claimant = CharField()  # Slack user id of who made it
    claimant_name = CharField(default="")
    submission_key = CharField(unique=True)
    reason = TextField(default="")  # why it was rejected
    decided_by = CharField(default="")
    decided_at = DateTimeField(null=True)
    spend_entry = ForeignKeyField(LedgerEntry, null=True, unique=True, backref="claims")
    post_channel = CharField(default="")
    post_ts = CharField(default="")
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("proposal", "number"), True),)


class ClaimNote(BaseModel):
    """A question finance asked about a claim, or the lead's answer: the claim's conversation."""

    claim = ForeignKeyField(Claim, backref="notes")
    kind = CharField()  # "query" or "answer"
    text = TextField()
    author = CharField()
    created_at = DateTimeField()


class Evidence(BaseModel):
    """A file behind a claim or a condition, fetched from Slack and kept: its bytes and SHA-256
    once kept; why not, when Slack could not serve it or it was over the limit."""

    claim = ForeignKeyField(Claim, null=True, backref="evidence")
    condition = ForeignKeyField(ProjectCondition, null=True, backref="evidence")
    slack_file_id = CharField()
    name = CharField()
    mimetype = CharField(default="")
    size = BigIntegerField(default=0)
    sha256 = CharField(default="")
    content = BytesField(null=True)
    state = CharField()  # "pending", "kept" or "missing"
    problem = TextField(default="")
    created_at = DateTimeField()
    fetched_at = DateTimeField(null=True)


class FinanceChannel(BaseModel):
    """The channel a partnership's claims are posted to, for its finance staff."""

    partnership = ForeignKeyField(Partnership, unique=True, backref="finance_channel")
    slack_channel_id = CharField()
    linked_by = CharField()
    linked_at = DateTimeField()
