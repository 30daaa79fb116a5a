"""How far each outbox message got, moved one committed step at a time, and sending one again.

A message counts as sent only when Slack said so, and what happens after a crash depends
entirely on how far the record says a send got. So each message moves through its states by
compare-and-set on its state and owner (`move`): `claimed`, then `sending` just before its one
`chat.postMessage`, then `delivered` with Slack's ts; or `retry` (Slack turned it away for now
without doing anything), `failed` (for good), `unconfirmed` (Slack may have posted it: the next
sweep reads the conversation back before sending again) and `in_doubt` (and nobody can tell).

Sending a failed or in-doubt message again is the admins' judgement (`resend`): an in-doubt
message sent again may arrive twice, a failed one fails again unless its cause is fixed.
"""
import json
from dataclasses import dataclass
from datetime import datetime

from backend.domain import audit, times
from backend.domain.actors import Actor, require
from backend.domain.database import is_postgres, locked, write_transaction
from backend.domain.errors import Conflict, NotFound
from backend.domain.outbox.owners import Owner
from models import database
from models.deadlines import Reminder, ReminderMessage

SWEEP_MINUTES = 5  # the clock sweeps the outbox this often: a queued message waits at most this
MAX_ATTEMPTS = 12  # sends of a message Slack did not take before it is failed and admins hear
UNSENT = ("claimed", "sending")
UNCONFIRMED = ("sending", "unconfirmed")  # Slack may have it: read the history before sending
RESENDABLE = ("failed", "in_doubt")  # the states an admin may send a message again from


def waiting_to_retry() -> list[ReminderMessage]:
    """Messages Slack turned away for now (a 429, a request that never left): send them again."""
    return list(ReminderMessage.select().where(ReminderMessage.state == "retry"))


def unconfirmed_of(owner_token: int) -> list[ReminderMessage]:
    """This sender's messages that Slack may or may not have posted."""
    return list(ReminderMessage.select().where((ReminderMessage.state == "unconfirmed")
                                               & (ReminderMessage.owner == owner_token)))


def abandoned(owner_token: int, now: datetime) -> list[ReminderMessage]:
    """Unfinished messages whose sender has died (`Owner.gone`): someone must take them over."""
    left = list(ReminderMessage.select().where(ReminderMessage.state.in_(UNSENT + UNCONFIRMED)
                                               & ((ReminderMessage.owner != owner_token)
                                                  | ReminderMessage.owner.is_null())))
    if not left:
        return []
    oldest: dict[int, datetime] = {}
    for m in left:
        oldest[m.owner] = min(oldest.get(m.owner, m.claimed_at), m.claimed_at)
    dead = Owner.gone(set(oldest), oldest, now)
    return [m for m in left if m.owner in dead]


def attempts_of(message_id: int) -> int:
    return ReminderMessage.get_by_id(message_id).attempts


def start_sending(message: ReminderMessage, owner_token: int) -> bool:
    """`claimed` to `sending`, counting the attempt, just before the one call to Slack."""
    return move(message, ("claimed",), owner_token, state="sending",
                attempts=ReminderMessage.attempts + 1)


def message_key(message_id: int, created_at: datetime) -> str:
    """The outbox row's key as carried in Slack: its id, plus when it was made, so that a
    database started afresh (ids from 1 again) never matches an older message."""
    return f"m{message_id}@{created_at:%Y%m%dT%H%M%S}"


def move(message: ReminderMessage, frm: tuple[str, ...], owner_token, *, flush: bool = True,
         **values) -> bool:
    """Compare-and-set the message's state: only from `frm`, and only if it is still ours.

    `flush=False` lets PostgreSQL confirm the commit before its WAL reaches the disk: used
    only for `delivered`, whose loss (in a crash of the database server itself) would leave the
    message `sending`, hence reported as in doubt, never sent twice.
    """
    query = ReminderMessage.update(**values).where(
        (ReminderMessage.id == message.id) & ReminderMessage.state.in_(frm))
    query = query.where(ReminderMessage.owner.is_null() if owner_token is None
                        else ReminderMessage.owner == owner_token)
    if flush or not is_postgres():
        return query.execute() == 1  # one statement: its own transaction
    with database.atomic():
        database.execute_sql("SET LOCAL synchronous_commit TO OFF")
        return query.execute() == 1


