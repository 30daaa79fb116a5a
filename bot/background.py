"""What happens once Slack has its answer: the messages a request owes people, and small work
that tells nobody anything.

Every message is already in the outbox, written with the change it reports (see
`backend.domain.outbox.notes`); this process's sender (`backend.slack.sender`) sends it. Messages
written while an HTTP request is being answered are handed to the sender only when the server
closes the response, having sent it, so they never compete with the answer Slack is waiting for
(over Socket Mode, where there is no HTTP response, they go at once). If the process dies first,
nothing is lost: the clock's sweep, or the next process to start, sends them.

`later` is for the rest: work whose loss costs nothing but a moment's freshness (asking Slack for
a person's name, showing the split under an allocation as it is typed). It must never tell
anyone anything: that is the outbox's.
"""
import logging
from concurrent.futures import ThreadPoolExecutor

from flask import g, has_request_context

from backend.domain.database import release_connection
from backend.domain.outbox.notes import Note, tell
from backend.logs import current_request_id, log_event, request_context
from backend.slack import sender as senders
from backend.slack.client import sender_client

log = logging.getLogger("crg.bot.background")
_current: dict = {}  # this process's sender
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="crg-after")
_pending: set = set()


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


def later(fn, *args) -> None:
    """Run `fn(*args)` once Slack has its answer (at once outside a request), keeping the
    request's id on its log lines. Never for telling anyone anything: see the module's note."""
    task = (current_request_id(), fn, args)
    if has_request_context():
        g.setdefault("crg_after_work", []).append(task)
    else:
        _start(task)


def _start(task) -> None:
    future = _pool.submit(_run, *task)
    _pending.add(future)
    future.add_done_callback(_pending.discard)


def _run(request_id, fn, args):
    with request_context(request_id):
        try:
            return fn(*args)
        except Exception:
            log_event(log, "after_work_failed", logging.ERROR, task=fn.__name__, exc_info=True)
        finally:
            release_connection()


def after_response(response):
    """Hand the request's messages to the sender, and start its other work, when the server
    closes `response`, having sent it."""
    batches = g.pop("crg_after_response", None)
    work = g.pop("crg_after_work", None)
    sender = _current.get("sender")
    if (batches and sender is not None) or work:
        def go():
            for batch in batches or ():
                if sender is not None:
                    sender.submit(batch)
            for task in work or ():
                _start(task)
        response.call_on_close(go)
    return response


def drain(timeout: float = 10.0) -> bool:
    """Wait for the messages in hand to be sent, and the other work to end (benchmarks and
    tests); True if they were."""
    from concurrent.futures import wait

    done, not_done = wait(set(_pending), timeout=timeout)
    sender = _current.get("sender")
    return not not_done and (sender.drain(timeout) if sender is not None else True)


def tell_person(user_id: str, channel: str | None, text: str,
                partnership_id: int | None = None) -> None:
    """A message only this person sees, about something that changed nothing (a refusal after a
    button): ephemeral where they acted, else by DM; through the outbox like every other."""
    where = channel if channel and channel[:1] in ("C", "G", "D") else None
    tell(Note(user_id, "refusal", "said", {"text": text, "channel": where},
              kind="ephemeral" if where else "post", partnership_id=partnership_id))
