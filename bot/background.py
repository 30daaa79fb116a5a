"""Work that happens after Slack has had its answer: channel posts, DMs, post updates.

A small pool of threads in the same process, rather than bolt's lazy listeners, which deep-copy
the whole request for each one: the work here needs only an id and the Web API client. A task's
failure is logged with a reference (never swallowed), and each task gives its database
connection back when it ends.

Work asked for while serving an HTTP request starts once the response has been sent, so it
never competes with the answer Slack is waiting for (over Socket Mode, where there is no HTTP
response, it starts at once).
"""
import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import g, has_request_context

from models import database

log = logging.getLogger("crg.bot.background")
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="crg-after")
_pending: set[Future] = set()
_lock = threading.Lock()


def _run(fn, args, kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception:
        log.exception("background task %s failed ref=%s", fn.__name__, uuid.uuid4().hex[:8])
        raise
    finally:
        if not database.is_closed():
            database.close()


def later(fn, *args, **kwargs) -> None:
    if has_request_context():
        g.setdefault("crg_after_response", []).append((fn, args, kwargs))
    else:
        _start(fn, args, kwargs)


def after_response(response):
    """Start the request's `later` work when the server closes `response`, having sent it."""
    tasks = g.pop("crg_after_response", None)
    if tasks:
        response.call_on_close(lambda: [_start(*task) for task in tasks])
    return response


def _start(fn, args, kwargs) -> None:
    future = _pool.submit(_run, fn, args, kwargs)
    with _lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future) -> None:
    with _lock:
        _pending.discard(future)


def drain(timeout: float = 10.0) -> bool:
    """Wait for the work in hand to finish (benchmarks and tests); True if it all did."""
    with _lock:
        pending = set(_pending)
    done, not_done = wait(pending, timeout=timeout)
    return not not_done
