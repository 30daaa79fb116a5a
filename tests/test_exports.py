"""The OPCC spend sheet and the 360Giving package, read back as finance staff and the OPCC would.

The workbook's totals are live formulas, each also carrying the value it computes for previews
that do not recalculate. A small evaluator below computes every formula from the cells (SUM,
SUMIFS, IF and arithmetic, the only functions the sheet uses); both that result and the cached
value are compared with the ledger's own figures. Editing a cell and evaluating again shows the
totals are live. How the sheet prints is tested in test_export_print.py.
"""
import io
import json
import os
import re
import subprocess
import sys
import threading
from argparse import Namespace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from backend.cli import exports as export_commands
from backend.cli import projects as project_commands
from backend.cli.common import parse_day
from backend.domain import decisions, progress, spend
from backend.domain.actors import Actor, command_line
from backend.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from backend.domain.exports import service
from backend.domain.exports.layout import Column
from backend.domain.exports.workbook import DECISIONS, PROJECTS, SCORING, SPEND, SUMMARY
from backend.domain.exports.xlsx import OPTIONS, Formats, Page, SheetWriter
from backend.domain.pots import year_figures
from backend.settings import Settings
from models import FinancialYear, LedgerEntry, Proposal
from tests.builders import ADMIN, open_year, submit, to_opcc

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "tests" / "schemas"
GBP = '"£"#,##0.00;[Red]-"£"#,##0.00'
INJECTIONS = ['=HYPERLINK("http://evil.example","Click")', "+1", "-2", "@SUM(A1:A9)", "=1+1"]


# ------------------------------------------------------------------ a tiny formula evaluator

_TOKEN = re.compile(r'\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>"[^"]*")|'
                    r"(?P<ref>(?:\w+!)?\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)|"
                    r"(?P<name>[A-Z]+)(?=\()|(?P<op>[-+*/=(),]))")


class Evaluator:
    def __init__(self, workbook):
        self.wb = workbook

    def value(self, sheet: str, coordinate: str):
        cell = self.wb[sheet][coordinate]
        if cell.data_type == "f":
            return self.formula(sheet, cell.value[1:])
        return cell.value

    def formula(self, sheet: str, text: str):
        self.sheet, self.tokens = sheet, [m for m in _TOKEN.finditer(text)]
        parsed = "".join(m.group(0) for m in self.tokens)
        assert parsed.replace(" ", "") == text.replace(" ", ""), text
        self.pos = 0
        result = self._comparison()
        assert self.pos == len(self.tokens), text
        return result

    def _next(self):
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _peek(self, op):
        return self.pos < len(self.tokens) and self.tokens[self.pos].group("op") == op

    def _comparison(self):
        left = self._sum()
        if self._peek("="):
            self.pos += 1
            return left == self._sum()
        return left

    def _sum(self):
        total = self._product()
        while self._peek("+") or self._peek("-"):
            sign = self._next().group("op")
            total = total + self._product() if sign == "+" else total - self._product()
        return total

    def _product(self):
        total = self._atom()
        while self._peek("*") or self._peek("/"):
            op = self._next().group("op")
            total = total * self._atom() if op == "*" else total / self._atom()
        return total

    def _atom(self):
        token = self._next()
        if token.group("op") == "-":
            return -self._atom()
        if token.group("op") == "(":
            inner = self._comparison()
            assert self._next().group("op") == ")"
            return inner
        if token.group("num"):
            return float(token.group("num"))
        if token.group("str"):
            return token.group("str")[1:-1]
        if token.group("ref"):
            return self._reference(token.group("ref"))
        name = token.group("name")
        assert self._next().group("op") == "("
        args = [self._comparison()]
        while self._peek(","):
            self.pos += 1
            args.append(self._comparison())
        assert self._next().group("op") == ")"
        return getattr(self, f"_fn_{name.lower()}")(*args)

    def _reference(self, ref: str):
        sheet, _, cells = ref.rpartition("!")
        sheet = sheet or self.sheet
        cells = cells.replace("$", "")
        if ":" not in cells:
            saved = (self.sheet, self.tokens, self.pos)
            try:
                return self.value(sheet, cells)
            finally:
                self.sheet, self.tokens, self.pos = saved
        first, last = cells.split(":")
        rows = self.wb[sheet][first:last]
        saved = (self.sheet, self.tokens, self.pos)
        try:
            return [self.value(sheet, c.coordinate) for row in rows for c in row]
        finally:
            self.sheet, self.tokens, self.pos = saved

    @staticmethod
    def _fn_sum(values):
        return sum(v for v in values if isinstance(v, (int, float)))

    @staticmethod
    def _fn_sumifs(values, *criteria):
        total = 0
        for i, value in enumerate(values):
            pairs = zip(criteria[::2], criteria[1::2])
            if all(_matches(ranges[i], wanted) for ranges, wanted in pairs):
                total += value if isinstance(value, (int, float)) else 0
        return total

    @staticmethod
    def _fn_if(condition, yes, no):
        return yes if condition else no


