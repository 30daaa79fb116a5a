"""Settling what earlier sweeps left unfinished, so every reminder arrives exactly once, unaided.

A send interrupted at the wrong moment (a SIGKILL, a timeout) leaves its outbox row in a state
that says how far it got (`jobs.delivery`); each sweep settles those rows before it sends
anything new. What was certainly never sent is sent; what Slack may have is looked for in its
conversation by the key it carries (`jobs.message_keys.find_posted`): found, it is recorded as
delivered; not found, it is sent, once, unless it has been sent MAX_ATTEMPTS times already (a
long Slack outage), when it is `failed` and the admins are told; unknowable, it is left
`in_doubt` for the admins, who may `resend` it (the button on their alert, or the command
line). Taking over another clock's row is a compare-and-set on its owner, and only once that
owner is dead (`jobs.owners`), so two clocks never both settle one message. The whole table
of failures and what follows each is in `jobs.sweep`'s docstring.
"""
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from backend import audit, clock
from backend.actors import Actor, require
from backend.database import locked, write_transaction
from backend.errors import Conflict, NotFound
from jobs import messages
from jobs.delivery import MAX_ATTEMPTS, SweepResult, deliver, move
from jobs.message_keys import HistoryUnavailable, find_posted, message_key
from jobs.owners import Owner
from models.deadlines import Reminder, ReminderMessage

log = logging.getLogger("crg.clock")

UNSENT = ("claimed", "sending")
UNCONFIRMED = ("sending", "unconfirmed")  # Slack may have it: read the history before sending


def recover(client, now: datetime, owner: Owner, result: SweepResult) -> None:
    """Send again what Slack turned away for now; take over what dead clocks left unsent; find
    out from Slack whether the messages nobody could confirm arrived."""
    for message in ReminderMessage.select().where(ReminderMessage.state == "retry"):
        if move(message, ("retry",), message.owner, state="claimed", owner=owner.token,
                claimed_at=now):
            deliver(client, message, owner, now, result, alert=message.purpose == "alert")
    mine = list(ReminderMessage.select().where((ReminderMessage.state == "unconfirmed")
                                               & (ReminderMessage.owner == owner.token)))
    left = list(ReminderMessage.select().where(ReminderMessage.state.in_(UNSENT + UNCONFIRMED)
                                               & ((ReminderMessage.owner != owner.token)
                                                  | ReminderMessage.owner.is_null())))
    oldest: dict[int, datetime] = {}
    for m in left:
        oldest[m.owner] = min(oldest.get(m.owner, m.claimed_at), m.claimed_at)
    dead = Owner.gone(set(oldest), oldest, now) if left else set()
    for message in (m for m in left if m.owner in dead):
        if message.state == "claimed":  # Slack never saw it: send it now
            if move(message, ("claimed",), message.owner, owner=owner.token, claimed_at=now):
                deliver(client, message, owner, now, result, alert=message.purpose == "alert")
        # claimed_at stays: Slack's copy, if any, was posted after it
        elif move(message, UNCONFIRMED, message.owner, state="unconfirmed", owner=owner.token):
            log.warning("message=%s to=%s: its clock died while Slack was answering; checking",
                        message.id, message.recipient)
            confirm(client, message, owner, now, result)
    for message in mine:
        confirm(client, message, owner, now, result)


def confirm(client, message: ReminderMessage, owner: Owner, now: datetime,
            result: SweepResult) -> str:
    """Settle an `unconfirmed` message of ours by reading its conversation back: delivered if
    Slack has it, sent (once) if not, `in_doubt` and told to the admins if nobody can tell.

    A message Slack still does not have after MAX_ATTEMPTS sends is `failed` instead of sent
    again: without that cap a Slack answering 5xx for hours would be asked every sweep for ever
    and nobody would hear. `failed` is accurate: the history shows it never arrived.
    """
    alert = message.purpose == "alert"
    key = message_key(message.id, message.created_at)
    try:
        ts = find_posted(client, message.recipient, key, message.claimed_at)
    except HistoryUnavailable as unknown:
        if not move(message, ("unconfirmed",), owner.token, state="in_doubt",
                    error=f"history: {unknown.reason}"[:1000]):
            return "lost"
        log.error("message=%s to=%s in_doubt: Slack never confirmed it and its conversation "
                  "cannot be read back (%s)", message.id, message.recipient, unknown.reason)
        if not alert:
            result.add(problem=(message.partnership_id, message.id, message.recipient,
                                "in_doubt", unknown.reason, message.text))
        return "in_doubt"
    if ts is not None:
        if not move(message, ("unconfirmed",), owner.token, state="delivered", ts=ts,
                    delivered_at=now, error=""):
            return "lost"
        result.add(delivered=1)
        log.info("message=%s to=%s had arrived although Slack never confirmed it (ts %s)",
                 message.id, message.recipient, ts)
        return "delivered"
    if message.attempts >= MAX_ATTEMPTS:
        return _give_up(message, owner, result, alert)
    if not move(message, ("unconfirmed",), owner.token, state="claimed", claimed_at=now):
        return "lost"
    log.info("message=%s to=%s never reached Slack; sending it", message.id, message.recipient)
    return deliver(client, message, owner, now, result, alert=alert)


def _give_up(message: ReminderMessage, owner: Owner, result: SweepResult, alert: bool) -> str:
    error = (f"{message.error or 'no answer'}; not in the conversation after "
             f"{message.attempts} sends")
    if not move(message, ("unconfirmed",), owner.token, state="failed", error=error[:1000]):
        return "lost"
    log.error("message=%s to=%s failed: %s", message.id, message.recipient, error)
    if not alert:  # an alert that cannot be delivered is logged, not alerted again
        result.add(problem=(message.partnership_id, message.id, message.recipient, "failed",
                            error, message.text))
    return "failed"


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
        if message.state not in messages.RESENDABLE:
            raise Conflict(messages.moved_on(message.id, message.state, message.delivered_at))
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
    return Resent(message.id, message.recipient, clock.now(), alerts)


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
