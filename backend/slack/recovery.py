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
from datetime import datetime

from backend.domain.outbox import states
from backend.domain.outbox.owners import Owner
from backend.domain.outbox.states import MAX_ATTEMPTS, UNCONFIRMED, message_key, move
from backend.logs import log_event
from backend.slack.delivery import SweepResult, deliver
from backend.slack.history import HistoryUnavailable, find_posted

log = logging.getLogger("crg.outbox")


def recover(client, now: datetime, owner: Owner, result: SweepResult) -> None:
    """Send again what Slack turned away for now; take over what dead clocks left unsent; find
    out from Slack whether the messages nobody could confirm arrived."""
    for message in states.waiting_to_retry():
        if move(message, ("retry",), message.owner, state="claimed", owner=owner.token,
                claimed_at=now):
            deliver(client, message, owner, now, result, alert=message.purpose == "alert")
    mine = states.unconfirmed_of(owner.token)
    for message in states.abandoned(owner.token, now):
        if message.state == "claimed":  # Slack never saw it: send it now
            if move(message, ("claimed",), message.owner, owner=owner.token, claimed_at=now):
                deliver(client, message, owner, now, result, alert=message.purpose == "alert")
        # claimed_at stays: Slack's copy, if any, was posted after it
        elif move(message, UNCONFIRMED, message.owner, state="unconfirmed", owner=owner.token):
            log_event(log, "outbox_sender_died", logging.WARNING, message=message.id,
                      to=message.recipient, detail="its sender died while Slack was answering; "
                      "reading the conversation back")
            confirm(client, message, owner, now, result)
    for message in mine:
        confirm(client, message, owner, now, result)


def confirm(client, message, owner: Owner, now: datetime,
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
        log_event(log, "outbox_in_doubt", logging.ERROR, message=message.id, to=message.recipient,
                  reason=unknown.reason, detail="Slack never confirmed it and its conversation "
                  "cannot be read back")
        if not alert:
            result.add(problem=(message.partnership_id, message.id, message.recipient,
                                "in_doubt", unknown.reason, message.text))
        return "in_doubt"
    if ts is not None:
        if not move(message, ("unconfirmed",), owner.token, state="delivered", ts=ts,
                    delivered_at=now, error=""):
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
    return deliver(client, message, owner, now, result, alert=alert)


def _give_up(message, owner: Owner, result: SweepResult, alert: bool) -> str:
    error = (f"{message.error or 'no answer'}; not in the conversation after "
             f"{message.attempts} sends")
    if not move(message, ("unconfirmed",), owner.token, state="failed", error=error[:1000]):
        return "lost"
    log_event(log, "outbox_failed", logging.ERROR, message=message.id, to=message.recipient,
              error=error)
    if not alert:  # an alert that cannot be delivered is logged, not alerted again
        result.add(problem=(message.partnership_id, message.id, message.recipient, "failed",
                            error, message.text))
    return "failed"