def _matches(value, wanted) -> bool:
    if isinstance(wanted, str):
        return isinstance(value, str) and value.lower() == wanted.lower()
    return isinstance(value, (int, float)) and value == wanted


def pence(pounds) -> int:
    return round(pounds * 100)


# ------------------------------------------------------------------ the data


@pytest.fixture
def funded(db):
    """A year run to the end through the services, with user-typed text that looks like formulas."""
    year = open_year(4_500_100, name="Northshire CSP")  # upfront £30,000, tactical £15,001
    upfront = [submit(year, "10,000", title=INJECTIONS[0], lead_organisation="@Council"),
               submit(year, "5,000.50", title=INJECTIONS[1]),
               submit(year, "3,000", title="Declined idea")]
    for pid in upfront[:2]:
        to_opcc(pid)
        decisions.approve(ADMIN, pid)
    decisions.decide(ADMIN, upfront[2], "decline", reason="=cmd|' /C calc'!A0")  # rolls over
    tactical = submit(year, "2,000", pot="tactical", title=INJECTIONS[2], contact_name="-Dana")
    cancelled = submit(year, "1,500", pot="tactical", title="Stopped early")
    for pid in (tactical, cancelled):
        to_opcc(pid, "tactical")
        decisions.approve(ADMIN, pid)
    a, b = upfront[:2]
    spend.record(ADMIN, a, 100_000, date(2024, 5, 1), "Venue hire", INJECTIONS[4])
    spend.record(ADMIN, a, 250_025, date(2024, 11, 3), INJECTIONS[3])
    wrong = spend.record(ADMIN, b, 30_000, date(2025, 2, 1), "Leaflets")
    spend.reverse(ADMIN, wrong.id, "Invoice was for another project")
    spend.record(ADMIN, b, 20_000, date(2025, 3, 31), "Leaflets", "INV-9")
    spend.record(ADMIN, cancelled, 40_000, date(2024, 9, 1), "Deposit")
    decisions.cancel(ADMIN, cancelled, "OPCC email 2 Oct")
    decisions.vary(ADMIN, tactical, 250_000, "OPCC email 3 Oct")
    progress.record(ADMIN, a, narrative="Going well", outputs="2 of 6 sessions, 80+ attendees",
                    rag="green", on=date(2024, 9, 12))
    progress.record(ADMIN, a, narrative="Venue lost", rag="amber", on=date(2024, 12, 1))
    other = open_year(900_000, name="Southshire CSP")
    south = submit(other, "1,000", title="Bike marking")
    to_opcc(south)
    decisions.approve(ADMIN, south)
    spend.record(ADMIN, south, 50_000, date(2024, 6, 1), "Kit")
    return {"year": year, "other": other, "a": a, "b": b, "tactical": tactical,
            "cancelled": cancelled}


