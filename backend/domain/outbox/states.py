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
from datetime import datetime, timedelta

from backend.domain import audit, times
from backend.domain.actors import Actor
from backend.domain.database import is_postgres, locked, write_transaction
from backend.domain.errors import Conflict, NotFound
from backend.domain.outbox import notes
from backend.domain.outbox.owners import Owner
from backend.domain.permissions import require
from models import AgendaItem, Claim, OutboxMessage, Proposal, Reminder, database

SWEEP_MINUTES = 5  # the clock sweeps the outbox this often: a queued message waits at most this
MAX_ATTEMPTS = 12  # sends of a message Slack did not take before it is failed and admins hear
# How long a web process's sender keeps trying a message Slack keeps turning away (an outage)
# before leaving it to the clock's sweeps, which count its sends against MAX_ATTEMPTS.
HOLD_PATIENCE = timedelta(hours=1)
UNSENT = ("claimed", "sending")  # (a `queued` one has no sender yet: `take_queued`)
UNCONFIRMED = ("sending", "unconfirmed")  # Slack may have it: read the history before sending
RESENDABLE = ("failed", "in_doubt")  # the states an admin may send a message again from


def get(message_id: int) -> OutboxMessage | None:
    return OutboxMessage.get_or_none(OutboxMessage.id == message_id)


def waiting_to_retry() -> list[OutboxMessage]:
    """Messages Slack turned away for now (a 429, a request that never left): send them again."""
    return list(OutboxMessage.select().where(OutboxMessage.state == "retry"))


def unconfirmed_of(owner_token: int) -> list[OutboxMessage]:
    """This sender's messages that Slack may or may not have posted."""
    return list(OutboxMessage.select().where((OutboxMessage.state == "unconfirmed")
                                               & (OutboxMessage.owner == owner_token)))


def abandoned(owner_token: int, now: datetime) -> list[OutboxMessage]:
    """Unfinished messages whose sender has died (`Owner.gone`): someone must take them over."""
    left = list(OutboxMessage.select().where(OutboxMessage.state.in_(UNSENT + UNCONFIRMED)
                                               & ((OutboxMessage.owner != owner_token)
                                                  | OutboxMessage.owner.is_null())))
    if not left:
        return []
    oldest: dict[int, datetime] = {}
    for m in left:
        oldest[m.owner] = min(oldest.get(m.owner, m.claimed_at), m.claimed_at)
    dead = Owner.gone(set(oldest), oldest, now)
    return [m for m in left if m.owner in dead]


def attempts_of(message_id: int) -> int:
    return OutboxMessage.get_by_id(message_id).attempts


def start_sending(message: OutboxMessage, owner_token: int, text: str | None = None) -> bool:
    """`claimed` to `sending`, counting the attempt, just before the one call to Slack; `text`
    is what it says, kept for the admins' alerts when its words were built only now."""
    values = {"text": text} if text is not None and not message.text else {}
    if not move(message, ("claimed",), owner_token, state="sending",
                attempts=OutboxMessage.attempts + 1, **values):
        return False
    message.text = message.text or text or ""
    return True


def hold(message: OutboxMessage, owner_token: int, until: datetime, reason: str) -> bool:
    """Back to `claimed` by the same sender, not to be tried before `until` (Slack said wait)."""
    return move(message, ("sending", "claimed"), owner_token, state="claimed", not_before=until,
                error=reason[:1000])


def delivered(message: OutboxMessage, owner_token: int, ts: str, now: datetime,
              frm: tuple[str, ...] = ("sending",)) -> bool:
    """Slack has it. A proposal's post and its agenda posts are remembered where they are, so
    every later decision can update them in place."""
    with database.atomic():
        if is_postgres():  # see `move`: a lost "delivered" leaves it in doubt, never sent twice
            database.execute_sql("SET LOCAL synchronous_commit TO OFF")
        if not move(message, frm, owner_token, state="delivered", ts=ts, delivered_at=now,
                    error=""):
            return False
        _remember_where(message, ts)
    return True


