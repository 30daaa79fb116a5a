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
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import g, has_request_context

from backend.domain.database import release_connection
from backend.logs import current_request_id, log_event, request_context

log = logging.getLogger("crg.bot.background")
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="crg-after")
_pending: set[Future] = set()
_lock = threading.Lock()


def _run(request_id, fn, args, kwargs):
    # The work keeps the id of the request that asked for it, so its log lines (and a failure's
    # reference) are found with the rest of that request's.
    with request_context(request_id):
        try:
            return fn(*args, **kwargs)
        except Exception:
            log_event(log, "background_task_failed", logging.ERROR, task=fn.__name__,
                      exc_info=True)
            raise
        finally:
            release_connection()


def later(fn, *args, **kwargs) -> None:
    task = (current_request_id(), fn, args, kwargs)
    if has_request_context():
        g.setdefault("crg_after_response", []).append(task)
    else:
        _start(*task)


def after_response(response):
    """Start the request's `later` work when the server closes `response`, having sent it."""
    tasks = g.pop("crg_after_response", None)
    if tasks:
        response.call_on_close(lambda: [_start(*task) for task in tasks])
    return response


def _start(request_id, fn, args, kwargs) -> None:
    future = _pool.submit(_run, request_id, fn, args, kwargs)
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