def _workbook(partnership=None, all_partnerships=False, cached=False):
    """The spend sheet as openpyxl reads it: with its formulas, or (`cached`) with the values
    the formulas carry, as a preview that does not recalculate shows them."""
    selection = service.select(command_line("tests"), partnership, "2024/25",
                               all_partnerships=all_partnerships)
    out = io.BytesIO()
    service.write_spend_sheet(selection, out)
    out.seek(0)
    return openpyxl.load_workbook(out, data_only=cached)


def _rows(ws, header="Reference"):
    headers = [c.value for c in ws[1]]
    return headers, {row[headers.index(header)].value: row for row in ws.iter_rows(min_row=2)
                     if row[headers.index(header)].value}


def _summary_values(wb, row: int) -> dict:
    ws, ev = wb["Summary"], Evaluator(wb)
    return {c.value: ev.value("Summary", f"{c.column_letter}{row}") for c in ws[1]}


# ------------------------------------------------------------------ the tests


def test_summary_totals_are_formulas_that_agree_with_the_ledger(funded):
    wb = _workbook("Northshire CSP")
    assert wb.sheetnames == ["Summary", "Projects", "Spend", "Decisions", "Scoring"]
    figures = year_figures(FinancialYear.get_by_id(funded["year"].id))
    summary = wb["Summary"]
    assert summary["A2"].value == "Northshire CSP" and summary["B2"].value == "2024/25"
    for column in "GIJKLM":
        assert summary[f"{column}2"].data_type == "f"
        assert summary[f"{column}2"].number_format == GBP
    assert summary["G2"].value.startswith("=SUMIFS(Projects!$K$2:$K$")
    got = {k: v for k, v in _summary_values(wb, 2).items() if isinstance(v, (int, float))}
    assert {k: pence(v) for k, v in got.items()} == {
        "Allocation": figures.allocation,
        "Upfront share": figures.upfront_share,
        "Tactical share": figures.tactical_share,
        "Upfront approved": figures.pots["upfront"].committed,
        "Rolled over": figures.rolled_over,
        "Tactical approved": figures.pots["tactical"].committed,
        "Spent": figures.spent,
        "Uncommitted": figures.uncommitted,
        "Committed but unspent": figures.committed_unspent,
        "Underspend to return": figures.underspend,
    }
    assert figures.spent == 100_000 + 250_025 + 20_000 + 40_000
    assert summary["D2"].value == "2/3 upfront"


def test_totals_recalculate_when_finance_staff_edit_a_cell(funded):
    wb = _workbook("Northshire CSP")
    before = _summary_values(wb, 2)
    headers, lines = _rows(wb["Spend"], "Line")
    first = min(lines)
    amount = lines[first][headers.index("Amount")]
    amount.value += 10
    headers, projects = _rows(wb["Projects"])
    approved = projects["CRG-2024/25-002"][headers.index("Approved")]
    approved.value -= 1
    after = _summary_values(wb, 2)
    assert pence(after["Spent"] - before["Spent"]) == 1000
    assert pence(after["Upfront approved"] - before["Upfront approved"]) == -100
    assert pence(after["Underspend to return"] - before["Underspend to return"]) == -1000
    assert pence(after["Uncommitted"] - before["Uncommitted"]) == 100


