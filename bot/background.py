"""Work that happens after Slack has had its answer: channel posts, DMs, post updates.

A small pool of threads in the same process, rather than bolt's lazy listeners, which deep-copy
the whole request for each one: the work here needs only an id and the Web API client. A task's
failure is logged with a reference (never swallowed), and each task gives its database
connection back when it ends.
"""
import logging
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait

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


def later(fn, *args, **kwargs) -> Future:
    future = _pool.submit(_run, fn, args, kwargs)
    with _lock:
        _pending.add(future)
    future.add_done_callback(_forget)
    return future


def _forget(future: Future) -> None:
    with _lock:
        _pending.discard(future)


def drain(timeout: float = 10.0) -> bool:
    """Wait for the work in hand to finish (benchmarks and tests); True if it all did."""
    with _lock:
        pending = set(_pending)
    done, not_done = wait(pending, timeout=timeout)
    return not not_done
