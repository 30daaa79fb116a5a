"""The OPCC monitoring return from the replayed 2024/25 year: progress measures and the
variance explanation, the workbook opened back and checked figure by figure against the
forecast's planned and spent to date and the ledger; the OPCC's version across partnerships."""
import io
from datetime import date, datetime

import openpyxl
import pytest

from backend.domain import conditions, times
from backend.domain.actors import Actor
from backend.domain.errors import FieldErrors, NotAllowed, NotFound
from backend.domain.forecast.figures import year_forecasts
from backend.domain.papers import measures, service, settings
from backend.domain.pots import year_figures
from models import FinancialYear, ReportMeasures
from tests.builders import ADMIN
from tests.replay import CHAIR, FINANCE, PARTNER, county_2024_25
from tests.test_exports import Evaluator, pence

CHOSEN = "sessions delivered, people trained, our own count"


@pytest.fixture
def county(db):
    played = county_2024_25()
    settings.set_measures(ADMIN, played.year.partnership_id, CHOSEN, 20)
    return played


def book(request):
    out = io.BytesIO()
    name = service.write(request, out)
    return name, openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def rows_of(sheet):
    header = [c.value for c in sheet[1]]
    return header, [dict(zip(header, (c.coordinate for c in row)))
                    for row in sheet.iter_rows(min_row=2) if row[2].value]


def test_a_report_behind_profile_must_say_why_and_its_measures_are_kept(county):
    walks = county.upfront[0]
    with times.as_of(datetime(2025, 2, 1, 10)):
        with pytest.raises(FieldErrors) as refused:
            measures.report(ADMIN, walks, narrative="Slow winter", rag="amber",
                            measures={"sessions delivered": "3", "people trained": "many"})
        assert set(refused.value.errors) == {"measure_1", "explanation"}
        assert "Spend is behind its planned profile (£3,250.50 spent of" in \
            refused.value.errors["explanation"]
        with pytest.raises(FieldErrors) as refused:
            measures.report(ADMIN, walks, narrative="x", rag="amber", measures={"hugs": "3"},
                            explanation="Weather")
        assert "“hugs” is not one of the partnership's measures" in refused.value.errors[
            "measures"]
        with pytest.raises(NotAllowed):
            measures.report(Actor(PARTNER), walks, narrative="x", rag="amber")
        view = measures.report(ADMIN, walks, narrative="Slow winter", rag="amber",
                               measures={"sessions delivered": "3", "people trained": "1,200"},
                               explanation="Two walkabouts moved to spring by the police.")
    kept = ReportMeasures.get(ReportMeasures.report == view.id)
    assert kept.explanation == "Two walkabouts moved to spring by the police."
    assert measures.of_reports([view.id])[view.id].values == {"sessions delivered": 3,
                                                              "people trained": 1200}


def test_the_monitoring_return_agrees_with_the_forecast_and_the_ledger(county):
    walks = county.upfront[0]
    with times.as_of(datetime(2025, 2, 1, 10)):
        measures.report(ADMIN, walks, narrative="Slow winter", rag="amber",
                        measures={"sessions delivered": "3"}, explanation="=moved to spring")
    year = FinancialYear.get_by_id(county.year.id)
    for period, on in (("mid-year", date(2024, 9, 30)), ("year-end", date(2025, 3, 31))):
        name, wb = book(service.ask_return(Actor(FINANCE), year.partnership_id, "2024/25",
                                           period))
        assert name == f"crg-northshire-csp-2024-25-monitoring-{period}.xlsx"
        sheet = wb["Return"]
        assert sheet.freeze_panes == "A2"
        header, rows = rows_of(sheet)
        assert header[-6:] == ["Sessions delivered", "People trained", "Our own count",
                               "Latest progress", "Reported on", "Conditions outstanding"]
        evaluate = Evaluator(wb)
        [then] = year_forecasts([year.id], on)
        by_ref = {sheet[r["Reference"]].value: r for r in rows}
        value = lambda row, column: evaluate.value("Return", row[column])  # noqa: E731
        for project in then.projects:
            row = by_ref[project.ref]
            assert sheet[row["Approved"]].number_format.startswith('"£"#,##0.00')
            assert pence(value(row, "Approved")) == project.approved
            assert pence(value(row, "Planned to date")) == project.planned
            assert pence(value(row, "Spent to date")) == project.spent
            assert sheet[row["Variance"]].data_type == "f"
            assert pence(value(row, "Variance")) == project.spent - project.planned
        walks_row = by_ref["CRG-2024/25-001"]
        if period == "year-end":
            assert sheet[walks_row["Explanation of variance"]].value == "=moved to spring"
            assert sheet[walks_row["Explanation of variance"]].data_type == "s"
            assert value(walks_row, "Sessions delivered") == 3
        figures = year_figures(year)
        totals = {k: r for k, r in by_ref.items() if k.startswith("Total")}
        for kind in ("upfront", "tactical"):
            total = totals[f"Total {kind}"]
            assert pence(value(total, "Approved")) == figures.pots[kind].committed
            assert pence(value(total, "Spent to date")) == sum(
                p.spent for p in then.projects if p.pot == kind)
        whole = totals["Total Northshire CSP 2024/25"]
        assert pence(value(whole, "Approved")) == figures.committed
        assert pence(value(whole, "Planned to date")) == then.planned
        assert pence(value(whole, "Spent to date")) == then.spent


