"""Tests of the Slack test harness itself (tests/slack/).

The harness is what every later Slack test trusts, so these check it against the
real clients: slack_sdk's WebClient must be able to talk to the fake, and bolt's
own request verification must accept exactly the requests Slack would send.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs

import pytest
from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.slack.fake_api import PROJECT_ROOT, FakeSlackAPI, read_recording
from tests.slack.requests import (
    SlackClient,
    app_home_opened,
    datepicker,
    event,
    multi_static_select,
    plain_text,
    sign,
    slash_command,
    static_select,
    users_select,
)

SIGNING_SECRET = "harness-signing-secret"


@pytest.fixture
def fake():
    with FakeSlackAPI() as api:
        yield api


@pytest.fixture
def web(fake):
    return WebClient(token="xoxb-test", base_url=fake.base_url)


def slack_error(call, *args, **kwargs) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call(*args, **kwargs)
    return raised.value


# --------------------------------------------------------------------------
# The fake Web API, through slack_sdk
# --------------------------------------------------------------------------


def test_calls_are_recorded_with_their_arguments_and_token(fake, web):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*£5,000* granted"}}]
    answer = web.chat_postMessage(channel="C_WG", text="granted", blocks=blocks)

    call = fake.last("chat.postMessage")
    assert (call.args["channel"], call.arg("blocks")) == ("C_WG", blocks)
    assert call.headers["authorization"] == "Bearer xoxb-test"
    assert call.answered == "ok" and call.path == "/api/chat.postMessage"
    assert answer["message"]["blocks"] == blocks
    assert answer["message"]["bot_id"] == "BBOT"
    assert fake.violations == []


def test_message_timestamps_increase_and_a_user_id_lands_in_a_dm(web):
    first = web.chat_postMessage(channel="U_ALICE", text="one")
    second = web.chat_postMessage(channel="U_ALICE", text="two")

    assert first["channel"] == second["channel"] == "D_ALICE"
    assert float(first["ts"]) < float(second["ts"])
    assert web.conversations_open(users="U_ALICE")["channel"]["id"] == "D_ALICE"


def test_history_answers_posted_messages_newest_first_in_pages(fake, web):
    meta = {"event_type": "crg_reminder", "event_payload": {"message_key": "m1"}}
    first = web.chat_postMessage(channel="U_ANN", text="one", metadata=meta)
    posted = [web.chat_postMessage(channel="U_ANN", text=t)["ts"] for t in ("two", "three")]
    web.chat_postMessage(channel="C_ELSEWHERE", text="not here")
    page = web.conversations_history(channel="D_ANN", limit=2)
    assert [m["text"] for m in page["messages"]] == ["three", "two"] and page["has_more"]
    assert all(m["bot_id"] for m in page["messages"])
    rest = web.conversations_history(channel="D_ANN", limit=2,
                                     cursor=page["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["one"] and not rest["has_more"]
    assert "metadata" not in rest["messages"][0]  # only when asked for
    with_meta = web.conversations_history(channel="D_ANN", include_all_metadata=True,
                                          oldest=first["ts"], latest=posted[1], inclusive=True)
    assert [m["text"] for m in with_meta["messages"]] == ["three", "two", "one"]
    assert with_meta["messages"][-1]["metadata"] == meta
    between = web.conversations_history(channel="D_ANN", oldest=first["ts"], latest=posted[1])
    assert [m["text"] for m in between["messages"]] == ["two"]  # bounds exclusive by default
    assert fake.posted("U_ANN")[0]["metadata"] == meta
    assert fake.violations == []


def test_form_encoded_json_string_arguments_count_as_present(fake, web):
    blocks = [{"type": "divider"}]
    web.api_call("chat.postMessage", data={"channel": "C_WG", "blocks": json.dumps(blocks)})

    assert fake.last("chat.postMessage").arg("blocks") == blocks
    assert fake.violations == []


def test_registered_users_are_described_by_users_info(fake, web):
    fake.add_user("U_BOB", "Bob Jones", email="bob@crg.example")

    user = web.users_info(user="U_BOB")["user"]

    assert user["real_name"] == "Bob Jones"
    assert (user["tz"], user["profile"]["email"]) == ("Europe/London", "bob@crg.example")


def test_views_open_echoes_the_view_with_a_fresh_id(web):
    view = {"type": "modal", "callback_id": "add_grant", "title": {"type": "plain_text", "text": "Add"}, "blocks": []}

    first = web.views_open(trigger_id="1.2.abc", view=view)["view"]
    second = web.views_open(trigger_id="1.2.abd", view=view)["view"]

    assert first["callback_id"] == "add_grant" and first["id"].startswith("V")
    assert first["id"] != second["id"]


def test_unknown_method_is_a_violation_answered_unknown_method(fake, web):
    error = slack_error(web.api_call, "chat.postMesage", json={"channel": "C_WG", "text": "hi"})

    assert error.response["error"] == "unknown_method"
    assert fake.violations == ["chat.postMesage: no such Slack Web API method"]
    assert fake.last("chat.postMesage").answered == "error:unknown_method"


def test_missing_required_argument_is_a_violation_answered_invalid_arguments(fake, web):
    error = slack_error(web.api_call, "chat.update", json={"channel": "C_WG", "text": "edited"})

    assert error.response["error"] == "invalid_arguments"
    assert fake.violations == ["chat.update: missing required argument(s): ts"]


def test_methods_newer_than_the_spec_are_checked_too(fake, web):
    error = slack_error(web.api_call, "files.getUploadURLExternal", params={"filename": "grants.csv"})

    assert error.response["error"] == "invalid_arguments"
    assert "length" in fake.violations[0]


def test_call_without_bearer_token_is_a_violation(fake):
    error = slack_error(WebClient(base_url=fake.base_url).chat_postMessage, channel="C_WG", text="hi")

    assert error.response["error"] == "not_authed"
    assert "Authorization" in fake.violations[0]


def test_rate_limit_answers_429_with_retry_after(fake, web):
    fake.rate_limit("chat.postMessage", retry_after=7)

    error = slack_error(web.chat_postMessage, channel="C_WG", text="hi")

    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert fake.last("chat.postMessage").answered == "429"


def test_rate_limited_call_is_retried_by_the_sdk_handler(fake, web):
    web.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake.rate_limit("chat.postMessage", retry_after=0)

    answer = web.chat_postMessage(channel="C_WG", text="hi")

    assert answer["ok"] is True
    assert [call.answered for call in fake.calls_to("chat.postMessage")] == ["429", "ok"]


def test_faults_are_consumed_in_order(fake, web):
    fake.fail("chat.postMessage", error="channel_not_found")
    fake.server_error("chat.postMessage", status=503)

    assert slack_error(web.chat_postMessage, channel="C_GONE", text="x").response["error"] == "channel_not_found"
    assert slack_error(web.chat_postMessage, channel="C_WG", text="x").response.status_code == 503
    web.chat_postMessage(channel="C_WG", text="x")

    answered = [call.answered for call in fake.calls_to("chat.postMessage")]
    assert answered == ["error:channel_not_found", "503", "ok"]


def test_files_upload_v2_stores_the_uploaded_bytes(fake, web):
    content = b"grant,amount\nprinting,5000\n\x00\xff"

    answer = web.files_upload_v2(
        channel="C_WG", content=content, filename="grants.csv", title="Grants", initial_comment="Q2 report"
    )

    file_id = answer["file"]["id"]
    stored = fake.uploaded_files[file_id]
    assert stored["bytes"] == content
    assert (stored["filename"], stored["title"], stored["channel_id"]) == ("grants.csv", "Grants", "C_WG")
    assert stored["initial_comment"] == "Q2 report"
    assert fake.violations == []


def test_wait_for_sees_calls_made_from_another_thread(fake, web):
    threading.Timer(0.05, web.chat_postMessage, kwargs={"channel": "C_WG", "text": "later"}).start()

    calls = fake.wait_for("chat.postMessage", timeout=2)

    assert calls[0].args["text"] == "later"
    with pytest.raises(AssertionError, match="chat.delete"):
        fake.wait_for("chat.delete", timeout=0.05)


def test_reset_forgets_calls_violations_and_faults(fake, web):
    fake.fail("auth.test")
    slack_error(web.api_call, "no.such.method")

    fake.reset()

    assert (fake.calls, fake.violations) == ([], [])
    assert web.auth_test()["user_id"] == "UBOT"


def test_standalone_process_prints_ready_and_records_calls(tmp_path):
    record = tmp_path / "calls.jsonl"
    command = [sys.executable, "-m", "tests.slack.fake_api", "--port", "0", "--record", str(record)]
    with subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            ready, base_url = process.stdout.readline().split()
            assert ready == "READY"
            WebClient(token="xoxb-test", base_url=base_url).chat_postMessage(channel="C_WG", text="from afar")
        finally:
            process.terminate()
    assert process.returncode == 0  # SIGTERM is a clean stop

    [call] = read_recording(record)
    assert (call.method, call.args["text"], call.answered) == ("chat.postMessage", "from afar", "ok")


# --------------------------------------------------------------------------
# Signed requests, through a real bolt app behind Flask
# --------------------------------------------------------------------------


@pytest.fixture
def seen():
    """What the bolt listeners received, by kind."""
    return {}


@pytest.fixture
def slack(fake, seen):
    """A SlackClient driving a minimal bolt app whose listeners record what they got."""
    bolt = App(
        signing_secret=SIGNING_SECRET,
        # bolt ignores ``token=`` when ``client=`` is given, so the token goes on the client.
        client=WebClient(token="xoxb-test", base_url=fake.base_url),
        process_before_response=True,
        token_verification_enabled=False,
    )

    @bolt.command("/crg")
    def command(ack, command, respond):
        ack()
        seen["command"] = command
        respond(f"got {command['text']}")

    @bolt.action("approve")
    def action(ack, action):
        ack()
        seen["action"] = action

    @bolt.view("add_grant")
    def submission(ack, view):
        ack()
        seen["view"] = view

    @bolt.event("app_home_opened")
    def home(event, client, request):
        seen["event"] = event
        seen["retry_num"] = request.headers.get("x-slack-retry-num")
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    flask_app = Flask(__name__)
    handler = SlackRequestHandler(bolt)
    flask_app.add_url_rule("/slack/events", view_func=lambda: handler.handle(request), methods=["POST"])
    return SlackClient(flask_app.test_client(), SIGNING_SECRET, fake=fake)


def test_sign_produces_headers_slack_sdk_verifies():
    body = slash_command("report")
    headers = sign(body, SIGNING_SECRET)

    verifier = SignatureVerifier(SIGNING_SECRET)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sign("{}", SIGNING_SECRET)["Content-Type"] == "application/json"


def test_generated_ids_are_unique_unless_given():
    first, second = (parse_qs(slash_command("a")) for _ in range(2))
    events = [json.loads(event(app_home_opened())) for _ in range(2)]

    assert first["trigger_id"] != second["trigger_id"]
    assert first["response_url"] != second["response_url"]
    assert events[0]["event_id"] != events[1]["event_id"]
    assert json.loads(event(app_home_opened(), event_id="Ev1"))["event_id"] == "Ev1"


def test_a_request_the_fake_cannot_read_is_reported(fake):
    garbage = urllib.request.Request(
        fake.response_url("r1"), data=b"{not json", headers={"Content-Type": "application/json"}
    )

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(garbage)

    raised.value.close()
    assert raised.value.code == 500
    assert "/response/r1" in fake.violations[0]


def test_bolt_accepts_a_slash_command_and_respond_reaches_the_fake(slack, fake, seen):
    response = slack.command("add 5000 printing", user_id="U_BOB", channel_id="C_WG")

    assert response.status_code == 200
    assert (seen["command"]["text"], seen["command"]["user_id"]) == ("add 5000 printing", "U_BOB")
    assert fake.responses[-1].args["text"] == "got add 5000 printing"
    assert fake.violations == []


def test_bolt_accepts_a_block_action(slack, seen):
    response = slack.action("approve", "grant-42", message_ts="1715000000.000100")

    assert response.status_code == 200
    assert (seen["action"]["value"], seen["action"]["type"]) == ("grant-42", "button")


def test_bolt_accepts_a_view_submission_with_helper_values(slack, seen):
    values = {
        "purpose": {"text": plain_text("Printing")},
        "fund": {"pick": static_select("crg", "CRG fund")},
        "tags": {"pick": multi_static_select([("a", "A"), ("b", "B")])},
        "due": {"date": datepicker("2024-05-01")},
        "owner": {"user": users_select("U123")},
    }

    response = slack.submit_view("add_grant", values, private_metadata="grant-7")

    assert response.status_code == 200
    state = seen["view"]["state"]["values"]
    assert state["fund"]["pick"]["selected_option"]["value"] == "crg"
    assert [o["value"] for o in state["tags"]["pick"]["selected_options"]] == ["a", "b"]
    assert (state["due"]["date"]["selected_date"], state["owner"]["user"]["selected_user"]) == ("2024-05-01", "U123")
    assert seen["view"]["private_metadata"] == "grant-7"


def test_bolt_accepts_an_event_and_sees_retry_headers(slack, fake, seen):
    response = slack.event(app_home_opened("U_ALICE"), retry_num=1)

    assert response.status_code == 200
    assert seen["event"]["channel"] == "D_ALICE"
    assert seen["retry_num"] == ["1"]
    assert fake.last("views.publish").args["user_id"] == "U_ALICE"


@pytest.mark.parametrize(
    "delivery",
    [{"sign": False}, {"bad_signature": True}, {"timestamp": int(time.time()) - 6 * 60}],
    ids=["unsigned", "wrong-secret", "six-minutes-old"],
)
def test_bolt_rejects_requests_that_slack_did_not_sign(slack, seen, delivery):
    for response in (
        slack.command("add", **delivery),
        slack.action("approve", **delivery),
        slack.submit_view("add_grant", {}, **delivery),
        slack.event(app_home_opened(), **delivery),
    ):
        assert response.status_code == 401
    assert seen == {}
