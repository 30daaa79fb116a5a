"""The directory of people: Slack user id -> display name and real name, with when Slack last
said so.

The table as it was at version 7, frozen here (see `models.migrations.frozen`).
"""
from peewee import CharField, DateTimeField

from models.migrations.frozen import FrozenModel, create


class Person(FrozenModel):
    slack_user_id = CharField(unique=True)
    display_name = CharField(default="")
    real_name = CharField(default="")
    refreshed_at = DateTimeField()


def upgrade(database, migrator):
    create(database, [Person])
