"""The outbox: every Slack message the app owes someone, and the processes that send them.

A message is written in the same transaction as the change it reports, so a change cannot be
saved without its message, nor a message exist without its change; `state` then says how far
sending it got (see `backend.domain.outbox.states`).
"""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from models.base import BaseModel
from models.grant import Partnership


class OutboxMessage(BaseModel):
    """One message: a post, a post updated in place, an ephemeral reply, or a file upload."""

    partnership = ForeignKeyField(Partnership, null=True, backref="outbox_messages")
    recipient = CharField()  # a channel id, or a user id for a DM
    # What it is about: reminder, digest, alert (the clock's), proposal, decision, agenda, ...
    purpose = CharField()
    # How it reaches Slack: post (chat.postMessage), refresh (chat.update of the posts of a
    # proposal), ephemeral (chat.postEphemeral, else a DM), upload (a file into a DM).
    kind = CharField(default="post")
    # The wording to build it with when it is sent ("" when `text` and `blocks` are final):
    # the content then reflects the state at sending time, not at enqueuing.
    render = CharField(default="")
    payload = TextField(default="{}")  # JSON: what the wording and the kind need
    text = TextField(default="")
    blocks = TextField(default="[]")  # JSON
    # queued (any sender may take it) -> claimed -> sending -> delivered; or retry (Slack said
    # try later), failed (for good), unconfirmed (the sender died or timed out while Slack was
    # answering: read the conversation back before sending again), in_doubt (and that history
    # could not be read: admins decide).
    state = CharField(index=True)
    owner = IntegerField(null=True)  # the token of the sender process holding it
    claimed_at = DateTimeField()
    not_before = DateTimeField(null=True)  # Slack asked to wait (Retry-After), or backing off
    attempts = IntegerField(default=0)
    error = TextField(default="")
    ts = CharField(default="")  # Slack's id of the delivered message
    request_id = CharField(default="")  # the request that made it, for the logs
    created_at = DateTimeField()
    delivered_at = DateTimeField(null=True)


class OutboxSender(BaseModel):
    """A process that sends outbox messages: where it runs, so that a dead one can be told
    from a busy one on a single machine (SQLite) without waiting for a lease to run out."""

    token = IntegerField(primary_key=True)
    host = CharField()
    pid = IntegerField()
    process_started = CharField(default="")  # the kernel's start time of `pid` (pids are reused)
    role = CharField(default="")  # web, clock, socket
    started_at = DateTimeField()
