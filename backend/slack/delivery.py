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
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from backend.domain.database import release_connection
from backend.domain.errors import DomainError
from backend.domain.outbox.notes import NO_CHANNEL, Note, tell
from backend.domain.outbox.owners import Owner
from backend.domain.outbox.states import (
    HOLD_PATIENCE,
    MAX_ATTEMPTS,
    attempts_of,
    delivered,
    described,
    hold,
    message_key,
    move,
    start_sending,
)
from backend.logs import log_event
from backend.settings import Settings
from backend.slack import renderers
from backend.slack.client import never_sent
from backend.slack.history import metadata_for
from backend.slack.rendered import Updates, Upload

log = logging.getLogger("crg.outbox")

# Slack turned the request away without acting on it: send it again at the next sweep.
TURNED_AWAY_ERRORS = {"ratelimited", "team_added_to_org"}
# Slack failed while handling the request. Its docs say part of an `internal_error` or
# `fatal_error` operation may have succeeded; `request_timeout` (the body arrived truncated) and
# `service_unavailable` (no detail) are treated alike to be safe, as a history read costs little.
# Like a 5xx: the next sweep reads the history before sending again.
MAYBE_POSTED_ERRORS = {"internal_error", "fatal_error", "request_timeout", "service_unavailable"}
# Kinds that can be done twice without a second message appearing: an update in place, and an
# ephemeral reply (only its person sees it, and only for a while).
REDOABLE = ("refresh", "ephemeral")
# An ephemeral reply's channel is wrong for it: say it by DM instead.
WRONG_PLACE_ERRORS = {"channel_not_found", "not_in_channel", "user_not_in_channel",
                      "is_archived", "restricted_action"}
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


def deliver(client, message, owner: Owner, now: datetime, result: SweepResult, *,
            alert: bool = False, settings: Settings | None = None,
            hold_retries: bool = False) -> str:
    """Send one claimed message; returns the state it ended in.

    Its words are built now when it names a wording (`render`), so they show the state of
    things at sending. `hold_retries` (a web sender, which keeps trying in-process) keeps a
    message Slack turned away for now `claimed` by this sender, to wait `not_before`, rather
    than `retry` for the next sweep.
    """
    if message.recipient == NO_CHANNEL:
        return _settle(message, owner, now, result, "failed", "no_working_group_channel", alert)
    try:
        content = renderers.render(message, settings)
    except renderers.NothingToSend:
        move(message, ("claimed",), owner.token, state="delivered", delivered_at=now, error="")
        return "delivered"
    except DomainError as refusal:  # it can no longer be made (a role taken away, say)
        return _settle(message, owner, now, result, "failed", refusal.message, alert)
    if not start_sending(message, owner.token, text=content.summary):
        return "lost"
    try:
        ts = send(client, message, content)
    except SlackApiError as error:
        code = _error_code(error)
        state = _state_after(error, code, message.kind)
        if state == "retry" and hold_retries and now - message.claimed_at < HOLD_PATIENCE:
            return _hold(message, owner, now, error, code)
        return _settle(message, owner, now, result, state, code, alert)
    except Exception as error:  # noqa: BLE001 - the network: was the request ever sent?
        redo = never_sent(error) or message.kind in REDOABLE
        state = "retry" if redo else "unconfirmed"  # the next look checks Slack first
        reason = f"{type(error).__name__}: {error}"
        if state == "retry" and hold_retries and now - message.claimed_at < HOLD_PATIENCE:
            return _hold(message, owner, now, error, reason)
        return _settle(message, owner, now, result, state, reason, alert)
    delivered(message, owner.token, ts, now)
    result.add(delivered=1)
    log_event(log, "outbox_delivered", message=message.id, to=message.recipient,
              purpose=message.purpose)
    return "delivered"


