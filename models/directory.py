"""The directory of people: the names Slack gives the user ids the tracker stores.

Every other table keeps a person as their Slack user id (stable, and what the audit trail needs);
this one says what to call them. A name is a copy of Slack's, refreshed from users.info when it is
older than a day and by Slack's user_change event, so it is a cache: losing a row loses nothing
but a name until the next refresh.
"""
from peewee import CharField, DateTimeField

from models.base import BaseModel


class Person(BaseModel):
    slack_user_id = CharField(unique=True)
    display_name = CharField(default="")  # what Slack shows in messages ("Jo")
    real_name = CharField(default="")  # the full name on their profile ("Jo Officer")
    refreshed_at = DateTimeField()  # when Slack last told us (naive UTC)
