"""The shortlisting exercise: each partnership's scoring criteria, the scoring rounds held on a
meeting's agenda, and what each working-group member scored."""
from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel
from models.grant import Partnership
from models.meetings import Meeting
from models.proposals import Proposal


class ScoringCriterion(BaseModel):
    """One criterion a partnership scores proposals against. Never deleted: a retired one keeps
    the scores given against it in earlier rounds."""

    partnership = ForeignKeyField(Partnership, backref="scoring_criteria")
    position = IntegerField()
    name = TextField()
    scale_min = IntegerField(default=0)
    scale_max = IntegerField(default=5)
    weight = IntegerField(default=1)
    retired_at = DateTimeField(null=True)


class ScoringRound(BaseModel):
    """Scoring of one meeting's agenda: open until an admin or chair closes it."""

    meeting = ForeignKeyField(Meeting, unique=True, backref="scoring_rounds")
    status = CharField(default="open")  # open or closed
    criteria = TextField()  # JSON: the criteria (names, scales, weights) as they were at opening
    proposals = TextField()  # JSON: the ids of the proposals on the agenda at opening
    opened_by = CharField()
    opened_at = DateTimeField()
    closed_by = CharField(default="")
    closed_at = DateTimeField(null=True)
    reminded_at = DateTimeField(null=True)
    # What the upfront pot had left when it closed: the ranking's money line stays as the group
    # saw it, whatever is supported afterwards.
    pot_pence = BigIntegerField(null=True)  # the clock's reminder before the meeting


class ScoreSheet(BaseModel):
    """One member's scoring of one proposal in a round (or their declared conflict)."""

    round = ForeignKeyField(ScoringRound, backref="sheets")
    proposal = ForeignKeyField(Proposal, backref="score_sheets")
    member_slack_id = CharField()
    conflict = BooleanField(default=False)
    comment = TextField(default="")
    scored_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("round", "proposal", "member_slack_id"), True),)


class Score(BaseModel):
    sheet = ForeignKeyField(ScoreSheet, backref="scores", on_delete="CASCADE")
    criterion = ForeignKeyField(ScoringCriterion)
    value = IntegerField()

    class Meta:
        indexes = ((("sheet", "criterion"), True),)
