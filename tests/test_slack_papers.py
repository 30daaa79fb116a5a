"""`/crg paper` through signed Slack requests: the document uploaded to the asker's DM, the
refusals before anything is made; and `crg paper` on the command line."""
import io

import docx

from backend.domain.papers import settings
from models import AuditRecord
from tests.builders import ADMIN
from tests.replay import CHAIR, FINANCE, PARTNER, county_2024_25
from tests.slack.ids import dm_channel_id
from tests.slack_flows import WG


def answer(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["text"] if response.get_data() else ""


def test_a_chair_gets_the_paper_by_dm_and_others_are_told_who_may(slack):
    played = county_2024_25(channels=[WG])
    settings.set_signatories(ADMIN, played.year.partnership_id, "Sam Chair", "Dee Deputy")
    said = answer(slack.slack.command("paper 2024/25 --as-at 2025-03-31", user_id=CHAIR,
                                      channel_id=WG))
    assert said == "I'll DM you the Working Group update for Northshire CSP 2024/25 in a moment."
    slack.fake.wait_for("files.completeUploadExternal", 1)
    [paper] = slack.fake.uploaded_files.values()
    assert paper["filename"] == "crg-northshire-csp-2024-25-update.docx"
    assert paper["channel_id"] == dm_channel_id(CHAIR)
    document = docx.Document(io.BytesIO(paper["bytes"]))
    said_in_it = [p.text for p in document.paragraphs]
    assert "Figures as at: 31 March 2025" in said_in_it
    assert ("£156 remaining in the tactical pot for in-year spending on further small "
            "projects.") in said_in_it
    for user in (FINANCE, PARTNER):
        refusal = answer(slack.slack.command("paper", user_id=user, channel_id=WG))
        assert refusal.startswith("Only a working-group or CSP chair or a community safety team "
                                  "admin can get the Working Group update paper")
    assert AuditRecord.select().where(AuditRecord.actor.startswith(PARTNER)).count() == 1
    assert "Write it as `/crg paper [YEAR] [--as-at DATE]`" in answer(
        slack.slack.command("paper 2024/25 --when", user_id=CHAIR, channel_id=WG))
    assert "is not a date" in answer(
        slack.slack.command("paper --as-at soon", user_id=CHAIR, channel_id=WG))
    assert len(slack.fake.uploaded_files) == 1


def test_crg_paper_writes_the_document_and_keeps_a_template(crg, tmp_path, db):
    county_2024_25()
    out = tmp_path / "paper.docx"
    crg("paper", "signatories", "Northshire CSP", "--chair", "Sam Chair", "--deputy", "Dee")
    said = crg("paper", "Northshire CSP", "2024/25", "--as-at", "2024-09-30", "--out", str(out))
    assert said.strip() == f"Wrote the Working Group update for Northshire CSP 2024/25 to {out}."
    document = docx.Document(str(out))
    assert "Figures as at: 30 September 2024" in [p.text for p in document.paragraphs]
    (tmp_path / "bad.docx").write_bytes(b"plain text")
    assert "not a Word document" in crg("paper", "template", "Northshire CSP",
                                        str(tmp_path / "bad.docx"), ok=False)
    house = docx.Document()
    house.add_paragraph("HOUSE STYLE")
    house.save(str(tmp_path / "house.docx"))
    crg("paper", "template", "Northshire CSP", str(tmp_path / "house.docx"))
    crg("paper", "Northshire CSP", "2024/25", "--out", str(out))
    assert docx.Document(str(out)).paragraphs[0].text == "HOUSE STYLE"
    assert "has no 2019/20 year" in crg("paper", "Northshire CSP", "2019/20", ok=False)



def test_finance_gets_the_returns_by_dm_and_admins_choose_the_measures(slack):
    import openpyxl

    county_2024_25(channels=[WG])
    said = answer(slack.slack.command("return measures sessions delivered, people trained "
                                      "--explain-behind 20", user_id=FINANCE, channel_id=WG))
    assert said.startswith("Only a community safety team admin can change how the partnership")
    said = answer(slack.slack.command("return measures sessions delivered, people trained "
                                      "--explain-behind 20", user_id="U_ADMIN", channel_id=WG))
    assert said.startswith("Progress reports here count: sessions delivered, people trained. "
                           "A report must say why when spend is more than 20% behind")
    said = answer(slack.slack.command("return 2024/25 mid-year", user_id=FINANCE, channel_id=WG))
    assert said == "I'll DM you the monitoring return for Northshire CSP 2024/25 in a moment."
    slack.fake.wait_for("files.completeUploadExternal", 1)
    [sheet] = slack.fake.uploaded_files.values()
    assert sheet["filename"] == "crg-northshire-csp-2024-25-monitoring-mid-year.xlsx"
    assert sheet["channel_id"] == dm_channel_id(FINANCE)
    header = [c.value for c in openpyxl.load_workbook(io.BytesIO(sheet["bytes"]))["Return"][1]]
    assert "Sessions delivered" in header and "People trained" in header
    assert answer(slack.slack.command("return", user_id=PARTNER, channel_id=WG)).startswith(
        "Only finance staff or a working-group or CSP chair")
    assert "every partnership's return" in answer(
        slack.slack.command("return all", user_id=FINANCE, channel_id=WG))
    assert "Write it as" in answer(
        slack.slack.command("return 2024/25 2023/24", user_id=FINANCE, channel_id=WG))
    assert "is not a period" not in answer(
        slack.slack.command("return final 2024/25", user_id=CHAIR, channel_id=WG))


def test_the_progress_form_asks_for_the_measures_and_why_spend_is_behind(slack):
    from datetime import datetime

    from backend.domain import times
    from models import ProgressReport, ReportMeasures
    from tests.slack.requests import plain_text

    played = county_2024_25(channels=[WG])
    settings.set_measures(ADMIN, played.year.partnership_id, "sessions delivered", 0)
    with times.as_of(datetime(2025, 2, 1, 10)):
        assert answer(slack.slack.command("progress CRG-2024/25-001", user_id="U_ADMIN",
                                          channel_id=WG)) == ""
        view = slack.fake.last("views.open").arg("view")
        blocks = {b.get("block_id") for b in view["blocks"]}
        assert {"measure_0", "explanation"} <= blocks
        values = {"narrative": {"value": plain_text("Slow winter")},
                  "outputs": {"value": plain_text("")},
                  "rag": {"value": {"type": "radio_buttons", "selected_option": {
                      "text": {"type": "plain_text", "text": "amber"}, "value": "amber"}}},
                  "period": {"value": plain_text("Q4")},
                  "measure_0": {"value": plain_text("three")},
                  "explanation": {"value": plain_text("")}}
        response = slack.slack.submit_view(view["callback_id"], values, user_id="U_ADMIN",
                                           private_metadata=view["private_metadata"])
        errors = response.get_json()["errors"]
        assert set(errors) == {"measure_0", "explanation"}
        values["measure_0"] = {"value": plain_text("3")}
        values["explanation"] = {"value": plain_text("Walkabouts moved to spring")}
        response = slack.slack.submit_view(view["callback_id"], values, user_id="U_ADMIN",
                                           private_metadata=view["private_metadata"])
        assert response.status_code == 200 and not response.get_data(as_text=True)
    newest = ProgressReport.select().order_by(ProgressReport.id.desc()).first()
    kept = ReportMeasures.get(ReportMeasures.report == newest.id)
    assert kept.values == '{"sessions delivered": 3}'
    assert kept.explanation == "Walkabouts moved to spring"


def test_crg_return_writes_the_workbooks_and_sets_the_measures(crg, tmp_path, db):
    import openpyxl

    county_2024_25()
    said = crg("return", "measures", "Northshire CSP", "sessions delivered, volunteers recruited",
               "--explain-behind", "25")
    assert "count: sessions delivered, volunteers recruited; a report must say why" in said
    out = tmp_path / "r.xlsx"
    said = crg("return", "Northshire CSP", "2024/25", "--period", "year-end", "--out", str(out))
    assert said.strip() == f"Wrote the monitoring return for Northshire CSP 2024/25 to {out}."
    assert "Volunteers recruited" in [c.value for c in openpyxl.load_workbook(out)["Return"][1]]
    crg("return", "--all", "2024/25", "--out", str(out))
    assert "is not a period" in crg("return", "Northshire CSP", "--period", "Q3", ok=False)
    said = crg("return", "Northshire CSP", "--final", "--period", "mid-year", ok=False)
    assert "applies only to the monitoring return" in said  # not silently dropped


def test_admins_close_an_ended_year_in_slack_and_on_the_command_line(slack, crg):
    played = county_2024_25(channels=[WG])
    assert answer(slack.slack.command("year close 2024/25", user_id=FINANCE,
                                      channel_id=WG)).startswith(
        "Only a community safety team admin can close 2024/25")
    said = answer(slack.slack.command("year close 2024/25", user_id="U_ADMIN", channel_id=WG))
    assert said.startswith("2024/25 is closed, with £24,110 to return to the OPCC.")
    assert "already closed" in answer(slack.slack.command("year close 2024/25",
                                                          user_id="U_ADMIN", channel_id=WG))
    assert "Write it as `/crg year open`" in answer(
        slack.slack.command("year shut", user_id="U_ADMIN", channel_id=WG))
    other = county_2024_25(name="Southshire CSP")
    said = crg("year", "close", "Southshire CSP", "2024/25")
    assert "2024/25 is closed, with £24,110 to return to the OPCC" in said
    assert "already closed" in crg("year", "close", "Southshire CSP", "2024/25", ok=False)
    assert played.year.id != other.year.id


def test_admins_say_who_the_paper_is_by(slack):
    played = county_2024_25(channels=[WG])
    assert answer(slack.slack.command("paper signatories Sam Chair; Dee Deputy", user_id=CHAIR,
                                      channel_id=WG)).startswith("Only a community safety team "
                                                                 "admin can change how")
    said = answer(slack.slack.command("paper signatories Sam Chair; Dee Deputy",
                                      user_id="U_ADMIN", channel_id=WG))
    assert said == ("The Working Group update is now by Sam Chair (chair) and Dee Deputy "
                    "(deputy chair).")
    assert settings.choices(played.year.partnership_id).chair == "Sam Chair"
    assert "Write it as `/crg paper signatories" in answer(
        slack.slack.command("paper signatories Sam", user_id="U_ADMIN", channel_id=WG))
