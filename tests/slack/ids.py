"""Workspace constants and Slack-shaped id generators shared by the fake API and
the request builders.

Both sides live here so a DM channel the fake opens for a user is the same one an
``app_home_opened`` event names, and so ids made by separate processes (the fake
run standalone, the builders in the test process) do not collide.
"""

from __future__ import annotations

import itertools
import secrets
import string
import threading
import time

TEAM_ID = "T0001"
TEAM_DOMAIN = "crg-test"
APP_ID = "A0001"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
BOT_NAME = "crg-bot"
WORKSPACE_URL = f"https://{TEAM_DOMAIN}.slack.com/"

# Two random characters per process keep ids from different processes apart,
# while the zero-padded counter in front keeps them sorted in creation order.
_PROCESS_SALT = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(2))
_counter = itertools.count(1)
_ts_lock = threading.Lock()
_last_ts_us = 0


def new_id(prefix: str) -> str:
    """A Slack-style id (``V0000001AB``): unique, and increasing within a process."""
    return f"{prefix}{next(_counter):07d}{_PROCESS_SALT}"


def new_ts() -> str:
    """A Slack message timestamp (``"1715000000.000123"``), strictly increasing.

    Real Slack uses ``ts`` as the message id, so two messages in the same
    microsecond must still get different values.
    """
    global _last_ts_us
    with _ts_lock:
        _last_ts_us = max(time.time_ns() // 1000, _last_ts_us + 1)
        micros = _last_ts_us
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def new_trigger_id() -> str:
    """A trigger id in Slack's ``<digits>.<digits>.<hex>`` form."""
    return f"{next(_counter)}.{int(time.time())}.{secrets.token_hex(16)}"


def dm_channel_id(user_id: str) -> str:
    """The IM channel between the bot and ``user_id``, stable for a given user.

    Derived from the user id instead of stored, so every process agrees on it.
    """
    return "D" + user_id[1:]


def default_name(slack_id: str) -> str:
    """A readable default name for an id like ``U_ALICE`` -> ``alice``."""
    return slack_id[1:].lstrip("_").lower() or slack_id.lower()
