"""Finance web page sessions on the server: revocable, expiring, ended by signing out.

The table as it was at version 9, frozen here (see `models.migrations.frozen`).
"""
from peewee import CharField, DateTimeField

from models.migrations.frozen import FrozenModel, create


class FinanceSession(FrozenModel):
    token_hash = CharField(max_length=64, unique=True)
    slack_user_id = CharField()
    started_at = DateTimeField()
    expires_at = DateTimeField()
    ended_at = DateTimeField(null=True)


def upgrade(database, migrator):
    create(database, [FinanceSession])
