"""Working-group and PCC decisions in chat, end to end through signed Slack requests."""
import json
import threading
import time
from datetime import timedelta

from backend.domain import times
from backend.domain.pots import year_figures
from models import AuditRecord, FinancialYear, Member, Proposal
from tests.conftest import SIGNING_SECRET
from tests.slack.requests import SlackClient, datepicker, plain_text
from tests.slack_flows import WG, partnership, propose

ADMIN, CHAIR, PARTNER = "U_ADMIN", "U0CHAIR01", "U_ALICE"


def ephemeral_text(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["text"] if response.get_data() else ""


def wait(predicate, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def buttons_of(call):
    blocks = call.arg("blocks") or []
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def post_of(fake, ref):
    """The latest post or update of a proposal in the working-group channel."""
    calls = [c for c in fake.calls if c.method in ("chat.postMessage", "chat.update")
             and ref in (c.args.get("text") or "") and c.args.get("channel", "").startswith("C")]
    return calls[-1] if calls else None


def click(harness, post, action_id, user):
    button = buttons_of(post)[action_id]
    return harness.slack.action(action_id, button["value"], user_id=user,
                                channel_id=post.args["channel"],
                                message_ts=post.args.get("ts") or "1.1")


def fill_form(harness, user, **answers):
    view = wait(lambda: harness.fake.calls_to("views.open"))[-1].arg("view")
    values = {}
    for block, value in answers.items():
        values[block] = {"value": datepicker(value) if block == "date" else plain_text(value)}
    return harness.slack.submit_view(view["callback_id"], values, user_id=user,
                                     private_metadata=view["private_metadata"])


def make_chair(harness):
    text = ephemeral_text(harness.slack.command(f"role <@{CHAIR}|chris> chair", user_id=ADMIN))
    assert "is now a working-group or CSP chair" in text


def schedule_meeting(harness):
    harness.slack.command("meeting", user_id=ADMIN)
    view = harness.fake.last("views.open").arg("view")
    today = times.today_local()
    values = {"title": {"value": plain_text("April working group")},
              "held_date": {"value": datepicker((today + timedelta(days=14)).isoformat())},
              "held_time": {"value": {"type": "timepicker", "selected_time": "14:00"}},
              "cutoff_date": {"value": datepicker((today + timedelta(days=7)).isoformat())},
              "cutoff_time": {"value": {"type": "timepicker", "selected_time": "17:00"}}}
    response = harness.slack.submit_view(view["callback_id"], values, user_id=ADMIN,
                                         private_metadata=view["private_metadata"])
    assert response.status_code == 200 and not response.get_data(), response.get_data(as_text=True)


def test_the_whole_upfront_and_tactical_life(slack, monkeypatch):
    year = partnership(900_000)  # upfront £6,000, tactical £3,000
    make_chair(slack)
    schedule_meeting(slack)
    propose(slack, title="Safer streets", amount="4,000")
    propose(slack, title="Speed signs", amount="1,500")
    wait(lambda: Proposal.select().where(Proposal.post_ts != "").count() == 2)
    text = ephemeral_text(slack.slack.command("agenda", user_id=CHAIR))
    assert "Posting 2 agenda items" in text
    wait(lambda: len([c for c in slack.fake.calls_to("chat.postMessage")
                      if (c.args.get("text") or "").startswith("Agenda item")]) == 2)

    first = post_of(slack.fake, "CRG-2024/25-001")
    assert set(buttons_of(first)) == {"decide_shortlist", "decide_support", "decide_request_changes",
                                      "decide_defer", "decide_decline"}
    assert "confirm" in buttons_of(first)["decide_shortlist"]
    click(slack, first, "decide_shortlist", CHAIR)
    wait(lambda: Proposal.get(Proposal.number == 1).status == "shortlisted")
    updated = wait(lambda: [c for c in slack.fake.calls_to("chat.update")
                            if "Shortlisted" in c.args["text"]])
    assert "decide_support" in buttons_of(updated[-1]) and "decide_shortlist" not in buttons_of(updated[-1])
    dm = wait(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                       if c.args["channel"] == PARTNER and "shortlisted" in c.args["text"]])
    assert f"<@{CHAIR}>" in dm[0].args["text"]

    click(slack, post_of(slack.fake, "CRG-2024/25-001"), "decide_support", CHAIR)
    wait(lambda: Proposal.get(Proposal.number == 1).status == "supported")

    second = post_of(slack.fake, "CRG-2024/25-002")
    click(slack, second, "decide_decline", CHAIR)
    assert fill_form(slack, CHAIR, reason="").get_json()["response_action"] == "errors"
    assert fill_form(slack, CHAIR, reason="Funded by the highways team").status_code == 200
    assert Proposal.get(Proposal.number == 2).status == "declined"
    wait(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                  if c.args["channel"] == PARTNER and "highways team" in c.args["text"]])

    # The meeting's cut-off passes: no more upfront proposals can come, so the last decision
    # will close the upfront round.
    later = times.now() + timedelta(days=8)
    monkeypatch.setattr(times, "now", lambda: later)
    post = wait(lambda: post_of(slack.fake, "Supported"))
    click(slack, post, "decide_submit_to_opcc", ADMIN)
    assert fill_form(slack, ADMIN, date=times.today_local().isoformat()).status_code == 200
    post = wait(lambda: post_of(slack.fake, "Business case with the OPCC"))
    click(slack, post, "decide_approve", ADMIN)
    answer = fill_form(slack, ADMIN, amount="3,800", reference="OPCC/24/17")
    assert answer.status_code == 200 and not answer.get_data()
    first = Proposal.get(Proposal.number == 1)
    assert (first.status, first.approved_pence) == ("approved", 380_000)

    opened = wait(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                           if c.args["channel"] == WG and "tactical" in c.args["text"]
                           and "now open" in c.args["text"]])
    assert "£2,200 of uncommitted upfront money" in opened[0].args["text"]
    assert "£5,200 available" in opened[0].args["text"]

    propose(slack, title="CPD event", amount="2,000", pot="tactical")
    tactical = wait(lambda: post_of(slack.fake, "CRG-2024/25-003"))
    assert set(buttons_of(tactical)) == {"decide_support", "decide_request_changes", "decide_decline"}
    click(slack, tactical, "decide_support", CHAIR)
    wait(lambda: Proposal.get(Proposal.number == 3).status == "supported")
    click(slack, wait(lambda: post_of(slack.fake, "CRG-2024/25-003 “CPD event” (Supported")),
          "decide_submit_to_opcc", ADMIN)
    fill_form(slack, ADMIN, date=times.today_local().isoformat())
    click(slack, wait(lambda: post_of(slack.fake, "CRG-2024/25-003 “CPD event” (Business")),
          "decide_approve", ADMIN)
    fill_form(slack, ADMIN, amount="2,000")
    pots = year_figures(FinancialYear.get_by_id(year.id)).pots
    assert pots["tactical"].committed == 200_000 and pots["upfront"].committed == 380_000
    history = ephemeral_text(slack.slack.command("show 1"))
    assert "CRG-2024/25-001" in history


