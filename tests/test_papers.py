"""The Working Group update paper, from the replayed 2024/25 year: opened back with python-docx
and checked figure by figure against the ledger, the pots and the spend sheet."""
import io
import re
from datetime import date

import docx
import pytest

from backend.domain import times
from backend.domain.actors import Actor
from backend.domain.errors import InvalidInput, NotAllowed
from backend.domain.exports.data import gather
from backend.domain.forecast.figures import year_forecasts
from backend.domain.money import format_pence
from backend.domain.papers import service, settings
from backend.domain.pots import spent_on, year_figures
from models import AuditRecord, FinancialYear, Proposal
from tests.builders import ADMIN
from tests.test_export_queries import count_queries
from tests.replay import CHAIR, FINANCE, PARTNER, county_2024_25


def written(request) -> docx.Document:
    out = io.BytesIO()
    service.write(request, out)
    return docx.Document(io.BytesIO(out.getvalue()))


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def appendix(document) -> list[dict[str, str]]:
    [table] = document.tables
    header = [c.text for c in table.rows[0].cells]
    return [dict(zip(header, (c.text for c in row.cells))) for row in table.rows[1:]]


@pytest.fixture
def county(db):
    played = county_2024_25()
    settings.set_signatories(ADMIN, played.year.partnership_id, "Sam Chair", "Dee Deputy")
    return played