def test_project_rows_follow_the_ledger_quarter_by_quarter(funded):
    wb = _workbook("Northshire CSP")
    ev = Evaluator(wb)
    headers, projects = _rows(wb["Projects"])
    assert list(projects) == ["CRG-2024/25-001", "CRG-2024/25-002", "CRG-2024/25-004",
                              "CRG-2024/25-005"]  # the declined proposal is not a project

    def cell(ref, header):
        return projects[ref][headers.index(header)]

    def value(ref, header):
        return ev.value("Projects", cell(ref, header).coordinate)

    a = "CRG-2024/25-001"
    assert [pence(value(a, f"Spend Q{q}")) for q in range(1, 5)] == [100_000, 0, 250_025, 0]
    assert pence(value(a, "Total spent")) == 350_025
    assert pence(value(a, "Remaining")) == 1_000_000 - 350_025
    assert value(a, "Variance") == pytest.approx((350_025 - 1_000_000) / 1_000_000)
    assert cell(a, "Variance").number_format == "0.0%"
    b = "CRG-2024/25-002"
    assert [pence(value(b, f"Spend Q{q}")) for q in range(1, 5)] == [0, 0, 0, 20_000]
    assert pence(cell(b, "Approved").value) == 500_050 and cell(b, "Approved").number_format == GBP
    stopped = "CRG-2024/25-005"
    assert pence(cell(stopped, "Approved").value) == 40_000 == pence(value(stopped, "Total spent"))
    assert cell(stopped, "Status").value == "Cancelled"
    assert pence(cell("CRG-2024/25-004", "Approved").value) == 250_000  # after the variation
    assert cell(a, "Latest progress").value.startswith("Amber, 1 Dec 2024: Venue lost")
    approval = cell(a, "PCC approval")
    assert isinstance(approval.value, datetime) and approval.number_format == "dd/mm/yyyy"
    assert cell(a, "Pot").value == "Upfront" and cell(a, "Priorities").value == "Domestic Abuse"


def test_every_spend_line_and_decision_is_listed(funded):
    wb = _workbook("Northshire CSP")
    headers, lines = _rows(wb["Spend"], "Line")
    assert len(lines) == 6  # five spend lines and one reversing correction
    entry = headers.index("Entry")
    corrections = [row for row in lines.values() if row[entry].value == "Correction"]
    assert len(corrections) == 1
    fix = corrections[0]
    assert pence(fix[headers.index("Amount")].value) == -30_000
    assert fix[headers.index("What it was for")].value == "Invoice was for another project"
    assert fix[headers.index("Corrects line")].value in lines
    day = lines[min(lines)][headers.index("Date")]
    assert day.value == datetime(2024, 5, 1) and day.number_format == "dd/mm/yyyy"
    assert lines[min(lines)][headers.index("Quarter")].number_format == '"Q"0'
    headers, _ = _rows(wb["Decisions"])
    decided = [(row[2].value, row[headers.index("Decision")].value)
               for row in wb["Decisions"].iter_rows(min_row=2)]
    assert ("CRG-2024/25-003", "Declined") in decided
    assert ("CRG-2024/25-005", "Cancelled") in decided
    assert ("CRG-2024/25-004", "Varied") in decided
    assert sum(1 for _, d in decided if d == "Approved by the PCC") == 4
    notes = [row[headers.index("Reason or consent")].value
             for row in wb["Decisions"].iter_rows(min_row=2)]
    assert "OPCC email 2 Oct" in notes