@dataclass(frozen=True)
class AlertPost:
    """A delivered alert that named a message: whose DM it is in, and what it said."""

    recipient: str
    ts: str
    text: str
    blocks: list


@dataclass(frozen=True)
class Resent:
    """A message put back in the queue, and the alerts that had told admins about it (so the
    Slack front can show every one of them that it is queued)."""

    message_id: int
    recipient: str
    at: datetime
    alerts: tuple[AlertPost, ...]


def _goes_out() -> str:
    return f"it goes out at the clock's next sweep, within {SWEEP_MINUTES} minutes."


def queued(mid: int) -> str:
    return f"Message {mid} is queued to be sent again: {_goes_out()}"


def moved_on(mid: int, state: str, delivered_at: datetime | None) -> str:
    """Why a message is not sent again now: someone already asked, or it is settled."""
    if state == "retry":
        return f"Message {mid} is already queued to be sent again: {_goes_out()}"
    if state in ("claimed", "sending", "unconfirmed"):
        return f"Message {mid} is being sent right now; there is nothing to do."
    if state == "delivered":
        on = f" on {times.show_weekday(delivered_at)}" if delivered_at else ""
        return f"Message {mid} was delivered{on}, so it is not sent again."
    return f"Message {mid} is {state}; only a failed or in-doubt message can be sent again."


def _partnership_of(message_id: int) -> int | None:
    message = ReminderMessage.get_or_none(ReminderMessage.id == message_id)
    return message.partnership_id if message else None


@audit.denials_recorded("reminder_message", _partnership_of)
def resend(actor: Actor, message_id: int) -> Resent:
    """Put a failed or in-doubt message back in the queue: the next sweep sends it, once.

    The one way in for both fronts (the admins' "Send it again" button and `crg clock
    --resend`), because it is the admins' judgement: an in-doubt message sent again may arrive
    twice, a failed one fails again unless its cause is fixed. So only the partnership's
    admins may (ADMIN_SLACK_IDS and the command line are admins everywhere), and only while
    the message is still failed or in doubt. The check and the move happen under a lock on
    the row, so two admins clicking at once, or a click and the command line, queue it once;
    the later one is told it is already queued (or delivered).
    """
    with write_transaction():
        message = locked(ReminderMessage.select().where(ReminderMessage.id == message_id)).first()
        if message is None:
            raise NotFound(f"There is no clock message {message_id}.")
        require(actor, message.partnership_id, doing="send a reminder clock message again")
        if message.state not in RESENDABLE:
            raise Conflict(moved_on(message.id, message.state, message.delivered_at))
        alerts = _alerts_naming(message.id)
        ReminderMessage.update(state="retry", attempts=0).where(
            ReminderMessage.id == message.id).execute()
        # If it fails again the admins hear of it again.
        Reminder.delete().where(Reminder.occasion == f"alert:m{message.id}").execute()
        audit.record(actor, "clock.resend", "reminder_message", message.id,
                     partnership_id=message.partnership_id,
                     before={"state": message.state, "attempts": message.attempts,
                             "error": message.error},
                     after={"state": "retry", "attempts": 0})
    return Resent(message.id, message.recipient, times.now(), alerts)


def _alerts_naming(message_id: int) -> tuple[AlertPost, ...]:
    found = (ReminderMessage.select()
             .join(Reminder, on=(Reminder.message == ReminderMessage.id))
             .where((Reminder.occasion == f"alert:m{message_id}")
                    & (ReminderMessage.state == "delivered") & (ReminderMessage.ts != ""))
             .order_by(ReminderMessage.id))
    return tuple(AlertPost(a.recipient, a.ts, a.text, json.loads(a.blocks)) for a in found)


def states_of(message_ids: list[int]) -> dict[int, tuple[str, datetime | None]]:
    """Where these messages are now (state, and when delivered), for the alerts that name them."""
    if not message_ids:
        return {}
    rows = (ReminderMessage.select(ReminderMessage.id, ReminderMessage.state,
                                   ReminderMessage.delivered_at)
            .where(ReminderMessage.id.in_(message_ids)).tuples())
    return {mid: (state, delivered_at) for mid, state, delivered_at in rows}