def test_the_monitoring_return_names_each_projects_outstanding_conditions(county):
    """A condition not yet met (or met but not yet accepted) is on the return; one met and
    accepted, or waived, is not."""
    year = FinancialYear.get_by_id(county.year.id)
    walks, radios = county.upfront[0], county.upfront[1]
    agreement = conditions.add_to_project(ADMIN, walks, "Signed grant agreement",
                                          "Signed by the lead.", "release", False)
    conditions.add_to_project(ADMIN, walks, "PCC logo on publicity", "On every leaflet.",
                              "ongoing", False)
    logo = conditions.add_to_project(ADMIN, radios, "PCC logo on publicity",
                                     "On every leaflet.", "ongoing", False)
    conditions.waive(ADMIN, logo.id, "No publicity for radios.")
    assert agreement.outstanding
    _, wb = book(service.ask_return(Actor(FINANCE), year.partnership_id, "2024/25", "year-end"))
    sheet = wb["Return"]
    _, rows = rows_of(sheet)
    said = {sheet[r["Reference"]].value: sheet[r["Conditions outstanding"]].value for r in rows}
    assert said[agreement.ref] == ("Signed grant agreement (before any money is released); "
                               "PCC logo on publicity (ongoing)")
    assert said[logo.ref] == "None"


def test_the_opccs_return_adds_up_every_partnership(county):
    county_2024_25(name="Southshire CSP")
    with pytest.raises(NotAllowed):
        service.ask_return(Actor(FINANCE), year_label="2024/25", every=True)
    with pytest.raises(NotFound, match="No partnership has a 2030/31 year yet"):
        service.ask_return(ADMIN, year_label="2030/31", every=True)
    name, wb = book(service.ask_return(ADMIN, year_label="2024/25", period="year-end",
                                       every=True))
    assert name == "crg-all-partnerships-2024-25-monitoring-year-end.xlsx"
    sheet = wb["Return"]
    _, rows = rows_of(sheet)
    evaluate = Evaluator(wb)
    [every] = [r for r in rows if sheet[r["Reference"]].value == "Total, every partnership"]
    committed = sum(year_figures(y).committed for y in FinancialYear.select())
    assert pence(evaluate.value("Return", every["Approved"])) == committed == 2 * 3_950_500


def test_only_finance_chairs_and_admins_get_the_return(county):
    pid = county.year.partnership_id
    for who in (CHAIR, FINANCE):
        service.ask_return(Actor(who), pid, "2024/25")
    with pytest.raises(NotAllowed) as refused:
        service.ask_return(Actor(PARTNER), pid, "2024/25")
    assert refused.value.message.startswith("Only finance staff or a working-group or CSP chair"
                                            " or a community safety team admin can get the "
                                            "OPCC returns")