def test_layout_for_finance_staff(funded):
    wb = _workbook("Northshire CSP")
    assert wb.calculation.fullCalcOnLoad  # the spreadsheet recalculates on opening
    assert wb.properties.title == "Crime Reduction Grant spend sheet: Northshire CSP 2024/25"
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.print_title_rows == "$1:$1", ws.title  # the header row on every page
        assert ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws["A1"].font.bold
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.oddHeader.left.text == ("&BCrime Reduction Grant spend sheet: "
                                          "Northshire CSP 2024/25&B")
        assert ws.oddHeader.right.text == "&A"  # the sheet's name
        assert ws.oddFooter.center.text == "Page &P of &N"
    summary, projects = wb["Summary"], wb["Projects"]
    assert summary.page_setup.fitToHeight in (None, 1)  # the Summary on one page
    for name in ("Projects", "Spend", "Decisions"):  # fitted across, run on downwards
        assert wb[name].page_setup.fitToWidth in (None, 1) and wb[name].page_setup.fitToHeight == 0
    assert projects.auto_filter.ref == "A1:T5"
    assert summary.auto_filter.ref == "A1:M2"
    # one partnership-year: its name and year are in the page header, not printed in columns
    assert projects.print_area == "'Projects'!$C$1:$T$5"
    assert wb["Spend"].print_area == "'Spend'!$C$1:$O$7"  # to Paid on
    assert not summary.print_area  # it prints whole
    off_paper = {c.header for c in PROJECTS if not c.on_paper}
    assert off_paper == {"Contact", "Priorities", "Working group decision", "PCC approval"}
    hidden = {projects.cell(1, i + 1).value for i, c in enumerate(PROJECTS)
              if projects.column_dimensions[projects.cell(1, i + 1).column_letter].hidden}
    assert hidden == off_paper
    assert projects.column_dimensions["D"].width == pytest.approx(PROJECTS[3].width, abs=1)
    assert wb["Spend"].column_dimensions["J"].width == pytest.approx(SPEND[9].width, abs=1)
    title = next(r for r in projects.iter_rows(min_row=2) if r[2].value == "CRG-2024/25-001")[3]
    assert title.alignment.wrap_text and title.alignment.vertical == "top"
    assert projects.row_dimensions[1].height > 12.75  # two-line headers: the row fits them


def test_the_opcc_workbook_prints_the_partnership(funded):
    wb = _workbook(all_partnerships=True)
    assert not wb["Projects"].print_area  # every column but those kept off paper
    assert wb["Summary"].oddHeader.left.text.endswith("All partnerships 2024/25&B")


def test_user_typed_text_stays_text(funded):
    wb = _workbook("Northshire CSP")
    text_columns = {sheet: {i for i, c in enumerate(columns) if c.style == "text"}
                    for sheet, columns in (("Summary", SUMMARY), ("Projects", PROJECTS),
                                           ("Spend", SPEND), ("Decisions", DECISIONS),
                                           ("Scoring", SCORING))}
    seen = {}
    for ws in wb:
        for row in ws.iter_rows(min_row=2):
            for i, c in enumerate(row):
                if i in text_columns[ws.title] and c.value is not None:
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)
                    seen.setdefault(c.value, []).append(c)
    for text in INJECTIONS + ["@Council", "-Dana", "=cmd|' /C calc'!A0"]:
        assert text in seen, text
        assert all(c.data_type == "s" and c.quotePrefix for c in seen[text]), text
    assert len(seen[INJECTIONS[0]]) > 3  # the title on Projects, Spend and Decisions
    assert not any(c.quotePrefix for c in seen["Northshire CSP"])


@pytest.mark.parametrize("text", INJECTIONS + ["\tTab", "\nNewline", "\rReturn", "#N/A",
                                               "\uff1dSUM(A1)", "bell\x07here", "half\ud800"])
def test_as_text_guard(text):
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, OPTIONS)
    columns = (Column("Typed", 20), Column("Plain", 20), Column("Equals", 20, wrap=True))
    sheet = SheetWriter(book, Formats(book), "S", columns, Page("Test CSP 2024/25"))
    sheet.append([text, "plain", "="])
    book.close()
    out.seek(0)
    cells = openpyxl.load_workbook(out)["S"][2]
    kept = re.sub("[\x07\ud800]", "", text).replace("\r", "\n")  # a CR becomes a line feed
    assert cells[0].data_type == "s" and cells[0].value == kept
    assert cells[0].quotePrefix == (text[0] not in "bh")
    assert cells[1].value == "plain" and cells[1].data_type == "s" and not cells[1].quotePrefix
    assert cells[2].value == "=" and cells[2].data_type == "s" and cells[2].quotePrefix


def _formula_cells(wb):
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    yield ws.title, cell


