"""Where the person acted, for the domain's confirmations (`notes.tell_actor`), set around one
service call and undone after it.

Bolt runs a listener only once every global middleware has returned, so the origin the app's
middleware sets (`bot.app.where_the_person_is`) is already undone when the listener runs; a
listener that wants its person told where they acted says so here, for the call it makes, and
leaves nothing behind for whatever the thread answers next.
"""
from contextlib import contextmanager

from backend.domain.outbox import notes


@contextmanager
def acting_in(channel: str | None):
    token = notes.from_slack(channel or None)
    try:
        yield
    finally:
        notes.back_from_slack(token)