def test_forged_or_replayed_buttons_change_nothing_and_are_audited(slack):
    partnership()
    propose(slack)
    post = wait(lambda: post_of(slack.fake, "CRG-2024/25-001"))
    click(slack, post, "decide_shortlist", "U_BOB")
    refusal = wait(lambda: slack.fake.calls_to("chat.postEphemeral"))[-1]
    assert refusal.args["user"] == "U_BOB" and "Only a working-group or CSP chair" in refusal.args["text"]
    assert Proposal.get().status == "submitted"
    denied = AuditRecord.get(AuditRecord.action == "denied")
    assert denied.actor.startswith("U_BOB") and "shortlist" in denied.after

    click(slack, post, "decide_shortlist", ADMIN)
    wait(lambda: Proposal.get().status == "shortlisted")
    click(slack, post, "decide_support", ADMIN)  # an old button: it still says "submitted"
    replay = wait(lambda: [c for c in slack.fake.calls_to("chat.postEphemeral")
                           if "already shortlisted" in c.args["text"]])
    assert replay and Proposal.get().status == "shortlisted"


def test_double_clicks_and_retries_record_one_decision(slack):
    partnership()
    propose(slack)
    post = wait(lambda: post_of(slack.fake, "CRG-2024/25-001"))
    button = buttons_of(post)["decide_shortlist"]
    for retry in (None, 1, 2):
        slack.slack.action("decide_shortlist", button["value"], user_id=ADMIN,
                           channel_id=WG, message_ts="1.1", retry_num=retry)
    wait(lambda: Proposal.get().status == "shortlisted")
    assert AuditRecord.select().where(AuditRecord.action == "proposal.shortlist").count() == 1


