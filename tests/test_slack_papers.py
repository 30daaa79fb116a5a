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
    return response.get_json()["text"]


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

