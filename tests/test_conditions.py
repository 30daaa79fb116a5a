"""The grant's conditions: a partnership's template, attached to each project the PCC approves,
met by its lead and accepted by an admin; money waits on those due before release. The domain
directly, the command line as a process, and Slack through signed requests."""
import io
import json

import openpyxl
import pytest

from backend.domain import conditions, people, spend
from backend.domain.actors import Actor
from backend.domain.errors import Conflict, InvalidInput, NotAllowed
from backend.domain.exports import service
from bot.background import drain
from models import AuditRecord, FinanceChannel
from tests.builders import ADMIN, approved, submit as propose_only, to_opcc
from tests.slack.requests import plain_text
from tests.slack_flows import partnership, texts_to
from tests.test_slack_finance import FINANCE, LEAD, PARTNER, REF, opened, refused_before_the_form
from tests.test_slack_finance import submit as submit_form
from tests.slack.channels import bot_channels
from tests.test_slack_setup import reply_text


def usual(year, title="Signed grant agreement", due="release", needs_file=False):
    return conditions.add_template(ADMIN, year.partnership_id, title, "Signed by the lead.", due,
                                   needs_file)


def test_the_template_is_copied_onto_each_project_as_the_pcc_approves_it(db):
    year = partnership()
    agreement = usual(year)
    logo = usual(year, "PCC logo on publicity", "ongoing")
    first = approved(year, "1,000")
    conditions.edit_template(ADMIN, agreement.id, "Signed grant agreement (2024 form)", "",
                             "release")
    conditions.retire_template(ADMIN, logo.id)
    second = approved(year, "1,000", pot="tactical")
    assert [c.title for c in conditions.for_project(first)] == [
        "Signed grant agreement", "PCC logo on publicity"]  # what it agreed to, kept
    assert [c.title for c in conditions.for_project(second)] == [
        "Signed grant agreement (2024 form)"]
    assert [t.title for t in conditions.templates(year.partnership_id)] == [
        "Signed grant agreement (2024 form)"]
    actions = [a.action for a in AuditRecord.select().where(
        AuditRecord.action.startswith("condition_template."))]
    assert actions == ["condition_template.add"] * 2 + ["condition_template.edit",
                                                        "condition_template.retire"]
    with pytest.raises(NotAllowed, match="Only a community safety team admin"):
        conditions.add_template(Actor(PARTNER), year.partnership_id, "x", "", "ongoing")
    with pytest.raises(InvalidInput) as wrong:
        conditions.add_template(ADMIN, year.partnership_id, "x", "", "someday")
    assert wrong.value.field == "due"


def test_spend_waits_for_release_conditions_and_each_step_is_checked(db):
    year = partnership()
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    usual(year)
    usual(year, "DBS checks", "release")
    usual(year, "Year-end return", "year_end")
    pid = approved(year, "2,000")
    agreement, dbs, _ = conditions.for_project(pid)
    from datetime import date
    with pytest.raises(Conflict) as refused:
        spend.record(Actor(FINANCE), pid, 10_000, date(2024, 9, 1), "Venue")
    assert "“Signed grant agreement”; “DBS checks”" in refused.value.message
    with pytest.raises(Conflict, match="has not been marked met"):
        conditions.accept(ADMIN, agreement.id)
    with pytest.raises(NotAllowed, match="Only the project's lead or an admin"):
        conditions.mark_met(Actor(PARTNER), agreement.id, "done")
    with pytest.raises(InvalidInput, match="Say why"):
        conditions.waive(ADMIN, dbs.id, "  ")
    conditions.mark_met(Actor(LEAD), agreement.id, "Signed on 2 May")
    conditions.send_back(ADMIN, agreement.id, "Unsigned copy")
    assert conditions.get(agreement.id).state == "outstanding"
    conditions.mark_met(Actor(LEAD), agreement.id, "Signed copy this time")
    conditions.accept(ADMIN, agreement.id)
    conditions.waive(ADMIN, dbs.id, "No work with children or vulnerable adults")
    line = spend.record(Actor(FINANCE), pid, 10_000, date(2024, 9, 1), "Venue")
    assert line.amount_pence == 10_000  # the year-end condition does not hold money back
    with pytest.raises(Conflict, match="waived already"):
        conditions.waive(ADMIN, dbs.id, "again")

    # The spend sheet (the monitoring return) lists them, the outstanding one marked.
    out = io.BytesIO()
    service.write_spend_sheet(service.select(ADMIN, year.partnership_id, "2024/25"), out)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["Summary", "Projects", "Spend", "Decisions", "Conditions", "Scoring"]
    rows = [r for r in book["Conditions"].iter_rows(min_row=2, values_only=True) if r[2]]
    assert [(r[4], r[6], r[7]) for r in rows] == [
        ("Signed grant agreement", "Met", "No"), ("DBS checks", "Waived", "No"),
        ("Year-end return", "Outstanding", "Yes")]


def test_the_command_line_keeps_the_template_and_a_projects_conditions(crg, db):
    year = partnership(name="Westshire CSP")
    out = crg("conditions", "add", "Westshire CSP", "--title", "Signed grant agreement",
              "--due", "release", "--needs-file")
    assert "Signed grant agreement  (before any money is released, needs a file)" in out
    assert "#1  Signed grant agreement" in crg("conditions", "list", "Westshire CSP")
    approved(year, "1,000")
    assert "outstanding" in crg("conditions", "project", "Westshire CSP", "2024/25-1")
    refused = crg("spend", "record", "Westshire CSP", "2024/25-1", "100", "--date", "2024-09-01",
                  "--for", "Venue", ok=False)
    assert "No money can be released on CRG-2024/25-001" in refused
    assert "needs a file" in crg("conditions", "met", "1", "--note", "Signed", ok=False)
    assert "waived" in crg("conditions", "waive", "1", "--reason", "Signed on paper, filed")
    assert "Recorded spend line" in crg("spend", "record", "Westshire CSP", "2024/25-1", "100",
                                        "--date", "2024-09-01", "--for", "Venue")