@pytest.mark.parametrize("opcc", [False, True], ids=["partnership", "all"])
def test_every_formula_carries_the_value_it_computes(funded, opcc):
    """A preview that does not recalculate (Slack's, a mail client's) shows the cached values:
    each is what its formula computes from the cells, to the penny."""
    which = {"all_partnerships": True} if opcc else {"partnership": "Northshire CSP"}
    formulas, cached = _workbook(**which), _workbook(**which, cached=True)
    ev = Evaluator(formulas)
    seen = 0
    for sheet, cell in _formula_cells(formulas):
        value = cached[sheet][cell.coordinate].value
        assert isinstance(value, (int, float)), (sheet, cell.coordinate, value)
        computed = ev.value(sheet, cell.coordinate)
        if formulas[sheet].cell(1, cell.column).value == "Variance":
            assert value == pytest.approx(computed, abs=1e-12), (sheet, cell.coordinate)
        else:
            assert pence(value) == pence(computed), (sheet, cell.coordinate, cell.value)
        seen += 1
    projects = 5 if opcc else 4
    assert seen == projects * 7 + (2 * 6 + 10 if opcc else 6)


def test_cached_values_agree_with_the_ledger(funded):
    wb = _workbook(all_partnerships=True, cached=True)
    summary = wb["Summary"]
    headers = [c.value for c in summary[1]]
    figures = [year_figures(FinancialYear.get_by_id(funded[k].id)) for k in ("year", "other")]
    for header, attribute in (("Spent", "spent"), ("Uncommitted", "uncommitted"),
                              ("Committed but unspent", "committed_unspent"),
                              ("Underspend to return", "underspend")):
        column = headers.index(header)
        got = [pence(summary.cell(r, column + 1).value) for r in (2, 3, 4)]
        expected = [getattr(f, attribute) for f in figures]
        assert got == expected + [sum(expected)], header
    upfront = headers.index("Upfront approved") + 1
    assert pence(summary.cell(2, upfront).value) == figures[0].pots["upfront"].committed
    headers, _ = _rows(wb["Projects"])
    first = next(wb["Projects"].iter_rows(min_row=2))  # Northshire's CRG-2024/25-001
    assert first[headers.index("Reference")].value == "CRG-2024/25-001"
    quarters = [pence(first[headers.index(f"Spend Q{q}")].value) for q in range(1, 5)]
    assert quarters == [100_000, 0, 250_025, 0]
    assert pence(first[headers.index("Remaining")].value) == 1_000_000 - 350_025


def test_the_opcc_workbook_covers_every_partnership(funded):
    wb = _workbook(all_partnerships=True)
    summary = wb["Summary"]
    assert [summary[f"A{r}"].value for r in (2, 3, 4)] == ["Northshire CSP", "Southshire CSP",
                                                            "Total"]
    ev = Evaluator(wb)
    figures = [year_figures(FinancialYear.get_by_id(funded[k].id)) for k in ("year", "other")]
    for column, attribute in (("J", "spent"), ("K", "uncommitted"), ("M", "underspend")):
        rows = [pence(ev.value("Summary", f"{column}{r}")) for r in (2, 3, 4)]
        expected = [getattr(f, attribute) for f in figures]
        assert rows == expected + [sum(expected)], column
    headers, projects = _rows(wb["Projects"])
    south = [r for r in wb["Projects"].iter_rows(min_row=2) if r[0].value == "Southshire CSP"]
    assert len(south) == 1 and south[0][2].value == "CRG-2024/25-001"
    quarter1 = ev.value("Projects", south[0][headers.index("Spend Q1")].coordinate)
    assert pence(quarter1) == 50_000  # not mixed up with Northshire's CRG-2024/25-001