def test_the_year_end_return_agrees_with_the_spend_sheet_and_the_year_then_closes(county):
    from backend.domain import claims, decisions, spend
    from backend.domain.errors import Conflict
    from backend.domain.exports.data import gather
    from backend.domain.papers import year_end
    from models import LedgerEntry

    year = FinancialYear.get_by_id(county.year.id)
    name, wb = book(service.ask_return(Actor(FINANCE), year.partnership_id, "2024/25",
                                       kind="year_end_return"))
    assert name == "crg-northshire-csp-2024-25-year-end.xlsx"
    evaluate = Evaluator(wb)
    sheet = wb["Projects"]
    header, rows = rows_of(sheet)
    by_ref = {sheet[r["Reference"]].value: r for r in rows}
    value = lambda sheet_name, row, column: evaluate.value(sheet_name, row[column])  # noqa: E731
    for project in gather([year.id]).projects:
        row = by_ref[project.ref]
        assert pence(value("Projects", row, "Approved")) == project.approved_pence
        assert pence(value("Projects", row, "Spent")) == project.spent
        assert pence(value("Projects", row, "Unspent (returned)")) == \
            project.approved_pence - project.spent
    figures = year_figures(year)
    total = by_ref["Total Northshire CSP 2024/25"]
    assert pence(value("Projects", total, "Unspent (returned)")) == figures.committed_unspent
    pots = wb["Pots"]
    _, pot_rows = rows_of(pots)
    by_pot = {pots[r["Pot"]].value: r for r in pot_rows}
    assert pence(value("Pots", by_pot["Tactical"], "Uncommitted")) == 15_600
    assert pence(value("Pots", by_pot["Total Northshire CSP 2024/25"],
                       "Underspend to return")) == figures.underspend == 3_966_100 - 1_555_100

    walks = county.upfront[0]
    line = LedgerEntry.get((LedgerEntry.proposal == walks) & (LedgerEntry.kind == "spend"))
    with times.as_of(datetime(2025, 3, 20, 10)):
        with pytest.raises(Conflict, match="can be closed after its year end"):
            year_end.close_year(ADMIN, year.partnership_id, "2024/25")
    with pytest.raises(NotAllowed):
        year_end.close_year(Actor(FINANCE), year.partnership_id, "2024/25")
    done = year_end.close_year(ADMIN, year.partnership_id, "2024/25")
    assert done.underspend == figures.underspend
    with pytest.raises(Conflict, match="already closed"):
        year_end.close_year(ADMIN, year.partnership_id, "2024/25")
    with pytest.raises(Conflict, match="was closed on"):
        spend.record(ADMIN, walks, 100, date(2025, 3, 1), "Late invoice")
    with pytest.raises(Conflict, match="was closed on"):
        spend.may_record(Actor(FINANCE), walks)
    with pytest.raises(Conflict, match="was closed on"):  # before the claim form opens
        claims.may_claim(Actor(FINANCE), walks)
    with pytest.raises(Conflict, match="was closed on"):
        decisions.vary(ADMIN, county.upfront[1], 450_100, "OPCC email")
    with pytest.raises(NotAllowed, match="Only a community safety team admin can correct spend"):
        spend.reverse(Actor(FINANCE), line.id, "Duplicate invoice")
    spend.reverse(ADMIN, line.id, "Duplicate invoice")
    assert year_figures(year).spent == figures.spent - line.amount_pence


def test_a_return_due_chases_the_leads_whose_figures_are_missing(db, frozen_now):
    from backend.domain import deadlines, progress, reminders
    from models import Deadline
    from tests.builders import approved, open_year

    frozen_now(datetime(2024, 9, 1, 9, 0))
    year = open_year(label="2024/25")
    reported = approved(year, who=Actor("U_LEAD1"), title="Walks")
    approved(year, "1,000", "tactical", who=Actor("U_LEAD2"), title="Training")
    due = deadlines.add(ADMIN, year.partnership_id, "monitoring_return", "Mid-year return",
                        datetime(2024, 10, 30, 17, 0))
    assert due.concerns == "project_leads"
    progress.record(Actor("U_LEAD1"), reported, narrative="Two walks", rag="green",
                    on=date(2024, 8, 20))
    owed = reminders._Owers(datetime(2024, 10, 20, 8, 0))(Deadline.get_by_id(due.id))
    assert set(owed) == {"U_LEAD2"}
    assert [o.what for o in owed["U_LEAD2"]] == ["progress_report"]


def test_a_mid_year_return_says_what_was_reported_by_30_september(db, frozen_now):
    """The figures are taken at 30 September, and so is the narrative beside them: a report
    made in October belongs to the year-end return, not the mid-year one."""
    from backend.domain import progress
    from backend.domain.papers import monitoring
    from tests.builders import approved, open_year

    frozen_now(datetime(2024, 9, 1, 9, 0))
    year = open_year(label="2024/25")
    project = approved(year, who=Actor("U_LEAD1"), title="Walks")
    progress.record(Actor("U_LEAD1"), project, narrative="Two walks held", rag="green",
                    on=date(2024, 8, 20))
    frozen_now(datetime(2024, 11, 1, 9, 0))
    progress.record(Actor("U_LEAD1"), project, narrative="Volunteers left", rag="red",
                    on=date(2024, 10, 15))
    (mid,) = monitoring.read([year.id], "mid-year", "Mid").rows[year.id]
    assert (mid.project.last_report.narrative, mid.project.rag) == ("Two walks held", "green")
    frozen_now(datetime(2025, 4, 10, 9, 0))
    (end,) = monitoring.read([year.id], "year-end", "End").rows[year.id]
    assert (end.project.last_report.narrative, end.project.rag) == ("Volunteers left", "red")