# ------------------------------------------------------------------ in Slack


def test_an_admin_adds_a_usual_condition_by_form_and_a_partner_is_refused_first(slack):
    year = partnership()
    people.grant(ADMIN, year.partnership_id, "U0TEAM01", "admin")
    said = refused_before_the_form(slack, "conditions add", PARTNER)
    assert said.startswith("Only a community safety team admin can change the partnership's "
                           "grant conditions")
    view = opened(slack, "conditions add", "U0TEAM01")
    assert view["callback_id"] == "condition_template"
    values = {"title": {"value": plain_text("")},
              "explanation": {"value": plain_text("")},
              "due": {"value": {"type": "radio_buttons", "selected_option": None}},
              "needs_file": {"value": {"type": "checkboxes", "selected_options": []}}}
    errors = submit_form(slack, view, values, "U0TEAM01")
    assert set(errors) == {"title"}
    values["title"] = {"value": plain_text("Signed grant agreement")}
    values["due"] = {"value": {"type": "radio_buttons", "selected_option": {
        "value": "release", "text": {"type": "plain_text", "text": "Before release"}}}}
    values["needs_file"] = {"value": {"type": "checkboxes", "selected_options": [{
        "value": "yes", "text": {"type": "plain_text", "text": "File"}}]}}
    assert submit_form(slack, view, values, "U0TEAM01") == {}
    [made] = conditions.templates(year.partnership_id)
    assert (made.title, made.due, made.needs_file) == ("Signed grant agreement", "release", True)
    listed = slack.slack.command("conditions", user_id=PARTNER).get_json()["text"]
    assert "#1 *Signed grant agreement* · before any money is released · needs a file" in listed


def test_a_projects_conditions_in_slack_buttons_show_and_the_home_tab(slack):
    year = partnership()
    usual(year)
    usual(year, "PCC logo on publicity", "ongoing")
    pid = approved(year, "2,000")
    agreement, logo = conditions.for_project(pid)
    lead_sees = slack.slack.command(f"conditions {REF}", user_id=LEAD).get_json()
    buttons = [e["action_id"] for b in lead_sees["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert buttons == ["condition_met", "condition_met"]
    admin_sees = slack.slack.command(f"conditions {REF}", user_id="U_ADMIN").get_json()
    assert "condition_waive" in json.dumps(admin_sees["blocks"])
    shown = json.dumps(slack.slack.command(f"show {REF}", user_id=PARTNER).get_json()["blocks"])
    assert "Signed grant agreement" in shown and "outstanding" in shown

    # Waive, by the button's form, with a reason; the lead hears.
    slack.slack.action("condition_waive", str(logo.id), user_id="U_ADMIN", channel_id="C_WG")
    view = slack.fake.wait_for("views.open")[-1].arg("view")
    assert view["callback_id"] == "condition_waive"
    assert "reason" in submit_form(slack, view, {"reason": {"value": plain_text(" ")}}, "U_ADMIN")
    assert submit_form(slack, view, {"reason": {"value": plain_text("No publicity planned")}},
                       "U_ADMIN") == {}
    assert drain(timeout=15)
    assert conditions.get(logo.id).state == "waived"
    assert any("“PCC logo on publicity” was waived on CRG-2024/25-001" in t
               for t in texts_to(slack.fake, LEAD))
    # A partner pressing Mark met is told why, and no form opens.
    before = len(slack.fake.calls_to("views.open"))
    slack.slack.action("condition_met", str(agreement.id), user_id=PARTNER, channel_id="C_WG")
    assert drain(timeout=15)
    assert len(slack.fake.calls_to("views.open")) == before
    assert any("Only the project's lead or an admin" in t
               for t in texts_to(slack.fake, PARTNER, "chat.postEphemeral"))
    # The App Home lists what the lead still has to meet.
    slack.slack.event({"type": "app_home_opened", "user": LEAD, "tab": "home"})
    home = json.dumps(slack.fake.last("views.publish").arg("view"))
    assert "Conditions to meet on CRG-2024/25-001" in home and "Signed grant agreement" in home


def test_an_admin_links_the_finance_channel_claims_go_to(slack):
    year = partnership()
    people.grant(ADMIN, year.partnership_id, "U0TEAM01", "admin")
    with bot_channels() as joined:
        joined.invite("C0FIN001")
        refused = reply_text(slack.slack.command("channel link finance", user_id=FINANCE,
                                                 channel_id="C0FIN001"))
        assert "Only a community safety team admin can link a channel" in refused
        linked = reply_text(slack.slack.command("channel link finance", user_id="U0TEAM01",
                                                channel_id="C0FIN001"))
    assert "Claims of Northshire CSP will be posted here" in linked
    assert FinanceChannel.get().slack_channel_id == "C0FIN001"


def test_a_project_only_supported_has_no_conditions_yet(db):
    year = partnership()
    usual(year)
    pid = propose_only(year, "1,000")
    to_opcc(pid)
    assert conditions.for_project(pid) == []