def _remember_where(message: OutboxMessage, ts: str) -> None:
    if not ts or message.purpose not in ("proposal_post", "agenda_item", "claim_post"):
        return
    payload = json.loads(message.payload or "{}")
    if message.purpose == "claim_post":  # the finance channel's post; a DM's is not updated
        if message.recipient[:1] in ("C", "G"):
            Claim.update(post_channel=message.recipient, post_ts=ts).where(
                Claim.id == payload["claim"]).execute()
    elif message.purpose == "proposal_post":
        Proposal.update(post_channel=message.recipient, post_ts=ts).where(
            Proposal.id == payload["proposal"]).execute()
    else:
        AgendaItem.update(post_channel=message.recipient, post_ts=ts).where(
            (AgendaItem.meeting == payload["meeting"])
            & (AgendaItem.proposal == payload["proposal"])).execute()


def delivered_of(partnership_id: int, renders: tuple[str, ...], recipient: str | None = None,
                 **about) -> list[tuple[str, str, str, dict]]:
    """Where a partnership's messages of these wordings (about these ids: `claim=7`) were
    delivered, oldest first: (recipient, ts, render, payload). A person's DMs with buttons are
    found here to be brought up to date: nothing else remembers where a DM landed."""
    query = OutboxMessage.select(OutboxMessage.recipient, OutboxMessage.ts, OutboxMessage.render,
                                 OutboxMessage.payload).where(
        (OutboxMessage.partnership == partnership_id) & OutboxMessage.render.in_(renders)
        & (OutboxMessage.state == "delivered") & (OutboxMessage.ts != ""))
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    for key, value in about.items():  # narrowed in SQL (payloads are written by json.dumps),
        said = f"{json.dumps(key)}: {json.dumps(value)}"
        query = query.where(OutboxMessage.payload.contains(said))
    found = [(to, ts, render, json.loads(payload or "{}"))
             for to, ts, render, payload in query.order_by(OutboxMessage.id).tuples()]
    return [row for row in found if all(row[3].get(k) == v for k, v in about.items())]  # exactly


def proposal_post_state(proposal_id: int) -> str | None:
    """How far the working group's post of a proposal got (None: it was never owed)."""
    payload = json.dumps({"proposal": proposal_id}, sort_keys=True)
    found = (OutboxMessage.select(OutboxMessage.state)
             .where((OutboxMessage.purpose == "proposal_post")
                    & (OutboxMessage.payload == payload))
             .order_by(OutboxMessage.id.desc()).first())
    return found.state if found else None


def alert_post(message_id: int) -> "AlertPost | None":
    """A delivered alert, as it reads now: to update it in place."""
    alert = OutboxMessage.get_or_none((OutboxMessage.id == message_id)
                                      & (OutboxMessage.state == "delivered"))
    if alert is None or not alert.ts:
        return None
    return AlertPost(alert.id, alert.recipient, alert.ts, alert.text, json.loads(alert.blocks))


def described(message: OutboxMessage) -> str:
    """What the message says (or, before its words were built, what it is about), for alerts."""
    return message.text or f"a {message.purpose.replace('_', ' ')} message"


def take_queued(owner_token: int, now: datetime) -> list[OutboxMessage]:
    """Messages written by a process that does not send (the command line), or sent by nobody
    yet: this sender takes them, oldest first."""
    waiting = list(OutboxMessage.select().where(OutboxMessage.state == "queued")
                   .order_by(OutboxMessage.id))
    return [m for m in waiting
            if move(m, ("queued",), None, state="claimed", owner=owner_token, claimed_at=now)]


def message_key(message_id: int, created_at: datetime) -> str:
    """The outbox row's key as carried in Slack: its id, plus when it was made, so that a
    database started afresh (ids from 1 again) never matches an older message."""
    return f"m{message_id}@{created_at:%Y%m%dT%H%M%S}"