def test_a_sheet_that_would_not_agree_with_the_ledger_is_refused(funded, tmp_path):
    Proposal.update(approved_pence=Proposal.approved_pence + 1).where(
        Proposal.id == funded["b"]).execute()  # a row changed behind the ledger's back
    selection = service.select(ADMIN, "Northshire CSP", "2024/25")
    with pytest.raises(Conflict, match="upfront projects of Northshire CSP 2024/25 add up to "
                                       "£15,000.51 but the ledger has £15,000.50 committed"):
        service.write_spend_sheet(selection, tmp_path / "sheet.xlsx")
    assert not (tmp_path / "sheet.xlsx").exists()
    Proposal.update(approved_pence=Proposal.approved_pence - 1).where(
        Proposal.id == funded["b"]).execute()
    service.write_spend_sheet(selection, io.BytesIO())  # put right, it exports again
    other = service.select(ADMIN, "Southshire CSP", "2024/25")
    south = Proposal.get(Proposal.title == "Bike marking")
    moved = LedgerEntry.update(proposal=funded["a"]).where(LedgerEntry.proposal == south.id)
    moved.execute()  # Southshire's spend booked against a Northshire project
    with pytest.raises(Conflict, match="spend lines of Southshire CSP 2024/25 add up to £0"):
        service.write_spend_sheet(other, io.BytesIO())


def test_spend_recorded_during_an_export_waits_for_the_next_one(funded, monkeypatch):
    from backend.domain.exports import data

    real = data.latest_progress

    def meanwhile(*args):  # another person records spend while the export is half-way through
        worker = threading.Thread(target=spend.record, args=(
            ADMIN, funded["a"], 1_000, date(2024, 6, 1), "Recorded meanwhile"))
        worker.start()
        worker.join()
        return real(*args)

    monkeypatch.setattr(data, "latest_progress", meanwhile)
    wb = _workbook("Northshire CSP")
    headers, lines = _rows(wb["Spend"], "Line")
    assert len(lines) == 6 and wb["Spend"].max_row == 7  # as the ledger stood when it began
    monkeypatch.setattr(data, "latest_progress", real)
    headers, lines = _rows(_workbook("Northshire CSP")["Spend"], "Line")
    assert len(lines) == 7


def test_who_may_export(funded):
    partner = Actor("U_SOMEONE")
    with pytest.raises(NotAllowed, match="export the spend sheet"):
        service.select(partner, "Northshire CSP", "2024/25")
    with pytest.raises(NotAllowed, match="every partnership"):
        service.select(partner, all_partnerships=True)
    with pytest.raises(NotFound, match="No partnership has a 2030/31 year"):
        service.select(ADMIN, year_label="2030/31", all_partnerships=True)


# ------------------------------------------------------------------ 360Giving


def _offline(uri: str) -> Resource:
    """Nothing is fetched: a reference the local schemas do not hold is an error."""
    raise NoSuchResource(ref=uri)


def _validator():
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    # The standard's files name their dialect with http://, which `referencing` does not know.
    grant_schema = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    grant = DRAFT202012.create_resource(grant_schema)
    target = package["properties"]["grants"]["items"]["$ref"]  # points at 1.4.2; the file is 1.4.3
    registry = Registry(retrieve=_offline).with_resources([(target, grant), (grant.id(), grant)])
    return Draft202012Validator(package, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_360giving_package_validates_against_the_official_schema(funded):
    settings = Settings(giving360_prefix="360G-northshirepcc", giving360_funder_id="GB-GOR-PC123",
                        giving360_funder_name="Northshire PCC")
    selection = service.select(ADMIN, "Northshire CSP", "2024/25")
    package = json.loads(json.dumps(service.giving360_package(selection, settings)))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(package)]
    assert errors == []
    grants = {g["title"]: g for g in package["grants"]}
    assert set(grants) == {INJECTIONS[0], INJECTIONS[1], INJECTIONS[2], "Stopped early"}
    first = grants[INJECTIONS[0]]
    assert re.fullmatch(r"360G-northshirepcc-CSP\d+-CRG-2024-25-001", first["id"])
    assert first["fundingOrganization"] == [{"id": "GB-GOR-PC123", "name": "Northshire PCC"}]
    assert first["recipientOrganization"][0] == {"id": "360G-northshirepcc-ORG-council",
                                                 "name": "@Council"}
    assert first["amountAwarded"] == 10_000 and grants[INJECTIONS[1]]["amountAwarded"] == 5000.5
    assert grants["Stopped early"]["amountAwarded"] == 400
    assert package["publisher"] == {"name": "Northshire PCC", "identifier": "GB-GOR-PC123"}
    assert "Pat" not in json.dumps(package)  # contact names are personal data
    broken = json.loads(json.dumps(package))
    del broken["grants"][0]["recipientOrganization"]
    assert list(_validator().iter_errors(broken))  # the validator does check the grants


