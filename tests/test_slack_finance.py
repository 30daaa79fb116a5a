"""Progress, spend, the spend sheets and the finance sign-in link, through signed Slack requests."""
import io
import json
import re
from datetime import date

import openpyxl

from backend.domain import decisions, people, progress, proposals, spend, times
from backend.domain.pots import spent_on, year_figures
from bot.background import drain
from models import AuditRecord, FinancialYear, Proposal
from models.progress import ProgressReport
from tests.builders import ADMIN, approved
from tests.builders import submit as propose_only
from tests.slack.ids import dm_channel_id
from tests.slack.requests import datepicker, plain_text
from tests.slack_flows import WG, partnership, texts_to
from tests.test_exports import Evaluator, pence

LEAD, PARTNER, FINANCE, SUPERADMIN = "U_PROP", "U_ALICE", "U0FINANCE", "U_ADMIN"
REF = "CRG-2024/25-001"


def answer(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["text"] if response.get_data() else ""


def opened(harness, text, user):
    assert answer(harness.slack.command(text, user_id=user)) == ""
    return harness.fake.last("views.open").arg("view")


def submit(harness, view, values, user):
    """The modal's answer: {} when it closed, else the inline errors by block."""
    response = harness.slack.submit_view(view["callback_id"], values, user_id=user,
                                         private_metadata=view["private_metadata"])
    assert response.status_code == 200, response.get_data(as_text=True)
    if not response.get_data():
        return {}
    body = response.get_json()
    assert body["response_action"] == "errors", body
    return body["errors"]


def radio(value):
    return {"type": "radio_buttons",
            "selected_option": None if value is None else {
                "text": {"type": "plain_text", "text": value}, "value": value}}


def report(narrative="Two sessions run", outputs="2 of 6 sessions delivered, 80+ attendees",
           rag="amber", period="Q2"):
    return {"narrative": {"value": plain_text(narrative)},
            "outputs": {"value": plain_text(outputs)},
            "rag": {"value": radio(rag)}, "period": {"value": plain_text(period)}}


def spending(amount="1,250.50", day="2024-09-30", memo="Venue hire", reference="INV-1"):
    return {"amount": {"value": plain_text(amount)}, "date": {"value": datepicker(day)},
            "memo": {"value": plain_text(memo)}, "reference": {"value": plain_text(reference)}}


REPORT = "tried to report progress on CRG-2024/25-001"  # plain words, not function names
SPEND = "tried to record spend on CRG-2024/25-001"
REPORT_2 = "tried to report progress on CRG-2024/25-002"


def funded_project(amount="2,000"):
    year = partnership()
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    return year, approved(year, amount)


# ------------------------------------------------------------------ progress


def test_the_lead_reports_progress_and_show_has_it(slack):
    year, pid = funded_project()
    assert drain(timeout=15)  # its own post has gone out; this stands for it, to be refreshed
    Proposal.update(post_channel=WG, post_ts="1700000000.000100").where(
        Proposal.id == pid).execute()
    view = opened(slack, f"progress {REF}", LEAD)
    assert view["callback_id"] == "progress_report"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert [o["value"] for o in blocks["rag"]["element"]["options"]] == ["red", "amber", "green"]
    assert blocks["period"]["element"]["initial_value"] == progress.default_period(
        times.today_local())
    assert submit(slack, view, report(), LEAD) == {}
    [saved] = progress.reports_for(pid)
    assert (saved.rag, saved.period, saved.outputs) == ("amber", "2024/25 Q2",
                                                       "2 of 6 sessions delivered, 80+ attendees")
    assert drain(timeout=15)
    assert slack.fake.last("chat.update").args["ts"] == "1700000000.000100"
    confirm = slack.fake.last("chat.postEphemeral")
    assert confirm.args["user"] == LEAD and "progress report on CRG-2024/25-001" in \
        confirm.args["text"]
    shown = slack.slack.command(f"show {REF}", user_id=PARTNER).get_json()
    latest = [b for b in shown["blocks"] if "Latest progress" in json.dumps(b)]
    assert latest and "Amber" in latest[0]["text"]["text"] and "80+ attendees" in \
        latest[0]["text"]["text"]


def refused_before_the_form(harness, text, user):
    """The ephemeral refusal of a command that would open a form; asserts no form was opened."""
    before = len(harness.fake.calls_to("views.open"))
    response = harness.slack.command(text, user_id=user)
    assert response.status_code == 200 and response.get_json()["response_type"] == "ephemeral"
    assert len(harness.fake.calls_to("views.open")) == before
    return response.get_json()["text"]


def denials_of(user):
    return [json.loads(a.after) for a in AuditRecord.select().where(
        (AuditRecord.action == "denied") & AuditRecord.actor.startswith(user))
        .order_by(AuditRecord.id)]


def only_they_get_the_form(harness, command, ref, pending, *, refused, allowed, callback, asked):
    """`/crg COMMAND REF` opens the form for each of `allowed`; everyone `refused` (audited once,
    as the service `asked`) and a project not yet approved are answered instead. Returns the
    first refusal."""
    said = [refused_before_the_form(harness, f"{command} {ref}", who) for who in refused]
    for who, sentence in zip(refused, said):
        assert denials_of(who) == [{"attempted": asked, "refused": sentence}]
    assert "is not an approved project" in refused_before_the_form(
        harness, f"{command} {pending}", allowed[0])
    for who in allowed:
        assert opened(harness, f"{command} {ref}", who)["callback_id"] == callback
    return said[0]


def test_progress_refusals_come_before_the_form_and_again_when_it_is_saved(slack):
    year = partnership()
    pending = proposals.get(propose_only(year, "1,000")).ref  # only submitted
    pid = approved(year, "2,000")
    ref = proposals.get(pid).ref
    assert only_they_get_the_form(slack, "progress", ref, pending, refused=[PARTNER],
                                  allowed=[LEAD, SUPERADMIN], callback="progress_report",
                                  asked="tried to report progress on CRG-2024/25-002") == (
        "Only the project's lead (its proposer or named contact) or an admin can report progress "
        "on CRG-2024/25-002.")

    view = opened(slack, f"progress {ref}", LEAD)
    errors = submit(slack, view, report(narrative="  ", rag=None, period="x" * 61), LEAD)
    assert set(errors) == {"narrative", "rag", "period"}
    assert "red, amber or green" in errors["rag"]
    # The form's submission is checked again: someone else's form replayed, a project cancelled.
    assert "Only the project's lead" in submit(slack, view, report(), PARTNER)["narrative"]
    assert [d["attempted"] for d in denials_of(PARTNER)] == [REPORT_2, REPORT_2]
    decisions.cancel(ADMIN, pid, "OPCC email 1 June")
    assert "not an approved project" in submit(slack, view, report(), LEAD)["narrative"]
    assert ProgressReport.select().count() == 0
    assert "no proposal CRG-2024/25-099" in answer(slack.slack.command("progress 99",
                                                                       user_id=LEAD))
    assert "Say which project" in answer(slack.slack.command("progress", user_id=LEAD))


def test_the_reminders_button_opens_the_same_form(slack):
    year, pid = funded_project()
    response = slack.slack.action("progress_open", str(pid), user_id=LEAD,
                                  channel_id=dm_channel_id(LEAD))
    assert response.status_code == 200
    view = slack.fake.wait_for("views.open")[-1].arg("view")
    assert view["callback_id"] == "progress_report"
    assert json.loads(view["private_metadata"])["proposal_id"] == pid
    assert submit(slack, view, report(rag="green"), LEAD) == {}
    assert drain(timeout=15)
    assert any("is saved (Green)" in t for t in texts_to(slack.fake, LEAD))  # by DM
    slack.slack.action("progress_open", "not-a-number", user_id=LEAD,
                       channel_id=dm_channel_id(LEAD))
    assert drain(timeout=15)  # said where the button was pressed
    assert any("does not exist" in t for t in texts_to(slack.fake, LEAD, "chat.postEphemeral"))


def test_the_reminders_button_tells_anyone_else_why_instead_of_opening_the_form(slack):
    year, pid = funded_project()
    slack.slack.action("progress_open", str(pid), user_id=PARTNER,
                       channel_id=dm_channel_id(PARTNER))
    assert drain(timeout=15)  # said where the button was pressed
    assert texts_to(slack.fake, PARTNER, "chat.postEphemeral") == [
        "Only the project's lead (its proposer or named contact) or an admin can report "
        "progress on CRG-2024/25-001."]
    assert slack.fake.calls_to("views.open") == []
    assert [d["attempted"] for d in denials_of(PARTNER)] == [REPORT]
    decisions.cancel(ADMIN, pid, "OPCC email 1 June")
    slack.slack.action("progress_open", str(pid), user_id=LEAD, channel_id=dm_channel_id(LEAD))
    assert drain(timeout=15)
    assert any("is not an approved project" in t
               for t in texts_to(slack.fake, LEAD, "chat.postEphemeral"))
    assert slack.fake.calls_to("views.open") == []


# ------------------------------------------------------------------ spend


def test_finance_records_spend_and_every_refusal_is_against_its_field(slack):
    year, pid = funded_project("2,000")
    view = opened(slack, f"spend {REF}", FINANCE)
    assert view["callback_id"] == "spend_record"
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["amount", "date", "memo", "reference"]
    assert inputs["date"]["element"]["initial_date"] == "2025-03-31"  # the year is over
    assert "Approved £2,000 · spent so far £0" in json.dumps(view["blocks"], ensure_ascii=False)
    assert "left to spend" in submit(slack, view, spending(amount="2,000.01"), FINANCE)["amount"]
    assert "outside 2024/25" in submit(slack, view, spending(day="2025-04-01"), FINANCE)["date"]
    assert "not an amount" in submit(slack, view, spending(amount="5e3"), FINANCE)["amount"]
    assert "Say what the money" in submit(slack, view, spending(memo=""), FINANCE)["memo"]
    assert "from the calendar" in submit(slack, view, spending(day=None), FINANCE)["date"]
    assert "Only finance staff" in submit(slack, view, spending(), PARTNER)["amount"]
    assert "Only finance staff" in submit(slack, view, spending(), LEAD)["amount"]
    assert spent_on(pid) == 0
    assert submit(slack, view, spending(), FINANCE) == {}
    assert spent_on(pid) == 125_050
    confirm = slack.fake.wait_for("chat.postEphemeral")[-1].args["text"]
    assert "£1,250.50 on CRG-2024/25-001 in Q2" in confirm
    line = int(re.search(r"spend line (\d+)", confirm).group(1))
    spend.allow_leads_to_record_spend(ADMIN, year.partnership_id, True)
    assert submit(slack, view, spending(amount="100"), LEAD) == {}  # the partnership allows it
    assert spent_on(pid) == 135_050
    refused = answer(slack.slack.command(f"spend reverse {line} wrong project", user_id=PARTNER))
    assert "Only finance staff" in refused and spent_on(pid) == 135_050
    done = answer(slack.slack.command(f"spend reverse {line} wrong project", user_id=FINANCE))
    assert f"Spend line {line} (£1,250.50) is corrected" in done and spent_on(pid) == 10_000
    assert "already been reversed" in answer(slack.slack.command(
        f"spend reverse {line} again", user_id=FINANCE))
    assert "Write it as" in answer(slack.slack.command("spend reverse x", user_id=FINANCE))


def test_spend_refusals_come_before_the_form_and_again_when_it_is_saved(slack):
    year, pid = funded_project("2,000")
    pending = proposals.get(propose_only(year, "1,000", pot="tactical")).ref  # only submitted
    assert only_they_get_the_form(slack, "spend", REF, pending, refused=[PARTNER, LEAD],
                                  allowed=[FINANCE, SUPERADMIN], callback="spend_record",
                                  asked="tried to record spend on CRG-2024/25-001") == (
        "Only finance staff or a community safety team admin can record spend on CRG-2024/25-001; "
        "you are a partner in this partnership.")

    spend.allow_leads_to_record_spend(ADMIN, year.partnership_id, True)
    said = refused_before_the_form(slack, f"spend {REF}", PARTNER)
    assert "Only finance staff, a community safety team admin or the project's lead" in said
    view = opened(slack, f"spend {REF}", LEAD)  # the partnership lets leads record it
    spend.allow_leads_to_record_spend(ADMIN, year.partnership_id, False)  # ...until now
    assert "Only finance staff" in submit(slack, view, spending(), LEAD)["amount"]
    assert [d["attempted"] for d in denials_of(LEAD)] == [SPEND, SPEND]
    assert spent_on(pid) == 0
    assert submit(slack, view, spending(), FINANCE) == {} and spent_on(pid) == 125_050


# ------------------------------------------------------------------ exports


def uploaded(fake, count=1):
    fake.wait_for("files.completeUploadExternal", count)
    return list(fake.uploaded_files.values())


def test_export_uploads_the_workbook_and_the_360giving_file_to_the_dm(slack):
    year, pid = funded_project("2,000")
    spend.record(ADMIN, pid, 75_025, date(2024, 6, 3), "Kit")
    assert "Only finance staff" in answer(slack.slack.command("export", user_id=PARTNER))
    said = answer(slack.slack.command("export 2024/25", user_id=FINANCE))
    assert said == "I'll DM you the spend sheet for Northshire CSP 2024/25 in a moment."
    [sheet] = uploaded(slack.fake)
    assert sheet["filename"] == "crg-northshire-csp-2024-25.xlsx"
    assert sheet["channel_id"] == dm_channel_id(FINANCE)
    assert slack.fake.last("conversations.open").args["users"] == FINANCE
    book = openpyxl.load_workbook(io.BytesIO(sheet["bytes"]))
    figures = year_figures(FinancialYear.get_by_id(year.id))
    summary = {c.value: c.column_letter for c in book["Summary"][1]}
    evaluate = Evaluator(book)
    assert pence(evaluate.value("Summary", f"{summary['Spent']}2")) == figures.spent == 75_025
    assert pence(evaluate.value("Summary", f"{summary['Underspend to return']}2")) == \
        figures.underspend

    assert "No partnership has a" in answer(slack.slack.command("export360 all",
                                                                 user_id=SUPERADMIN))
    said = answer(slack.slack.command("export360 all 2024/25", user_id=SUPERADMIN))
    assert said == "I'll DM you the 360Giving file for All partnerships 2024/25 in a moment."
    package = [f for f in uploaded(slack.fake, 2) if f["filename"].endswith(".json")][0]
    assert package["filename"] == "crg-all-partnerships-2024-25-360giving.json"
    grants = json.loads(package["bytes"])["grants"]
    assert [g["amountAwarded"] for g in grants] == [2000]
    assert "every partnership" in answer(slack.slack.command("export all", user_id=FINANCE))
    assert "Write it as" in answer(slack.slack.command("export 2024/25 2023/24",
                                                      user_id=FINANCE))


def test_export_failures_are_told_plainly(slack):
    year, pid = funded_project()
    quiet = partnership(name="Quiet CSP", channel="C_QUIET")
    people.grant(ADMIN, quiet.partnership_id, FINANCE, "finance")
    slack.slack.command("export360", user_id=FINANCE, channel_id="C_QUIET")
    assert drain(timeout=15)
    assert any("could not make the 360Giving file for Quiet CSP 2024/25" in t
               and "no approved projects" in t for t in texts_to(slack.fake, FINANCE))
    slack.fake.fail("files.completeUploadExternal", "not_allowed_token_type")
    slack.slack.command("export", user_id=FINANCE)
    assert drain(timeout=15)
    assert any("Slack would not take the upload (not_allowed_token_type)" in t
               for t in texts_to(slack.fake, FINANCE))
    assert slack.fake.uploaded_files == {}


# ------------------------------------------------------------------ the finance page link


def test_login_dms_a_single_use_link_to_finance_staff_only(slack):
    funded_project()
    said = answer(slack.slack.command("login", user_id=FINANCE))
    assert "sent you a sign-in link" in said and "10 minutes" in said
    assert drain(timeout=15)
    [dm] = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == FINANCE]
    assert dm.args.get("unfurl_links") in (False, "false", "0", 0)
    url = re.search(r"<(http://127\.0\.0\.1:3000/finance/login/[\w-]+)\|",
                    dm.args["text"]).group(1)
    browser = slack.app.test_client()
    first = browser.get(url.removeprefix("http://127.0.0.1:3000"))
    assert first.status_code == 303 and first.headers["Location"].endswith("/finance")
    assert browser.get(url.removeprefix("http://127.0.0.1:3000")).status_code == 410
    assert ("Only finance staff or a working-group or CSP chair or a community safety team "
            "admin can sign in") in answer(slack.slack.command("login", user_id=PARTNER))


