"""Settling what earlier sweeps left unfinished, so every reminder arrives exactly once, unaided.

A send interrupted at the wrong moment (a SIGKILL, a timeout) leaves its outbox row in a state
that says how far it got (`backend.slack.delivery`); each sweep settles those rows before it
sends anything new. What was certainly never sent is sent; what Slack may have is looked for in
its conversation by the key it carries (`backend.slack.history.find_posted`): found, it is
recorded as delivered; not found, it is sent, once, unless it has been sent MAX_ATTEMPTS times
already (a long Slack outage), when it is `failed` and the admins are told; unknowable, it is
left `in_doubt` for the admins, who may `resend` it (the button on their alert, or the command
line). Taking over another clock's row is a compare-and-set on its owner, and only once that
owner is dead (`backend.domain.outbox.owners`), so two clocks never both settle one message. The
whole table of failures and what follows each is in `jobs.sweep`'s docstring.
"""
import logging
from datetime import datetime, timedelta

from backend.domain.outbox import states
from backend.domain.outbox.owners import Owner
from backend.domain.outbox.states import (
    MAX_ATTEMPTS,
    UNCONFIRMED,
    delivered,
    described,
    message_key,
    move,
)
from backend.logs import log_event
from backend.settings import Settings
from backend.slack.delivery import REDOABLE, SweepResult, deliver
from backend.slack.history import HistoryUnavailable, find_posted, find_uploaded

log = logging.getLogger("crg.outbox")

# How long Slack may keep failing to let a conversation be read (an outage) before the admins
# are asked to decide whether an unconfirmed message arrived.
HISTORY_PATIENCE = timedelta(hours=1)


def recover(client, now: datetime, owner: Owner, result: SweepResult,
            settings: Settings | None = None) -> None:
    """Send again what Slack turned away for now; take over what no sender is sending (queued by
    a process that does not send, or left by a sender that died); find out from Slack whether
    the messages nobody could confirm arrived. Oldest first, so a proposal's post goes before
    the DM that refers to it."""
    to_send, to_confirm = [], []
    for message in states.waiting_to_retry():
        if move(message, ("retry",), message.owner, state="claimed", owner=owner.token,
                claimed_at=now):
            to_send.append(message)
    to_send += states.take_queued(owner.token, now)
    for message in states.abandoned(owner.token, now):
        if message.state == "claimed" or (message.kind in REDOABLE
                                          and message.state in UNCONFIRMED):
            # Slack never saw it, or seeing it twice does no harm: send it now
            if move(message, (message.state,), message.owner, state="claimed",
                    owner=owner.token, claimed_at=now):
                to_send.append(message)
        # claimed_at stays: Slack's copy, if any, was posted after it
        elif move(message, UNCONFIRMED, message.owner, state="unconfirmed", owner=owner.token):
            log_event(log, "outbox_sender_died", logging.WARNING, message=message.id,
                      to=message.recipient, detail="its sender died while Slack was answering; "
                      "reading the conversation back")
            to_confirm.append(message)
    seen = {m.id for m in to_confirm}
    to_confirm += [m for m in states.unconfirmed_of(owner.token) if m.id not in seen]
    for message in sorted(to_send + to_confirm, key=lambda m: m.id):
        if message in to_confirm:
            confirm(client, message, owner, now, result, settings)
        else:
            deliver(client, message, owner, now, result, alert=message.purpose == "alert",
                    settings=settings)


def confirm(client, message, owner: Owner, now: datetime, result: SweepResult,
            settings: Settings | None = None, *, hold_retries: bool = False) -> str:
    """Settle an `unconfirmed` message of ours by reading its conversation back: delivered if
    Slack has it, sent (once) if not, `in_doubt` and told to the admins if nobody can tell.

    While Slack itself is failing (an outage) the question waits for a later look, up to
    HISTORY_PATIENCE. A message Slack still does not have after MAX_ATTEMPTS sends is `failed`
    instead of sent again: without that cap a Slack answering 5xx for hours would be asked every
    sweep for ever and nobody would hear. `failed` is accurate: the history shows it never
    arrived.
    """
    alert = message.purpose == "alert"
    try:
        if message.kind == "upload":
            ts = find_uploaded(client, message.recipient, message.text, message.claimed_at)
        else:
            ts = find_posted(client, message.recipient,
                             message_key(message.id, message.created_at), message.claimed_at)
    except HistoryUnavailable as unknown:
        if unknown.transient and now - message.claimed_at < HISTORY_PATIENCE:
            log_event(log, "outbox_unconfirmed_still", logging.WARNING, message=message.id,
                      to=message.recipient, reason=unknown.reason,
                      detail="Slack cannot be asked yet; asking again later")
            return "unconfirmed"
        if not move(message, ("unconfirmed",), owner.token, state="in_doubt",
                    error=f"history: {unknown.reason}"[:1000]):
            return "lost"
        log_event(log, "outbox_in_doubt", logging.ERROR, message=message.id, to=message.recipient,
                  reason=unknown.reason, detail="Slack never confirmed it and its conversation "
                  "cannot be read back")
        if not alert:
            result.add(problem=(message.partnership_id, message.id, message.recipient,
                                "in_doubt", unknown.reason, described(message)))
        return "in_doubt"
    if ts is not None:
        if not delivered(message, owner.token, ts, now, frm=("unconfirmed",)):
            return "lost"
        result.add(delivered=1)
        log_event(log, "outbox_found_posted", message=message.id, to=message.recipient, ts=ts,
                  detail="it had arrived although Slack never confirmed it")
        return "delivered"
    if message.attempts >= MAX_ATTEMPTS:
        return _give_up(message, owner, result, alert)
    if not move(message, ("unconfirmed",), owner.token, state="claimed", claimed_at=now):
        return "lost"
    log_event(log, "outbox_not_posted", message=message.id, to=message.recipient,
              detail="it never reached Slack; sending it")
    return deliver(client, message, owner, now, result, alert=alert, settings=settings,
                   hold_retries=hold_retries)


def _give_up(message, owner: Owner, result: SweepResult, alert: bool) -> str:
    error = (f"{message.error or 'no answer'}; not in the conversation after "
             f"{message.attempts} sends")
    if not move(message, ("unconfirmed",), owner.token, state="failed", error=error[:1000]):
        return "lost"
    log_event(log, "outbox_failed", logging.ERROR, message=message.id, to=message.recipient,
              error=error)
    if not alert:  # an alert that cannot be delivered is logged, not alerted again
        result.add(problem=(message.partnership_id, message.id, message.recipient, "failed",
                            error, described(message)))
    return "failed"
