"""Slack's three seconds, even when Slack is slow: what the front asks of Slack while a person
waits (opening a form) is tried once, briefly, and a slow Slack means "try again", in time."""
import time

from backend.slack.client import INTERACTIVE_TIMEOUT
from tests.slack_flows import partnership


def test_a_slow_views_open_is_answered_in_time_with_try_again(slack):
    partnership()
    slack.fake.delay("views.open", 2.5)
    started = time.monotonic()
    response = slack.slack.command("propose")
    took = time.monotonic() - started
    assert response.status_code == 200 and took < 3.0, took  # Slack's answer arrives in time
    text = response.get_json()["text"]
    assert "did not open the form" in text and "try again" in text
    calls = slack.fake.wait_for("views.open", timeout=5)
    assert len(calls) == 1  # never retried: the trigger would be dead anyway
    assert INTERACTIVE_TIMEOUT < 2.5


def test_a_failing_views_open_on_a_button_is_told_where_it_was_pressed(slack):
    from bot.background import drain
    from tests.builders import approved

    year = partnership()
    pid = approved(year, "1,000")
    slack.fake.server_error("views.open", 503)
    response = slack.slack.action("progress_open", str(pid), user_id="U_PROP", channel_id="C_WG")
    assert response.status_code == 200
    assert drain(timeout=15)
    told = [c.args["text"] for c in slack.fake.calls_to("chat.postEphemeral")
            if c.args["user"] == "U_PROP"]
    assert told and "try again" in told[-1]