def test_every_figure_agrees_with_the_ledger_the_pots_and_the_spend_sheet(county):
    year = FinancialYear.get_by_id(county.year.id)
    paper = written(service.ask_update(Actor(CHAIR), year.partnership_id, "2024/25"))
    said = texts(paper)
    figures = year_figures(year)
    assert said[0] == "Crime Reduction Grant 2024/25: update from the Working Group"
    assert paper.paragraphs[0].style.name == "Title"
    assert ("Report by: Sam Chair, Chair of the Working Group; Dee Deputy, Deputy Chair of the "
            "Working Group") in said
    assert "Classification: For Information" in said
    assert "To: Northshire CSP" in said
    headings = [p.text for p in paper.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["The grant this year", "Upfront projects", "Tactical pot", "What is left",
                        "Recommendation", "Appendix 1: funded projects"]
    assert ("The PCC allocated £39,661 to Northshire CSP for 2024/25. Under the grant's terms a "
            "third, £13,221, went to the tactical pot for in-year spending, and two thirds, "
            "£26,440, were for upfront projects agreed at the start of the year.") in said
    assert ("On 24 April 2024 the Working Group reviewed 9 proposals from partners for upfront "
            "funding. The PCC approved upfront spending of £21,778 on 5 projects:") in said
    assert figures.pots["upfront"].committed == 2_177_800
    bullets = [p for p in paper.paragraphs if p.style.name == "List Bullet"]
    bold = [r.text for p in bullets for r in p.runs if r.bold]
    projects = Proposal.select().where(Proposal.status == "approved").order_by(Proposal.number)
    for project in projects:
        assert f"{project.title} – {format_pence(project.approved_pence)}" in bold
    assert "Domestic abuse awareness training – £4,578" in bold
    assert "Taxi marshals – £3,226.50" in bold
    walks = next(p.text for p in bullets if p.text.startswith("Safer Streets"))
    assert walks.endswith("Progress at 12 September 2024: 2 sessions delivered, over 80 people "
                          "at each. Six walkabouts planned before March.")
    scams = next(p.text for p in bullets if p.text.startswith("Scam awareness"))
    assert scams.endswith("No progress reported yet.")
    radios = next(p.text for p in bullets if p.text.startswith("Shop watch radios"))
    assert "Radios for town-centre shops. Progress at 1 December 2024: 30 radios issued." in radios
    assert figures.pots["tactical"].allocated == 1_788_300
    assert any(t.startswith("The remainder, £17,883, went into the tactical pot") for t in said)
    assert figures.pots["tactical"].available == 15_600
    assert ("£156 remaining in the tactical pot for in-year spending on further small projects."
            in said)
    rows = appendix(paper)
    assert paper.tables[0].rows[0]._tr.trPr.xpath("./w:tblHeader")  # a header row
    sheet = {p.ref: p for p in gather([year.id]).projects}
    assert [r["Reference"] for r in rows[:-1]] == sorted(
        sheet, key=lambda ref: (sheet[ref].pot != "upfront", ref))
    for row in rows[:-1]:
        project = sheet[row["Reference"]]
        assert row["Amount approved"] == format_pence(project.approved_pence)
        assert row["Spent to date"] == format_pence(project.spent) == format_pence(
            spent_on(project.id))
        assert row["Title"] == project.title and row["Pot"] == project.pot.capitalize()
        assert row["Lead organisation"] == project.lead_organisation
        assert row["RAG status"] == (project.latest.rag.capitalize() if project.latest
                                     else "Not reported")
        assert row["Latest progress"] == (times.show_date(project.latest.reported_on)
                                          if project.latest else "None yet")
    assert rows[-1]["Amount approved"] == format_pence(figures.committed)
    assert rows[-1]["Spent to date"] == format_pence(figures.spent) == "£15,551"


def test_as_at_an_earlier_date_the_paper_shows_the_ledger_then(county):
    year = FinancialYear.get_by_id(county.year.id)
    on = date(2024, 9, 30)
    paper = written(service.ask_update(ADMIN, year.partnership_id, "2024/25", as_at=on))
    [then] = year_forecasts([year.id], on)
    rows = {r["Reference"]: r for r in appendix(paper)[:-1]}
    assert len(rows) == len(then.projects) == 9
    for project in then.projects:
        assert rows[project.ref]["Spent to date"] == format_pence(project.spent)
    training = next(p for p in then.projects if p.title.startswith("Domestic abuse"))
    assert rows[training.ref]["Latest progress"] == "1 Jul 2024"  # the October one came later
    early = written(service.ask_update(ADMIN, year.partnership_id, "2024/25",
                                       as_at=date(2024, 5, 1)))
    said = texts(early)
    assert "The PCC has not yet approved any upfront project." in " ".join(said)
    assert any("it opens once every upfront business case has been decided" in t for t in said)
    assert appendix(early)[-1]["Amount approved"] == "£0"


def test_only_chairs_and_admins_get_the_paper_and_refusals_are_recorded(county):
    pid = county.year.partnership_id
    for who in (FINANCE, PARTNER):
        with pytest.raises(NotAllowed) as refused:
            service.ask_update(Actor(who), pid, "2024/25")
        assert "Only a working-group or CSP chair or a community safety team admin can get " \
               "the Working Group update paper" in refused.value.message
    refused = [r.after for r in AuditRecord.select().where(AuditRecord.actor.in_((FINANCE,
                                                                                  PARTNER)))]
    assert len(refused) == 2
    assert all("tried to get the Working Group update paper" in r for r in refused)


def test_a_partnership_template_is_the_starting_document(county):
    pid = county.year.partnership_id
    house = docx.Document()
    house.add_paragraph("NORTHSHIRE COMMUNITY SAFETY PARTNERSHIP")
    body = io.BytesIO()
    house.save(body)
    with pytest.raises(InvalidInput, match="not a Word document"):
        settings.set_template(ADMIN, pid, b"not a docx", "x.docx")
    with pytest.raises(NotAllowed):
        settings.set_template(Actor(CHAIR), pid, body.getvalue(), "house.docx")
    settings.set_template(ADMIN, pid, body.getvalue(), "house.docx")
    with count_queries() as queries:  # a name changed: the template is neither read nor written
        settings.set_signatories(ADMIN, pid, "Sam Chair", "Dee Deputy")
    assert not [sql for sql in queries if re.search(r'"template"(?!_)', sql)]
    paper = written(service.ask_update(ADMIN, pid, "2024/25"))
    assert texts(paper)[0] == "NORTHSHIRE COMMUNITY SAFETY PARTNERSHIP"
    assert "Crime Reduction Grant 2024/25: update from the Working Group" in texts(paper)
    settings.set_template(ADMIN, pid, None)
    assert texts(written(service.ask_update(ADMIN, pid, "2024/25")))[0].startswith("Crime")
