"""Where the person acted, for the domain's confirmations (`notes.tell_actor`), when the request
itself does not say: a modal's submission carries no channel, so a listener names the one its
form kept in its metadata, for the call it makes.

The app's middleware (`bot.app.where_the_person_is`) sets the origin the request shows (the
channel a command was typed in or a button pressed in) for the whole request; this narrows it
around one service call and restores it after.
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
