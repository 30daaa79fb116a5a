"""Proposing through Slack, end to end: signed requests into the real app, the fake Web API out."""
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.background import drain
from models import AuditRecord, Partnership, Proposal
from tests.slack.requests import datepicker
from tests.slack_flows import WG, form_values, opened_form, partnership, propose, submit_form


def wait_posts(fake, count):
    return fake.wait_for("chat.postMessage", count=count, timeout=10)


def test_requests_that_slack_did_not_sign_are_refused(slack):
    partnership()
    for kw in ({"sign": False}, {"bad_signature": True},
               {"timestamp": int(time.time()) - 6 * 60}):
        assert slack.slack.command("propose", **kw).status_code == 401
    assert slack.fake.calls == [] and Proposal.select().count() == 0


def test_help_lists_every_subcommand(slack):
    text = slack.slack.command("help").get_json()["text"]
    for name in ("propose", "pots", "list", "show", "mine", "withdraw", "edit"):
        assert f"/crg {name}" in text
    reply = slack.slack.command("propse").get_json()
    assert reply["response_type"] == "ephemeral" and "Did you mean `/crg propose`" in reply["text"]


def test_propose_opens_the_form_with_the_years_priorities(slack):
    partnership()
    view = opened_form(slack)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert {"title", "lead_organisation", "contact", "description", "priorities", "amount", "pot",
            "planned_start", "planned_end", "planned_spend_q1"} <= set(blocks)
    options = [o["text"]["text"] for o in blocks["priorities"]["element"]["options"]]
    assert "Domestic Abuse" in options and len(options) == 8
    assert blocks["contact"]["element"]["initial_user"] == "U_ALICE"
    assert "locked" in view["blocks"][0]["elements"][0]["text"]


def test_a_submitted_proposal_is_saved_posted_and_confirmed(slack):
    partnership()
    propose(slack, title="Safer streets", amount="£2,500.50")
    stored = Proposal.get()
    assert (stored.amount_pence, stored.status, stored.number) == (250_050, "submitted", 1)
    posts = wait_posts(slack.fake, 2)
    channel_post = next(c for c in posts if c.args["channel"] == WG)
    assert "CRG-2024/25-001" in channel_post.args["text"]
    dm = next(c for c in posts if c.args["channel"] == "U_ALICE")
    assert "saved as *CRG-2024/25-001*" in dm.args["text"]
    deadline = time.time() + 5
    while not Proposal.get().post_ts and time.time() < deadline:
        time.sleep(0.05)
    assert Proposal.get().post_channel.startswith("C_WG") or Proposal.get().post_channel == WG


@pytest.mark.parametrize("values, block, words", [
    ({"title": " ", "amount": "5e3"}, "title", "Give the project a title"),
    ({"amount": "5e3"}, "amount", "39661"),
    ({"amount": "7,000"}, "amount", "upfront pot has £6,000 available"),
    ({"pot": "tactical"}, "pot", "tactical pot for 2024/25 opens once"),
    ({"priorities": ()}, "priorities", "at least one"),
])
def test_bad_forms_are_answered_inline_and_save_nothing(slack, values, block, words):
    partnership()
    view = opened_form(slack)
    response = submit_form(slack, view, form_values(**values))
    body = response.get_json()
    assert response.status_code == 200 and body["response_action"] == "errors"
    assert words in body["errors"][block]
    assert Proposal.select().count() == 0
    assert AuditRecord.select().where(AuditRecord.entity == "proposal").count() == 0


def test_cutoff_passed_is_refused_against_the_pot(slack):
    from datetime import datetime

    from backend.domain.ledger import year_transaction

    year = partnership()
    with year_transaction(year.id) as y:
        y.upfront_cutoff_at = datetime(2020, 1, 1)
        y.save()
    body = submit_form(slack, opened_form(slack), form_values()).get_json()
    assert "cut-off" in body["errors"]["pot"]


def test_retries_and_double_clicks_make_one_proposal(slack):
    partnership()
    view = opened_form(slack)
    values = form_values()
    for retry in (None, 1, 2, 3):
        response = submit_form(slack, view, values, view_id="V_SAME", retry_num=retry)
        assert response.status_code == 200
    assert Proposal.select().count() == 1
    wait_posts(slack.fake, 2)
    assert drain(timeout=15)  # whatever the retries set off has finished: nothing more comes
    assert len([c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == WG]) == 1


