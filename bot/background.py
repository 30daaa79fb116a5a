"""What this process's Slack requests owe people, sent once the person has had their answer.

Every message is already in the outbox, written with the change it reports (see
`backend.domain.outbox.notes`); this process's sender (`backend.slack.sender`) sends it. Messages
written while an HTTP request is being answered are handed to the sender only when the server
closes the response, having sent it, so they never compete with the answer Slack is waiting for
(over Socket Mode, where there is no HTTP response, they go at once). If the process dies first,
nothing is lost: the clock's sweep, or the next process to start, sends them.
"""
from flask import g, has_request_context

from backend.domain.outbox.notes import Note, tell
from backend.slack import sender as senders
from backend.slack.client import sender_client

_current: dict = {}  # this process's sender


def start(settings, role: str = "web") -> senders.Sender:
    """Start this process's sender (one per process: a new one replaces the old)."""
    stop()
    sender = senders.Sender(sender_client(settings), settings, role).start()
    senders.register(sender, _committed)
    _current["sender"] = sender
    return sender


def stop() -> None:
    sender = _current.pop("sender", None)
    if sender is not None:
        senders.unregister()
        sender.stop()


def _committed(batch) -> None:
    sender = _current.get("sender")
    if sender is None:
        return
    if has_request_context():
        g.setdefault("crg_after_response", []).append(batch)
    else:
        sender.submit(batch)


def after_response(response):
    """Hand the request's messages to the sender when the server closes `response`."""
    batches = g.pop("crg_after_response", None)
    sender = _current.get("sender")
    if batches and sender is not None:
        response.call_on_close(lambda: [sender.submit(batch) for batch in batches])
    return response


def drain(timeout: float = 10.0) -> bool:
    """Wait for the messages in hand to be sent (benchmarks and tests); True if they were."""
    sender = _current.get("sender")
    return sender.drain(timeout) if sender is not None else True


def tell_person(user_id: str, channel: str | None, text: str,
                partnership_id: int | None = None) -> None:
    """A message only this person sees, about something that changed nothing (a refusal after a
    button): ephemeral where they acted, else by DM; through the outbox like every other."""
    where = channel if channel and channel[:1] in ("C", "G", "D") else None
    tell(Note(user_id, "refusal", "said", {"text": text, "channel": where},
              kind="ephemeral" if where else "post", partnership_id=partnership_id))
