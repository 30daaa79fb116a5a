"""Every refused attempt is on the record, in plain words, and no form opens for someone who
may not use it; the refusal is said where they acted and names who may.

A member of the workspace with no role tries everything an admin, chair or finance officer may
do, through signed Slack requests, forged ones included: each attempt changes nothing, is
answered with who may, and leaves one audit record saying what was tried.
"""
import json
from datetime import datetime

from backend.domain import deadlines, people
from backend.domain.actors import Actor
from backend.domain.audit import DENIED
from bot.background import drain
from models import AuditRecord, Deadline, Meeting, Member, Proposal
from tests.builders import ADMIN, approved, submit, to_opcc
from tests.slack.requests import datepicker, plain_text, static_select
from tests.slack_flows import WG, partnership

NOBODY, CHAIR, OTHER_CHAIR = "U0NOROLE1", "U0CHAIR01", "U0CHAIR02"


def denials(user=NOBODY) -> list[dict]:
    return [json.loads(a.after) for a in AuditRecord.select().where(
        (AuditRecord.action == DENIED) & AuditRecord.actor.startswith(user))
        .order_by(AuditRecord.id)]


def said(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["text"] if response.get_data() else ""


def told(harness, user=NOBODY) -> list[str]:
    assert drain(timeout=15)
    return [c.args["text"] for c in harness.fake.calls
            if c.method in ("chat.postEphemeral", "chat.postMessage")
            and user in (c.args.get("user"), c.args.get("channel"))]


def test_every_refused_command_is_recorded_in_plain_words(slack, frozen_now):
    frozen_now(datetime(2024, 4, 2, 9, 0))
    year = partnership()
    line = approved(year, "1,000")
    from backend.domain import spend

    entry = spend.record(ADMIN, line, 10_000, datetime(2024, 5, 1).date(), "Kit")
    deadline = deadlines.add(ADMIN, year.partnership_id, "other", "Test deadline",
                             datetime(2024, 6, 1, 17, 0))
    before = {model: model.select().count() for model in (Member, Meeting, Deadline, Proposal)}
    attempts = {
        "role <@U0NOROLE1> admin": "tried to grant themselves admin",
        "login": "tried to sign in to the finance page",
        "export": "tried to export the spend sheet",
        "export all": "tried to export every partnership's spend sheet",
        "meeting": "tried to schedule working-group meetings",
        "agenda": "tried to post the agenda",
        f"spend reverse {entry.id} wrong": "tried to correct spend",
        "spend leads on": "tried to choose who records spend",
        "close-upfront": "tried to close the upfront round",
        f"deadline cancel {deadline.id}": "tried to cancel deadlines",
        "deadline": "tried to add deadlines",
        f"deadline move {deadline.id}": "tried to move deadlines",
    }
    for command, attempted in attempts.items():
        answer = said(slack.slack.command(command, user_id=NOBODY))
        assert answer.startswith("Only "), (command, answer)  # who may, in a sentence
        assert denials()[-1] == {"attempted": attempted, "refused": answer}, command
    assert len(denials()) == len(attempts)
    assert slack.fake.calls_to("views.open") == []  # no form opened for anyone refused
    assert {model: model.select().count() for model in before} == before


def test_forged_forms_and_choices_are_refused_and_recorded(slack, frozen_now):
    frozen_now(datetime(2024, 4, 2, 9, 0))
    year = partnership()
    other = partnership(name="Elsewhere CSP", channel="C_ELSEWHERE")
    deadline = deadlines.add(ADMIN, year.partnership_id, "other", "Test deadline",
                             datetime(2024, 6, 1, 17, 0))
    when = {"date": {"value": datepicker("2024-06-10")},
            "time": {"value": {"type": "timepicker", "selected_time": "12:00"}}}
    forged = [
        ("meeting_form", {"held_date": {"value": datepicker("2024-04-28")},
                          "held_time": {"value": {"type": "timepicker", "selected_time": "10:00"}},
                          "cutoff_date": {"value": datepicker("2024-04-20")},
                          "cutoff_time": {"value": {"type": "timepicker",
                                                    "selected_time": "17:00"}},
                          "title": {"value": plain_text("Forged meeting")}},
         {"year": year.id}, "tried to schedule working-group meetings"),
        ("deadline_add", {"kind": {"value": static_select("other", "Other")},
                          "title": {"value": plain_text("Forged")}, **when},
         {"p": year.partnership_id}, "tried to add deadlines"),
        ("deadline_move", when, {"d": deadline.id}, "tried to move deadlines"),
    ]
    for callback, values, meta, attempted in forged:
        response = slack.slack.submit_view(callback, values, user_id=NOBODY,
                                           private_metadata=json.dumps(meta))
        errors = response.get_json()["errors"]
        assert any(m.startswith("Only ") for m in errors.values()), errors
        assert denials()[-1]["attempted"] == attempted
    assert Meeting.select().count() == 0 and Deadline.get_by_id(deadline.id).due_at.day == 1

    # A choice of partnership the person was never offered (they belong to the first one)
    people.grant(ADMIN, year.partnership_id, NOBODY, "partner")
    submit(year, who=Actor(NOBODY, "No Role"))
    slack.slack.action("pick_partnership_1", json.dumps({"p": other.partnership_id,
                                                         "cmd": "pots"}), user_id=NOBODY)
    assert denials()[-1]["attempted"] == "tried to act in a partnership they are not in"
    answer = slack.fake.responses[-1].args["text"]
    assert "not one of your partnerships" in answer


def test_no_decision_form_opens_for_someone_who_may_not_decide(slack):
    """A member with no role pressing PCC approved (or any decision with a form) is told who may
    where they pressed, the attempt is recorded, and no form opens with the project's figures."""
    year = partnership()
    pid = submit(year, amount="2,000")
    to_opcc(pid)
    value = json.dumps({"p": pid, "s": "submitted_to_opcc"})
    for action in ("approve", "pcc_decline", "submit_to_opcc", "decline"):
        slack.slack.action(f"decide_{action}", value, user_id=NOBODY, channel_id=WG)
    assert slack.fake.calls_to("views.open") == []
    answers = told(slack)
    assert len(answers) == 4 and all(a.startswith("Only ") or "already" in a for a in answers)
    attempted = [d["attempted"] for d in denials()]
    assert "tried to record the PCC's decision" in attempted
    assert Proposal.get_by_id(pid).status == "submitted_to_opcc"


def test_a_refusal_never_names_a_refused_attempt_as_the_decider(slack):
    """Chair A supports; a partner's click is refused (and recorded); chair B, too late, is told
    it was already supported by chair A, not by the partner whose click changed nothing."""
    year = partnership()
    for chair in (CHAIR, OTHER_CHAIR):
        people.grant(ADMIN, year.partnership_id, chair, "chair")
    pid = submit(year, amount="2,000")
    value = json.dumps({"p": pid, "s": "submitted"})
    slack.slack.action("decide_support", value, user_id=CHAIR, channel_id=WG)
    slack.slack.action("decide_support", value, user_id=NOBODY, channel_id=WG)
    slack.slack.action("decide_support", value, user_id=OTHER_CHAIR, channel_id=WG)
    late = told(slack, OTHER_CHAIR)
    assert len(late) == 1 and "already supported by" in late[0], late
    assert CHAIR in late[0] or "Chair" in late[0]
    assert NOBODY not in late[0]
