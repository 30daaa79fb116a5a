"""Telling people things: every message the app owes is written to the outbox in the same
transaction as the change it reports.

A service that changes something says, as part of the change, who must hear of it and what it
is about (`tell`): the working group of a new proposal, a proposer of a decision, the person
who acted of what they did. The words are built later, when the message is sent, by the Slack
side (`backend.slack.renderers`, by the `render` name), so they show the state at that moment.
The messages are written just before the transaction commits (one INSERT for all of them), so a
change is never saved without its messages, and a refused or failed change leaves none.

Who sends them: the process that made them, once the person has had their answer (a web or
Socket Mode process registers itself with `use_sender`); if it dies first, or has no sender (the
command line), the clock's sweep takes them over. Exactly once, either way: see
`backend.domain.outbox.states` and `jobs.sweep`.
"""
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from backend.domain import times
from backend.domain.actors import Actor
from backend.domain.database import (
    Batch,
    gather,
    in_write_transaction,
    is_postgres,
    on_commit,
    write_transaction,
)
from backend.domain.prepared import insert_statements
from backend.logs import current_request_id
from models import OutboxMessage

KINDS = ("post", "refresh", "ephemeral", "upload")
NO_CHANNEL = "-"  # the recipient of a channel message of a partnership that has no channel
REFRESH = "posts"  # the recipient of a refresh: the posts it updates are found when it is sent


@dataclass(frozen=True)
class Note:
    """One message owed: to whom, about what, and how it reaches Slack.

    `render` names the wording, built when it is sent from `payload` (plain values: ids,
    amounts, names); or `text` and `blocks` are the message itself, worded already.
    """

    recipient: str
    purpose: str
    render: str = ""
    payload: dict = field(default_factory=dict)
    kind: str = "post"
    partnership_id: int | None = None
    text: str = ""
    blocks: tuple = ()


# Where the person who is acting is, in Slack: the channel they typed in or pressed a button in
# (None in a DM, the App Home or a modal with no channel). Set by the Slack front for the
# request; the command line sets nothing, so nobody at a command line is sent Slack messages.
_origin: ContextVar[tuple[bool, str | None]] = ContextVar("crg_slack_origin", default=(False, None))


def from_slack(channel_id: str | None):
    """Mark this request as coming from a person in Slack, in `channel_id` (None: no channel);
    returns what `back_from_slack` takes to undo it."""
    return _origin.set((True, channel_id))


def back_from_slack(token) -> None:
    _origin.reset(token)


def is_slack_user(actor: Actor) -> bool:
    return actor.id[:1] in ("U", "W")


_silent: ContextVar[bool] = ContextVar("crg_outbox_silent", default=False)


@contextmanager
def silenced():
    """Nothing written inside is told anyone (`crg demo`: made-up people in made-up channels)."""
    token = _silent.set(True)
    try:
        yield
    finally:
        _silent.reset(token)


def tell(note: Note) -> None:
    """Owe `note`, as part of the change being written (or in a transaction of its own)."""
    if note.kind not in KINDS:
        raise ValueError(f"unknown kind of message: {note.kind}")
    if _silent.get():
        return
    if in_write_transaction():
        gather("outbox", note)
        return
    with write_transaction():
        gather("outbox", note)


def tell_actor(actor: Actor, render: str, payload: dict | None = None, *,
               partnership_id: int | None = None, purpose: str = "confirmation") -> None:
    """Tell the person who acted (only someone acting in Slack): ephemerally where they acted,
    else by DM. A confirmation or a warning about their own action."""
    in_slack, channel = _origin.get()
    if not in_slack or not is_slack_user(actor):
        return
    where = channel if channel and channel[:1] in ("C", "G") else None
    tell(Note(actor.id, purpose, render, {**(payload or {}), "channel": where},
              kind="ephemeral" if where else "post", partnership_id=partnership_id))


# -- writing them, just before the commit -----------------------------------------------------

_sender: dict = {}  # token and notify(ids) of this process's sender, when it has one


def use_sender(token: int, notify) -> None:
    """This process sends its own messages: they are written claimed by `token`, and
    `notify(batch)` hears of each commit's (id, recipient) once it is committed."""
    _sender.update(token=token, notify=notify)


def stop_using_sender() -> None:
    _sender.clear()


_COLUMNS = ("partnership", "recipient", "purpose", "kind", "render", "payload", "text", "blocks",
            "state", "owner", "claimed_at", "attempts", "error", "ts", "request_id",
            "created_at")


def _write(notes: list[Note], committing: bool, batch: Batch) -> list[tuple[int, str]]:
    """Insert the messages in one statement, sent with the transaction's other last statements
    (its audit records); (id, recipient) of those this process will send itself, in the order
    they were written."""
    if not notes:
        return []
    now = times.now()
    mine = committing and bool(_sender)
    state, owner = ("claimed", _sender["token"]) if mine else ("queued", None)
    request_id = current_request_id() or ""
    rows = [dict(zip(_COLUMNS, (
        n.partnership_id, n.recipient, n.purpose, n.kind, n.render,
        json.dumps(n.payload, sort_keys=True, default=str), n.text, json.dumps(list(n.blocks)),
        state, owner, now, 0, "", "", request_id, now))) for n in notes]
    [(sql, params)] = insert_statements(OutboxMessage, rows, whole=True)
    if is_postgres():
        cursor = batch.run(sql + ' RETURNING "id"', params)
        ids = [row[0] for row in cursor.fetchall()]
    else:
        cursor = batch.run(sql, params)
        last = cursor.lastrowid  # one statement under the write lock: the ids run up to it
        ids = list(range(last - len(rows) + 1, last + 1))
    return list(zip(ids, (n.recipient for n in notes))) if mine else []


def _committed(batch: list[tuple[int, str]]) -> None:
    notify = _sender.get("notify")
    if notify is not None:
        notify(batch)


on_commit("outbox", _write, _committed, last=True)
