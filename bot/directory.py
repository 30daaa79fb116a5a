"""Keeping the directory of people current from Slack: the bot asks, the domain remembers.

Names are needed where people read (exports, the finance page, the command line), never on the
path Slack is waiting on. So a request only notes who took part; once Slack has its answer, a
background task asks users.info about anyone whose name is unknown or more than a day old
(`backend.domain.directory` decides), and Slack's user_change event brings renames at once. Each
process asks about a person at most once an hour, so a busy hour costs Slack a handful of calls,
and a users.info that fails leaves the name unknown (never the id in its place) until the next try.
"""
import logging
import threading
import time

from backend.domain import directory
from backend.logs import log_event
from backend.slack.client import SLACK_FAILURES, failure_reason
from bot.background import later

log = logging.getLogger("crg.bot.directory")
RECHECK_SECONDS = 3600  # per process: how often a person's freshness is looked at again
_checked: dict[str, float] = {}
_lock = threading.Lock()


def names_from(user: dict) -> tuple[str, str]:
    """(display name, real name) from a users.info or user_change user object."""
    profile = user.get("profile") or {}
    display = profile.get("display_name") or ""
    real = user.get("real_name") or profile.get("real_name") or ""
    return display, real


def refresh(client, user_ids) -> None:
    """Ask Slack for the names the directory says are due (runs after the answer)."""
    for user_id in user_ids:
        if not directory.needs_refresh(user_id):
            continue
        try:
            user = client.users_info(user=user_id)["user"]
        except SLACK_FAILURES as error:
            log_event(log, "users_info_failed", logging.WARNING, user=user_id,
                      error=failure_reason(error))
            continue
        display, real = names_from(user)
        directory.learn(user_id, display_name=display, real_name=real)


def keep_current(client, *user_ids: str) -> None:
    """Note that these people took part; those not looked at by this process in the last hour
    are looked at after the answer (and asked of Slack if their name is due)."""
    now = time.monotonic()
    with _lock:
        due = [u for u in dict.fromkeys(user_ids) if directory.is_user_id(u)
               and now - _checked.get(u, float("-inf")) > RECHECK_SECONDS]
        for user_id in due:
            _checked[user_id] = now
    if due:
        later(refresh, client, due)


def forget_checks() -> None:
    """Look at everyone again on their next request (tests)."""
    with _lock:
        _checked.clear()


def name_for_form(client, user_id: str, fallback: str = "") -> str:
    """The name a form should store for a person it names: left to the domain, which reads the
    directory in the same round trip as the rest of the save. Never the id, never Slack's handle:
    an unknown name is filled in once Slack has said it."""
    keep_current(client, user_id)
    return ""


def _user_of(body: dict) -> str | None:
    if body.get("user_id"):  # a slash command
        return body["user_id"]
    user = body.get("user")
    if isinstance(user, dict):  # an interaction
        return user.get("id")
    event = body.get("event") or {}
    return event.get("user") if isinstance(event.get("user"), str) else None


def register(app, settings) -> None:
    @app.middleware
    def note_who_is_here(body, client, next):
        user = _user_of(body)
        if user:
            keep_current(client, user)
        return next()

    @app.event("user_change")
    def on_user_change(event):
        user = event.get("user") or {}
        display, real = names_from(user)
        directory.learn(user.get("id") or "", display_name=display, real_name=real,
                        actor=directory.FROM_USER_CHANGE, only_if_known=True)
