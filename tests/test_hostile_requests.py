"""Hostile or broken requests get a 4xx with a reason, never a 500, never a flood in the log,
and change nothing; bad values are refused against their field.
"""
import hmac
import json
import logging
import time
from hashlib import sha256

from models import AuditRecord, Proposal
from tests.conftest import SIGNING_SECRET
from tests.slack.requests import plain_text, slash_command, view_submission
from tests.slack_flows import form_values, opened_form, partnership, submit_form

PATH = "/slack/events"


def post(harness, body: bytes | str, *, content_type="application/x-www-form-urlencoded",
         sign=True, timestamp=None):
    body = body.encode() if isinstance(body, str) else body
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp}
    if sign:  # Slack's scheme, on the raw bytes
        digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, sha256)
        headers["X-Slack-Signature"] = "v0=" + digest.hexdigest()
    return harness.slack.flask_client.post(PATH, data=body, headers=headers)


def test_a_body_too_large_is_refused_before_it_is_read(slack):
    response = post(slack, b"command=%2Fcrg&text=" + b"x" * 2_000_000)
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    assert slack.fake.calls == []


def test_bodies_that_are_not_slacks_are_refused_before_they_are_parsed(slack, caplog):
    secret_looking = json.dumps({"type": "block_actions", "marker": "UNSIGNED-BODY-0123"})
    with caplog.at_level(logging.DEBUG):
        assert post(slack, "{not json", content_type="application/json",
                    sign=False).status_code == 401
        assert post(slack, secret_looking, content_type="application/json",
                    sign=False).status_code == 401
        assert post(slack, "command=%2Fcrg", timestamp="soon").status_code == 401
        assert post(slack, "command=%2Fcrg", timestamp=int(time.time()) - 3600).status_code == 401
        assert post(slack, "{not json", content_type="application/json").status_code == 400
        assert post(slack, "[1, 2]", content_type="application/json").status_code == 400
        assert post(slack, "payload=%5B1%2C2%5D").status_code == 400  # payload=[1,2]
        assert post(slack, "payload=%7Bbroken").status_code == 400
        assert post(slack, "command=%2Fcrg&text=pots",
                    content_type="application/json").status_code == 400  # a form sent as JSON
        assert post(slack, "who=knows").status_code == 400
        assert post(slack, b"\xff\xfe", content_type="application/json").status_code == 400
    assert "UNSIGNED-BODY-0123" not in caplog.text  # an unsigned body is never logged
    assert slack.fake.calls == [] and AuditRecord.select().count() == 0


def test_every_text_field_is_held_to_its_forms_limit(slack):
    partnership()
    view = opened_form(slack)
    for field, value in (("lead", "L" * 50_000), ("title", "T" * 201)):
        body = submit_form(slack, view, form_values(**{field: value})).get_json()
        block = {"lead": "lead_organisation"}.get(field, field)
        assert body["response_action"] == "errors" and "characters" in body["errors"][block]
    values = form_values()
    values["description"] = {"value": plain_text("D" * 3001)}
    body = submit_form(slack, view, values).get_json()
    assert "3,000 characters" in body["errors"]["description"]
    assert Proposal.select().count() == 0


def test_amounts_in_other_scripts_are_refused_as_the_readme_says(slack):
    partnership()
    view = opened_form(slack)
    for typed in ("١٠٠", "１００", "1e3"):
        body = submit_form(slack, view, form_values(amount=typed)).get_json()
        assert "is not an amount I can read" in body["errors"]["amount"], typed
    assert Proposal.select().count() == 0


def test_a_nul_byte_is_refused_against_its_field_on_either_database(slack):
    partnership()
    body = submit_form(slack, opened_form(slack), form_values(title="Safer\x00streets")).get_json()
    assert "cannot be kept" in body["errors"]["title"]
    assert Proposal.select().count() == 0


def test_numbers_too_large_to_be_anything_get_a_plain_answer(slack):
    partnership()
    for text in ("deadlines 999999999999", "spend reverse 99999999999999999999 oops",
                 "deadline move 99999999999999999999", "show 99999999999999999999"):
        response = slack.slack.command(text, user_id="U_ADMIN")
        assert response.status_code == 200
        answer = response.get_json()["text"]
        assert "went wrong" not in answer and answer.strip(), (text, answer)


def test_forged_button_values_and_metadata_name_nothing(slack):
    partnership()
    for value in ("not json", "[1]", '{"p": "12; DROP"}', '{"p": 99999999999999999999}'):
        response = slack.slack.action("decide_support", value, user_id="U_ADMIN")
        assert response.status_code == 200
    for meta in ("not json", "[]", '{"a": "approve"}'):
        response = slack.slack.submit_view(
            "decision_form", {"reason": {"value": plain_text("x")}}, user_id="U_ADMIN",
            private_metadata=meta)
        assert response.status_code == 200
        assert "went wrong" not in response.get_data(as_text=True)
    assert slash_command and view_submission  # (the request builders these tests lean on)
