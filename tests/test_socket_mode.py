"""`crg socket` serves the same app over Socket Mode, and says plainly what it is missing."""
import os
import subprocess
import sys

import pytest

from backend.domain.errors import InvalidInput
from backend.settings import Settings
from bot.socket_mode import socket_handler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_missing_tokens_are_named():
    with pytest.raises(InvalidInput, match="SLACK_APP_TOKEN, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"):
        socket_handler(Settings())
    with pytest.raises(InvalidInput, match="starting xapp-"):
        socket_handler(Settings(slack_app_token="xoxb-wrong", slack_bot_token="xoxb-1",
                                slack_signing_secret="s"))


def test_the_handler_wraps_the_real_bolt_app(db_url):
    handler = socket_handler(Settings(database_url=db_url, slack_app_token="xapp-1-test",
                                      slack_bot_token="xoxb-1", slack_signing_secret="s"))
    listeners = [listener.ack_function.__name__ for listener in handler.app._listeners]
    assert "crg" in listeners and "publish_home" in listeners


def test_crg_socket_refuses_in_one_sentence(db_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = db_url
    done = subprocess.run([sys.executable, "-m", "backend.cli", "socket"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Socket Mode needs SLACK_APP_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
