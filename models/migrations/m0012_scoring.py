"""The shortlisting exercise: scoring criteria, scoring rounds, score sheets and scores.

The tables as they were at version 12, frozen here (see `models.migrations.frozen`).
"""
from peewee import (
    BigIntegerField,
    BooleanField,
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


class Meeting(FrozenModel):  # made by m0004
    pass


class ScoringCriterion(FrozenModel):
    partnership = ForeignKeyField(Partnership, backref="scoring_criteria")
    position = IntegerField()
    name = TextField()
    scale_min = IntegerField(default=0)
    scale_max = IntegerField(default=5)
    weight = IntegerField(default=1)
    retired_at = DateTimeField(null=True)


class ScoringRound(FrozenModel):
    meeting = ForeignKeyField(Meeting, unique=True, backref="scoring_rounds")
    status = CharField(default="open")
    criteria = TextField()
    proposals = TextField()
    opened_by = CharField()
    opened_at = DateTimeField()
    closed_by = CharField(default="")
    closed_at = DateTimeField(null=True)
    reminded_at = DateTimeField(null=True)
    pot_pence = BigIntegerField(null=True)


class ScoreSheet(FrozenModel):
    round = ForeignKeyField(ScoringRound, backref="sheets")
    proposal = ForeignKeyField(Proposal, backref="score_sheets")
    member_slack_id = CharField()
    conflict = BooleanField(default=False)
    comment = TextField(default="")
    scored_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("round", "proposal", "member_slack_id"), True),)


class Score(FrozenModel):
    sheet = ForeignKeyField(ScoreSheet, backref="scores", on_delete="CASCADE")
    criterion = ForeignKeyField(ScoringCriterion)
    value = IntegerField()

    class Meta:
        indexes = ((("sheet", "criterion"), True),)


def upgrade(database, migrator):
    create(database, [ScoringCriterion, ScoringRound, ScoreSheet, Score],
           referenced=[Partnership, Proposal, Meeting])