def test_a_fully_spent_project_is_refused_before_the_form(slack):
    year, pid = funded_project("2,000")
    spend.record(ADMIN, pid, 150_000, date(2024, 6, 3), "Kit")
    view = opened(slack, f"spend {REF}", FINANCE)  # £500 left: the form opens
    assert submit(slack, view, spending(amount="500"), FINANCE) == {}
    said = refused_before_the_form(slack, f"spend {REF}", FINANCE)
    assert said.startswith(f"{REF} has spent all of its approved £2,000, so there is nothing left")
    assert "/crg spend reverse" in said and spent_on(pid) == 200_000
    # Correcting a line frees its money again, and the form opens again.
    last = int(re.search(r"spend line (\d+)", slack.fake.wait_for("chat.postEphemeral")[-1]
                         .args["text"]).group(1))
    assert "is corrected" in answer(slack.slack.command(f"spend reverse {last} typo",
                                                         user_id=FINANCE))
    assert opened(slack, f"spend {REF}", FINANCE)["callback_id"] == "spend_record"


def test_refused_attempts_stay_in_the_audit_trail_not_in_the_projects_history(slack):
    funded_project("2,000")
    refused_before_the_form(slack, f"progress {REF}", PARTNER)
    assert [d["attempted"] for d in denials_of(PARTNER)] == [REPORT]
    shown = json.dumps(slack.slack.command(f"show {REF}", user_id=PARTNER).get_json())
    assert "*History*" in shown and "approved" in shown
    assert "denied" not in shown


def test_show_has_the_projects_spend_lines_and_total(slack):
    year, pid = funded_project("2,000")
    assert "Nothing recorded yet" in json.dumps(slack.slack.command(f"show {REF}").get_json())
    first = spend.record(ADMIN, pid, 50_000, date(2024, 6, 3), "Venue hire", "INV-7")
    spend.record(ADMIN, pid, 25_050, date(2024, 7, 1), "Leaflets")
    fix = spend.reverse(ADMIN, first.id, "billed twice")
    shown = json.dumps(slack.slack.command(f"show {REF}").get_json(), ensure_ascii=False)
    assert "*Spend*: £250.50 of £2,000 approved (£1,749.50 left)" in shown
    assert f"3 Jun 2024 · £500 · Venue hire · INV-7 (line {first.id})" in shown
    assert f"−£500 (corrects line {first.id}) · billed twice · INV-7 (line {fix.id})" in shown
    assert "1 Jul 2024 · £250.50 · Leaflets" in shown
