"""People's real names for the records, from Slack's users.info, remembered for a while.

A proposal stores its contact's name (the exports need it); asking Slack on every submission
would put a Web API round trip on the path Slack is waiting on, so names are kept ten minutes.
"""
import logging
import threading
import time

from backend.logs import log_event
from backend.slack.client import SLACK_FAILURES, failure_reason

log = logging.getLogger("crg.bot.names")
TTL_SECONDS = 600
_names: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def name_of(client, user_id: str, fallback: str = "") -> str:
    if not user_id:
        return fallback
    with _lock:
        cached = _names.get(user_id)
    if cached and time.monotonic() - cached[0] < TTL_SECONDS:
        return cached[1]
    try:
        user = client.users_info(user=user_id)["user"]
    except SLACK_FAILURES as error:
        log_event(log, "users_info_failed", logging.WARNING, user=user_id,
                  error=failure_reason(error))
        return user_id
    name = user.get("real_name") or (user.get("profile") or {}).get("real_name") or user_id
    with _lock:
        _names[user_id] = (time.monotonic(), name)
    return name
