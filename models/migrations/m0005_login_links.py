"""Single-use sign-in links to the finance web page.

The table as it was at version 5, frozen here (see `models.migrations.frozen`).
"""
from peewee import CharField, DateTimeField, ForeignKeyField

from models.migrations.frozen import FrozenModel, create


class Partnership(FrozenModel):  # made by m0001
    pass


class LoginLink(FrozenModel):
    token_hash = CharField(max_length=64, unique=True)
    slack_user_id = CharField()
    partnership = ForeignKeyField(Partnership, backref="login_links")
    created_at = DateTimeField()
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


def upgrade(database, migrator):
    create(database, [LoginLink], referenced=[Partnership])