def test_roles_are_granted_by_admins_only(slack):
    partnership()
    assert "Only a community safety team admin can grant roles" in ephemeral_text(
        slack.slack.command(f"role <@{CHAIR}|chris> chair", user_id=PARTNER))
    make_chair(slack)
    assert Member.get(Member.slack_user_id == CHAIR).role == "chair"
    listing = ephemeral_text(slack.slack.command("role"))
    assert f"<@{CHAIR}>" in listing and "chair" in listing
    assert "not a role" in ephemeral_text(slack.slack.command(f"role <@{CHAIR}> boss", user_id=ADMIN))


def test_variation_and_cancellation_record_the_opcc_consent(slack):
    year = partnership()
    make_chair(slack)
    propose(slack, amount="3,000")
    steps = (("(Submitted)", "decide_support", CHAIR, None),
             ("(Supported", "decide_submit_to_opcc", ADMIN, {"date": "2024-06-01"}),
             ("(Business case", "decide_approve", ADMIN, {"amount": "3,000"}))
    for shown, action, user, answers in steps:
        click(slack, wait(lambda: post_of(slack.fake, shown)), action, user)
        if answers:
            fill_form(slack, user, **answers)
    click(slack, wait(lambda: post_of(slack.fake, "Approved by the PCC")), "decide_vary", ADMIN)
    assert "consent" in json.dumps(fill_form(slack, ADMIN, amount="2,000", consent="").get_json())
    fill_form(slack, ADMIN, amount="2,000", consent="OPCC email 3 June")
    assert Proposal.get().approved_pence == 200_000
    pots = year_figures(FinancialYear.get_by_id(year.id)).pots
    assert pots["tactical"].allocated == 900_000 - 200_000


def test_closing_the_upfront_round_by_hand(slack):
    partnership()
    assert "Only a community safety team admin" in ephemeral_text(
        slack.slack.command("close-upfront", user_id=PARTNER))
    text = ephemeral_text(slack.slack.command("close-upfront", user_id=ADMIN))
    assert "£6,000 rolled into the tactical pot" in text
    wait(lambda: [c for c in slack.fake.calls_to("chat.postMessage")
                  if c.args["channel"] == WG and "£9,000 available" in c.args["text"]])
    assert "already closed" in ephemeral_text(slack.slack.command("close-upfront", user_id=ADMIN))


def test_a_chair_is_warned_when_support_passes_what_the_pot_holds(slack):
    partnership()  # upfront £6,000
    make_chair(slack)
    propose(slack, title="First", amount="4,000")
    propose(slack, title="Second", amount="3,000")
    for ref in ("CRG-2024/25-001", "CRG-2024/25-002"):
        click(slack, wait(lambda: post_of(slack.fake, ref)), "decide_support", CHAIR)
    warning = wait(lambda: [c for c in slack.fake.calls_to("chat.postEphemeral")
                            if c.args["user"] == CHAIR and "earmark" not in c.args["text"]
                            and "£7,000, more than the £6,000" in c.args["text"]])
    assert warning
    pots = ephemeral_text(slack.slack.command("pots"))
    assert pots  # the summary text; the blocks carry the earmark
    blocks = json.dumps(slack.slack.command("pots").get_json()["blocks"], ensure_ascii=False)
    assert "earmarked £7,000" in blocks


def test_two_chairs_clicking_at_once_on_the_same_proposal(slack):
    partnership()
    propose(slack)
    post = wait(lambda: post_of(slack.fake, "CRG-2024/25-001"))
    value = buttons_of(post)["decide_shortlist"]["value"]
    barrier = threading.Barrier(2)

    def chair(action_id, user):
        own_client = SlackClient(slack.app.test_client(), SIGNING_SECRET, fake=slack.fake)
        barrier.wait()
        own_client.action(
            action_id, value, user_id=user, channel_id=WG, message_ts="1.1")

    threads = [threading.Thread(target=chair, args=("decide_shortlist", ADMIN)),
               threading.Thread(target=chair, args=("decide_support", "U_ADMIN"))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    decided = AuditRecord.select().where(AuditRecord.action.in_(
        ["proposal.shortlist", "proposal.support"])).count()
    assert decided == 1
    loser = wait(lambda: [c for c in slack.fake.calls_to("chat.postEphemeral")
                          if "already" in c.args["text"]])
    assert "so it cannot be" in loser[0].args["text"]
