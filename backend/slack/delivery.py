"""Sending one claimed message, and recording how far it got.

A reminder counts as sent only when Slack said so, and what the next sweep does after a crash
depends entirely on how far the record says a send got. So each message moves through its states
by compare-and-set on its state and owner (`move`), one committed step at a time: `claimed`,
then `sending` just before its one `chat.postMessage`, then `delivered` with Slack's ts; or
`retry` (Slack turned it away for now without doing anything: a 429, or the request never left),
`failed` (for good), `unconfirmed` (Slack may have posted it: no answer came back, or it failed
while handling the request, a 5xx or `internal_error`; `backend.slack.recovery` reads the
conversation back at the next sweep before sending again). What each state means after a crash
is in `jobs.sweep`'s docstring; the states themselves are `backend.domain.outbox.states`'.
"""
import contextvars
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk.errors import SlackApiError

from backend.domain.database import release_connection
from backend.domain.outbox.owners import Owner
from backend.domain.outbox.states import MAX_ATTEMPTS, attempts_of, message_key, move, start_sending
from backend.domain.reminders import NO_CHANNEL
from backend.logs import log_event
from backend.slack.client import never_sent
from backend.slack.history import metadata_for

log = logging.getLogger("crg.outbox")

# Slack turned the request away without acting on it: send it again at the next sweep.
TURNED_AWAY_ERRORS = {"ratelimited", "team_added_to_org"}
# Slack failed while handling the request. Its docs say part of an `internal_error` or
# `fatal_error` operation may have succeeded; `request_timeout` (the body arrived truncated) and
# `service_unavailable` (no detail) are treated alike to be safe, as a history read costs little.
# Like a 5xx: the next sweep reads the history before sending again.
MAYBE_POSTED_ERRORS = {"internal_error", "fatal_error", "request_timeout", "service_unavailable"}
# Messages in flight at once. Each is still claimed, marked sending, sent and marked delivered
# on its own; a hard kill can leave at most this many in doubt.
SEND_THREADS = 4


@dataclass
class SweepResult:
    """What one sweep did: tallied by every delivery (a few threads at once); its problems are
    what the partnership's admins are told at the end of the sweep."""

    delivered: int = 0
    retried: int = 0
    problems: list[tuple[int, int, str, str, str, str]] = field(default_factory=list)
    # (partnership id, message id, recipient, state, error, text)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def failed(self) -> int:
        return len(self.problems)

    def add(self, *, delivered=0, retried=0, problem=None) -> None:
        with self._lock:  # deliveries run in a few threads at once
            self.delivered += delivered
            self.retried += retried
            if problem is not None:
                self.problems.append(problem)


def deliver(client, message, owner: Owner, now: datetime,
            result: SweepResult, *, alert: bool = False) -> str:
    """Send one claimed message; returns the state it ended in."""
    if message.recipient == NO_CHANNEL:
        return _settle(message, owner, now, result, "failed", "no_working_group_channel", alert)
    if not start_sending(message, owner.token):
        return "lost"
    try:
        answer = client.chat_postMessage(
            channel=message.recipient, text=message.text,
            blocks=json.loads(message.blocks) or None, unfurl_links=False, unfurl_media=False,
            metadata=metadata_for(message_key(message.id, message.created_at)))
    except SlackApiError as error:
        code = _error_code(error)
        return _settle(message, owner, now, result, _state_after(error, code), code, alert)
    except Exception as error:  # noqa: BLE001 - the network: was the request ever sent?
        state = "retry" if never_sent(error) else "unconfirmed"  # the next sweep checks
        return _settle(message, owner, now, result, state, f"{type(error).__name__}: {error}", alert)
    move(message, ("sending",), owner.token, flush=False, state="delivered",
         ts=answer.get("ts") or "", delivered_at=now, error="")
    result.add(delivered=1)
    log_event(log, "outbox_delivered", message=message.id, to=message.recipient)
    return "delivered"


def _error_code(error: SlackApiError) -> str:
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return code or f"http_{error.response.status_code}"


def _state_after(error: SlackApiError, code: str) -> str:
    """Where Slack's refusal leaves a message. A 5xx can come after Slack posted it (which is
    why the clock's client does not retry one, `jobs.clock.clock_client`), so resending blind
    could post it twice: `unconfirmed`, for the next sweep to look it up first."""
    status = error.response.status_code
    if status >= 500 or code in MAYBE_POSTED_ERRORS:
        return "unconfirmed"
    if status == 429 or code in TURNED_AWAY_ERRORS:
        return "retry"
    return "failed"


def _settle(message, owner, now, result, state, error, alert) -> str:
    if state == "retry" and attempts_of(message.id) >= MAX_ATTEMPTS:
        state = "failed"
    frm = ("sending", "claimed")
    move(message, frm, owner.token, state=state, error=error[:1000])
    level = logging.WARNING if state in ("retry", "unconfirmed") else logging.ERROR
    log_event(log, f"outbox_{state}", level, message=message.id, to=message.recipient, error=error)
    if state == "retry":
        result.add(retried=1)
    elif state != "unconfirmed" and not alert:
        result.add(problem=(message.partnership_id, message.id, message.recipient, state, error,
                            message.text))
    return state


def deliver_all(client, claimed: list, owner: Owner, now: datetime,
                result: SweepResult) -> None:
    """Send the claimed messages, SEND_THREADS at a time (each: sending, then delivered)."""
    if len(claimed) <= 1:
        for message in claimed:
            deliver(client, message, owner, now, result)
        return

    def one(message):
        try:
            return deliver(client, message, owner, now, result)
        finally:
            release_connection()  # this thread's connection back to the pool

    with ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="crg-send") as pool:
        # Each send keeps the sweep's request id on its log lines.
        list(pool.map(lambda message: contextvars.copy_context().run(one, message), claimed))
