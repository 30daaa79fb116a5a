"""The other `/crg` commands, the App Home, partnership context, and failure handling."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.domain import decisions, proposals
from backend.domain.audit import DENIED
from models import AuditRecord, Partnership, Proposal
from tests.builders import ADMIN
from tests.slack_flows import form_values, opened_form, partnership, propose, submit_form


def ephemeral(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["response_type"] == "ephemeral"
    return body


def all_text(body):
    return body["text"] + json.dumps(body.get("blocks") or [], ensure_ascii=False)


def test_pots_list_show_and_mine(slack):
    partnership(4_500_100)
    propose(slack, title="Bike marking", amount="4,500")
    pots = all_text(ephemeral(slack.slack.command("pots")))
    assert "£30,000 available of £30,000" in pots and "locked" in pots
    listing = all_text(ephemeral(slack.slack.command("list submitted")))
    assert "CRG-2024/25-001" in listing and "Bike marking" in listing
    assert "is not a status" in ephemeral(slack.slack.command("list bananas"))["text"]
    shown = all_text(ephemeral(slack.slack.command("show CRG-2024/25-001")))
    assert "History" in shown and "submit" in shown and "£4,500" in shown
    mine = all_text(ephemeral(slack.slack.command("mine", channel_id="D_ALICE")))
    assert "Bike marking" in mine
    assert "no proposal" in ephemeral(slack.slack.command("show 42"))["text"]


def test_withdraw_updates_the_channel_post(slack):
    partnership()
    propose(slack)
    slack.fake.wait_for("chat.postMessage", count=2)
    _wait_for_post()
    reply = ephemeral(slack.slack.command("withdraw CRG-2024/25-001"))
    assert "is withdrawn" in reply["text"]
    update = slack.fake.wait_for("chat.update")[0]
    assert "Withdrawn" in update.args["text"]
    again = ephemeral(slack.slack.command("withdraw CRG-2024/25-001"))
    assert "already withdrawn" in again["text"]
    other = ephemeral(slack.slack.command("withdraw", user_id="U_BOB"))
    assert "Say which proposal" in other["text"]


def _wait_for_post():
    import time

    deadline = time.time() + 5
    while time.time() < deadline:
        if Proposal.get().post_ts:
            return
        time.sleep(0.05)
    raise AssertionError("the proposal was never posted")


def test_edit_while_submitted_only(slack):
    partnership()
    propose(slack, amount="2,000")
    slack.fake.reset()
    assert "Only the proposer" in ephemeral(slack.slack.command("edit 1", user_id="U_BOB"))["text"]
    view = opened_form(slack, text="edit CRG-2024/25-001")
    assert view["callback_id"] == "proposal_edit"
    amount = next(b for b in view["blocks"] if b.get("block_id") == "amount")
    assert amount["element"]["initial_value"] == "2,000"
    response = submit_form(slack, view, form_values(amount="1,750", title="Smaller"))
    assert response.status_code == 200 and not response.get_data(as_text=True)
    assert Proposal.get().amount_pence == 175_000 and Proposal.get().title == "Smaller"
    decisions.decide(ADMIN, Proposal.get().id, "shortlist")
    assert "can no longer be edited" in ephemeral(slack.slack.command("edit 1"))["text"]


def test_a_dm_uses_the_persons_partnership_or_asks(slack):
    partnership(name="Northshire CSP", channel="C_NORTH")
    partnership(name="Southshire CSP", channel="C_SOUTH")
    question = ephemeral(slack.slack.command("pots", channel_id="D_ALICE"))
    buttons = question["blocks"][1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Northshire CSP", "Southshire CSP"]
    slack.slack.action(buttons[1]["action_id"], buttons[1]["value"], channel_id="D_ALICE")
    answer = slack.fake.responses[-1].args
    assert "Southshire CSP" in answer["text"] and answer["replace_original"] is True
    propose(slack, channel_id="C_NORTH")
    assert "Northshire" in ephemeral(slack.slack.command("pots", channel_id="D_ALICE"))["text"]


def test_app_home_shows_my_proposals_and_pots(slack):
    partnership()
    propose(slack, title="Bike marking")
    slack.fake.reset()
    assert slack.slack.event({"type": "app_home_opened", "user": "U_ALICE", "tab": "home",
                              "channel": "D_ALICE", "event_ts": "1.2"}).status_code == 200
    view = slack.fake.wait_for("views.publish")[0].arg("view")
    text = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home" and "Bike marking" in text and "£6,000 available" in text
    propose_button = view["blocks"][2]["elements"][0]
    slack.slack.action(propose_button["action_id"], propose_button["value"],
                       view={"id": "VHOME", "type": "home", "state": {"values": {}},
                             "callback_id": "", "private_metadata": ""})
    assert slack.fake.wait_for("views.open")[0].arg("view")["callback_id"] == "proposal_submit"


def test_an_unexpected_error_says_nothing_was_saved_with_a_reference(slack, monkeypatch, caplog):
    partnership()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(proposals, "list_for_person", broken)
    body = ephemeral(slack.slack.command("mine"))
    assert "nothing was saved" in body["text"] and "reference" in body["text"]
    reference = body["text"].split("`")[1]
    assert any(getattr(r, "crg_fields", {}).get("reference") == reference
               for r in caplog.records)
    view = opened_form(slack)
    monkeypatch.setattr(proposals, "submit", broken)
    answer = submit_form(slack, view, form_values()).get_json()
    assert answer["response_action"] == "update" and "nothing was saved" in json.dumps(answer)


def test_without_slack_secrets_the_endpoint_says_what_to_set(db_url):
    from backend.settings import Settings
    from backend.web.app import create_app

    client = create_app(Settings(database_url=db_url)).test_client()
    response = client.post("/slack/events", data="x")
    assert response.status_code == 503 and "SLACK_SIGNING_SECRET" in response.get_json()["error"]


words = st.sampled_from(["propose", "pots", "list", "show", "mine", "withdraw", "edit", "help",
                         "2024/25", "CRG-2024/25-001", "999", "<!channel>", "@here", "£5", "",
                         "submitted", "%", "'; drop table proposal; --", "\u202e", "x" * 300])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(words, st.text(max_size=30)), max_size=5))
def test_fuzzed_commands_never_fail_and_never_save(slack, parts):
    if not Partnership.select().where(Partnership.name == "Fuzz CSP").exists():
        partnership(name="Fuzz CSP", channel="C_FUZZ")
    changes = AuditRecord.select().where(AuditRecord.action != DENIED)  # refusals are kept too
    before = (Proposal.select().count(), changes.count())
    response = slack.slack.command(" ".join(parts), channel_id="C_FUZZ")
    assert response.status_code == 200
    if response.get_data():
        body = response.get_json()
        assert body["response_type"] == "ephemeral" and "Traceback" not in body["text"]
        assert "something went wrong" not in body["text"].lower()
    withdrew = bool(parts) and parts[0] == "withdraw"
    assert (Proposal.select().count(), changes.count()) == before or withdrew