def test_titles_cannot_ping_the_channel_or_forge_mentions(slack):
    partnership()
    propose(slack, title="<!channel> free money @here <@U999|admin>")
    posts = wait_posts(slack.fake, 2)
    parsed = []  # what Slack parses for mentions: top-level text and mrkdwn objects

    def collect(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                parsed.append(node["text"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for call in posts:
        parsed.append(call.args["text"])
        collect(call.args.get("blocks"))
    raw = " ".join(parsed)
    assert "free money" in raw
    assert "<!channel>" not in raw and "<@U999" not in raw and "@here" not in raw
    assert Proposal.get().title == "<!channel> free money @here <@U999|admin>"


def test_no_working_group_channel_is_explained_to_the_proposer(slack):
    partnership(channel=None)
    propose(slack, channel_id="D_ALICE")
    dm = wait_posts(slack.fake, 1)[0]
    assert dm.args["channel"] == "U_ALICE" and "no working-group channel" in dm.args["text"]


def test_bot_not_in_channel_is_explained_and_the_proposal_kept(slack):
    partnership()
    slack.fake.fail("chat.postMessage", "not_in_channel")
    propose(slack)
    calls = wait_posts(slack.fake, 3)  # the failed post, the admins' alert, the proposer's DM
    dm = next(c for c in calls if c.args["channel"] == "U_ALICE")
    assert "/invite" in dm.args["text"] and Proposal.select().count() == 1
    alert = next(c for c in calls if c.args["channel"] == "U_ADMIN")  # never dropped in silence
    assert "not_in_channel" in json.dumps(alert.args["blocks"])

odd_text = st.one_of(st.text(max_size=40), st.sampled_from(
    ["", " ", "5e3", "-10", "£", "1.234", "2,500", "£2,500.50", "9" * 30, "<!channel>", "@here",
     "=HYPERLINK(\"x\")", "\u202e", "0", "0.00", "NaN"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=odd_text, amount=odd_text, lead=odd_text, pot=st.sampled_from(["upfront", "tactical", "", "x"]),
       priorities=st.lists(st.sampled_from(["Domestic Abuse", "Road Safety", "Knitting", ""]), max_size=3),
       start=st.sampled_from([None, "2024-05-01", "2030-01-01", "2024-13-45", "yesterday"]),
       q1=odd_text)
def test_fuzzed_forms_are_answered_inline_and_save_only_good_ones(slack, title, amount, lead, pot,
                                                                 priorities, start, q1):
    if not Partnership.select().where(Partnership.name == "Northshire CSP").exists():
        partnership()
    view = {"callback_id": "proposal_submit",
            "private_metadata": json.dumps({"year_id": Partnership.get().years[0].id,
                                            "channel": WG, "proposal_id": None})}
    values = form_values(title=title, amount=amount, lead=lead, pot=pot, priorities=priorities, q1=q1)
    values["planned_start"] = {"value": datepicker(start)}
    before = Proposal.select().count()
    response = submit_form(slack, view, values)
    assert response.status_code == 200
    if response.get_data():
        body = response.get_json()
        assert body["response_action"] == "errors", body
        assert all(isinstance(m, str) and m.strip() for m in body["errors"].values())
        assert Proposal.select().count() == before
    else:
        assert Proposal.select().count() == before + 1


def test_posts_start_only_once_slack_has_its_answer(slack):
    """The channel post and DM wait for the response to be sent, so they never slow the answer."""
    from bot.background import drain
    from tests.slack.requests import _sign, view_submission

    partnership()
    view = opened_form(slack, user_id="U_ALICE", channel_id=WG)
    body = view_submission(view["callback_id"], form_values(), user_id="U_ALICE",
                           private_metadata=view["private_metadata"])
    # Unbuffered: the response is not closed yet, as while a server is still sending it.
    response = slack.slack.flask_client.post(slack.slack.path, data=body,
                                             headers=_sign(body, slack.settings.slack_signing_secret,
                                                           None), buffered=False)
    assert response.status_code == 200 and Proposal.select().count() == 1
    assert drain(timeout=5)
    assert slack.fake.calls_to("chat.postMessage") == [], "posted before the answer was sent"
    response.close()
    posts = wait_posts(slack.fake, 2)
    assert {c.args["channel"] for c in posts} >= {WG}


def test_messages_written_outside_a_request_go_at_once(slack):
    """Socket Mode has no HTTP response to wait for: a commit's messages go straight away."""
    from tests.builders import submit

    submit(partnership())
    posts = wait_posts(slack.fake, 2)
    assert {c.args["channel"] for c in posts} == {WG, "U_PROP"}
