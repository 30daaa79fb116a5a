"""Finance web page sessions, kept on the server so that signing out ends them for good (only a
hash of each session's secret is kept; the browser's signed cookie holds the secret)."""
from peewee import CharField, DateTimeField

from models.base import BaseModel


class FinanceSession(BaseModel):
    token_hash = CharField(max_length=64, unique=True)  # sha256 hex of the secret in the cookie
    slack_user_id = CharField()
    started_at = DateTimeField()
    expires_at = DateTimeField()
    ended_at = DateTimeField(null=True)  # signed out