def test_nothing_to_publish_is_refused(db):
    open_year(900_000, name="Quiet CSP")
    with pytest.raises(NotFound, match="no approved projects to publish"):
        service.giving360_package(service.select(ADMIN, "Quiet CSP", "2024/25"), Settings())


# ------------------------------------------------------------------ the command line


def test_the_command_line_records_and_exports(funded, db_url, tmp_path):
    def crg(*args, ok=True):
        env = {**os.environ, "DATABASE_URL": db_url, "GIVING360_PREFIX": "360G-cli",
               "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
        assert "Traceback" not in done.stderr, done.stderr
        assert (done.returncode == 0) == ok, (done.stdout, done.stderr)
        return done.stdout if ok else done.stderr.strip()

    out = crg("spend", "record", "Northshire CSP", "CRG-2024/25-001", "£1,000", "--date",
              "30/09/2024", "--for", "Trainer", "--invoice", "INV-42")
    assert "£1,000 on CRG-2024/25-001 in Q2" in out
    assert "outside 2024/25" in crg("spend", "record", "Northshire CSP", "1", "10", "--date",
                                    "2025-04-01", "--for", "Late", ok=False)
    out = crg("progress", "report", "Northshire CSP", "CRG-2024/25-002", "--rag", "amber",
              "--narrative", "Slow start", "--outputs", "1 of 4 sessions", "--date", "2024-10-01")
    assert "for 2024/25 Q3" in out
    assert "is not a RAG status" in crg("progress", "report", "Northshire CSP", "2", "--rag",
                                        "blue", "--narrative", "x", ok=False)
    assert "may now record" in crg("spend", "leads", "Northshire CSP", "on")
    assert "Wrote the spend sheet" in crg("export", "Northshire CSP", "2024/25")
    book = openpyxl.load_workbook(tmp_path / "crg-northshire-csp-2024-25.xlsx")
    assert any(r[9].value == "Trainer" for r in book["Spend"].iter_rows(min_row=2))
    crg("export", "--all", "2024/25", "--out", str(tmp_path / "opcc.xlsx"))
    assert (tmp_path / "opcc.xlsx").exists()
    package = json.loads(crg("export360", "--all", "2024/25", "--out", "-"))
    assert all(g["id"].startswith("360G-cli-") for g in package["grants"])


def test_command_line_arguments_are_checked_before_anything_runs(funded, capsys):
    with pytest.raises(InvalidInput, match="not a date: write it like 2024-09-30"):
        parse_day("tomorrow")
    assert parse_day("30/09/2024") == parse_day("2024-09-30") == date(2024, 9, 30)
    with pytest.raises(InvalidInput, match="with --all, only a year"):
        export_commands._selection(Namespace(target=["A", "B"], all_partnerships=True))
    with pytest.raises(InvalidInput, match="Say which partnership"):
        export_commands._selection(Namespace(target=[], all_partnerships=False))
    project_commands.cmd_progress_show(Namespace(partnership="Northshire CSP", ref="1"), Settings())
    assert "Amber, 1 Dec 2024: Venue lost" in capsys.readouterr().out