def move(message: OutboxMessage, frm: tuple[str, ...], owner_token, *, flush: bool = True,
         **values) -> bool:
    """Compare-and-set the message's state: only from `frm`, and only if it is still ours.

    `flush=False` lets PostgreSQL confirm the commit before its WAL reaches the disk: used
    only for `delivered`, whose loss (in a crash of the database server itself) would leave the
    message `sending`, hence reported as in doubt, never sent twice.
    """
    query = OutboxMessage.update(**values).where(
        (OutboxMessage.id == message.id) & OutboxMessage.state.in_(frm))
    query = query.where(OutboxMessage.owner.is_null() if owner_token is None
                        else OutboxMessage.owner == owner_token)
    if flush or not is_postgres():
        return query.execute() == 1  # one statement: its own transaction
    with database.atomic():
        database.execute_sql("SET LOCAL synchronous_commit TO OFF")
        return query.execute() == 1


@dataclass(frozen=True)
class AlertPost:
    """A delivered alert that named a message: whose DM it is in, and what it said."""

    id: int
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
    if state in ("queued", "claimed", "sending", "unconfirmed"):
        return f"Message {mid} is being sent right now; there is nothing to do."
    if state == "delivered":
        on = f" on {times.show_weekday(delivered_at)}" if delivered_at else ""
        return f"Message {mid} was delivered{on}, so it is not sent again."
    return f"Message {mid} is {state}; only a failed or in-doubt message can be sent again."


def _partnership_of(message_id: int) -> int | None:
    message = OutboxMessage.get_or_none(OutboxMessage.id == message_id)
    return message.partnership_id if message else None


@audit.about("outbox_message", _partnership_of)
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
        message = locked(OutboxMessage.select().where(OutboxMessage.id == message_id)).first()
        if message is None:
            raise NotFound(f"There is no clock message {message_id}.")
        require(actor, message.partnership_id, doing="send a reminder clock message again")
        if message.state not in RESENDABLE:
            raise Conflict(moved_on(message.id, message.state, message.delivered_at))
        alerts = _alerts_naming(message.id)
        OutboxMessage.update(state="retry", attempts=0).where(
            OutboxMessage.id == message.id).execute()
        # If it fails again the admins hear of it again.
        Reminder.delete().where(Reminder.occasion == f"alert:m{message.id}").execute()
        audit.record(actor, "clock.resend", "outbox_message", message.id,
                     partnership_id=message.partnership_id,
                     before={"state": message.state, "attempts": message.attempts,
                             "error": message.error},
                     after={"state": "retry", "attempts": 0})
        now = times.now()
        # Every alert that named it now says it is queued, and by whom, so that no other admin
        # clicks again for nothing; the clicker is told directly if theirs was not among them.
        for post in alerts:
            notes.tell(notes.Note(post.recipient, "alert_update", "alert_refresh",
                                  {"alert": post.id, "resent": message.id, "by": actor.id,
                                   "at": now.isoformat()}, kind="refresh",
                                  partnership_id=message.partnership_id))
        if actor.id not in {post.recipient for post in alerts}:
            notes.tell_actor(actor, "said", {"text": queued(message.id)},
                             partnership_id=message.partnership_id)
    return Resent(message.id, message.recipient, now, alerts)


def _alerts_naming(message_id: int) -> tuple[AlertPost, ...]:
    found = (OutboxMessage.select()
             .join(Reminder, on=(Reminder.message == OutboxMessage.id))
             .where((Reminder.occasion == f"alert:m{message_id}")
                    & (OutboxMessage.state == "delivered") & (OutboxMessage.ts != ""))
             .order_by(OutboxMessage.id))
    return tuple(AlertPost(a.id, a.recipient, a.ts, a.text, json.loads(a.blocks)) for a in found)


def states_of(message_ids: list[int]) -> dict[int, tuple[str, datetime | None]]:
    """Where these messages are now (state, and when delivered), for the alerts that name them."""
    if not message_ids:
        return {}
    rows = (OutboxMessage.select(OutboxMessage.id, OutboxMessage.state,
                                   OutboxMessage.delivered_at)
            .where(OutboxMessage.id.in_(message_ids)).tuples())
    return {mid: (state, delivered_at) for mid, state, delivered_at in rows}
