"""Single-use sign-in links to the finance web page (only a hash of each link's secret is kept)."""
from peewee import CharField, DateTimeField, ForeignKeyField

from models.base import BaseModel
from models.grant import Partnership


class LoginLink(BaseModel):
    token_hash = CharField(max_length=64, unique=True)  # sha256 hex of the secret in the link
    slack_user_id = CharField()
    partnership = ForeignKeyField(Partnership, backref="login_links")  # where the role was checked
    created_at = DateTimeField()
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