def send(client, message, content) -> str:
    """The one call (or, for a refresh, the few) that carries `message` to Slack; its ts."""
    if isinstance(content, Updates):
        for channel, ts, text, blocks in content.updates:
            if channel[:1] in ("U", "W"):  # an alert in a DM: chat.update needs the DM's own id
                channel = client.conversations_open(users=channel)["channel"]["id"]
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks or None)
        return ""
    if isinstance(content, Upload):
        dm = client.conversations_open(users=message.recipient)["channel"]["id"]
        client.files_upload_v2(channel=dm, file=content.content, filename=content.filename,
                               title=content.title, initial_comment=content.comment)
        return ""
    if message.kind == "ephemeral":
        return _ephemeral(client, message, content)
    answer = client.chat_postMessage(
        channel=message.recipient, text=content.text, blocks=content.blocks or None,
        unfurl_links=False, unfurl_media=False,
        metadata=metadata_for(message_key(message.id, message.created_at)))
    return answer.get("ts") or ""


def _ephemeral(client, message, content) -> str:
    """Where the person acted, only they see it; if that fails (the bot is not in the channel,
    the person left it), the same words by DM, so they hear it either way."""
    channel = json.loads(message.payload or "{}").get("channel")
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=message.recipient, text=content.text,
                                      blocks=content.blocks or None)
            return ""
        except SlackApiError as error:
            if _error_code(error) not in WRONG_PLACE_ERRORS:
                raise
    answer = client.chat_postMessage(channel=message.recipient, text=content.text,
                                     blocks=content.blocks or None, unfurl_links=False,
                                     unfurl_media=False)
    return answer.get("ts") or ""


def _hold(message, owner: Owner, now: datetime, error, reason: str) -> str:
    """Turned away for now: this sender keeps the message and tries again after the wait Slack
    asked for (Retry-After), or one that doubles with each try (1 s, 2 s, ... a minute)."""
    wait = _retry_after(error)
    if wait is None:
        wait = min(2.0 ** max(attempts_of(message.id) - 1, 0), 60.0)
    hold(message, owner.token, now + timedelta(seconds=wait), reason)
    log_event(log, "outbox_waiting", logging.WARNING, message=message.id, to=message.recipient,
              seconds=wait, error=reason)
    return "held"


def _retry_after(error) -> float | None:
    """The seconds Slack asked to wait (its Retry-After), if it said."""
    headers = getattr(getattr(error, "response", None), "headers", None) or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    value = value[0] if isinstance(value, list) else value
    try:
        return max(0.0, min(float(value), 60.0))
    except (TypeError, ValueError):
        return None


def _error_code(error: SlackApiError) -> str:
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return code or f"http_{error.response.status_code}"


def _state_after(error: SlackApiError, code: str, kind: str = "post") -> str:
    """Where Slack's refusal leaves a message. A 5xx can come after Slack posted it (which is
    why the senders' client does not retry one, `backend.slack.client.sender_client`), so
    resending a post blind could post it twice: `unconfirmed`, to look it up first. Updating a
    post in place, or an ephemeral reply, can simply be done again."""
    status = error.response.status_code
    if status >= 500 or code in MAYBE_POSTED_ERRORS:
        return "retry" if kind in REDOABLE else "unconfirmed"
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
    if state == "failed" and message.kind == "upload":
        # The person asked for the file and is waiting: they hear why it did not come.
        tell(Note(message.recipient, "refusal", "said", {
            "text": f"I made {message.text or 'your file'} but Slack would not take the upload "
                    f"({error}). Please ask again in a few minutes."},
            partnership_id=message.partnership_id))
    if state == "retry":
        result.add(retried=1)
    elif state != "unconfirmed" and not alert:
        result.add(problem=(message.partnership_id, message.id, message.recipient, state, error,
                            described(message)))
    return state


def deliver_all(client, claimed: list, owner: Owner, now: datetime,
                result: SweepResult, settings: Settings | None = None) -> None:
    """Send the claimed messages, SEND_THREADS at a time (each: sending, then delivered)."""
    if len(claimed) <= 1:
        for message in claimed:
            deliver(client, message, owner, now, result, settings=settings)
        return

    def one(message):
        try:
            return deliver(client, message, owner, now, result, settings=settings)
        finally:
            release_connection()  # this thread's connection back to the pool

    with ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="crg-send") as pool:
        # Each send keeps the sweep's request id on its log lines.
        list(pool.map(lambda message: contextvars.copy_context().run(one, message), claimed))
