"""The OPCC spend sheet: a workbook with Summary, Projects, Spend and Decisions sheets.

Written in openpyxl's write-only mode, so rows stream to disk and ten thousand projects need
little memory. Each project's spend by quarter and every Summary total are live formulas over
the Projects and Spend rows of the same partnership-year, so they recalculate when finance staff
edit a cell; `data.gather` has already checked that those rows add up to the ledger.

Nothing a person typed can become a formula: strings only reach a cell through `as_text`, and the
only way to write a formula is the `Formula` wrapper, which only this module builds.
"""
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from backend.domain import times, workflow
from backend.domain.exports.data import (
    DecisionRow,
    ExportData,
    ProjectRow,
    SpendRow,
    YearRow,
    pounds,
)
from backend.domain.workflow import STATUS_LABELS

GBP = '"£"#,##0.00;[Red]-"£"#,##0.00'
DATE = "dd/mm/yyyy"
DATETIME = "dd/mm/yyyy hh:mm"
PERCENT = "0.0%"
QUARTER = '"Q"0'
# Text starting with one of these is read as a formula by a spreadsheet when typed or imported
# (OWASP "CSV injection"); the full-width forms are included because some locales accept them.
FORMATS_BY_STYLE = {"gbp": GBP, "date": DATE, "datetime": DATETIME, "percent": PERCENT,
                    "quarter": QUARTER}
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
MAX_CELL_TEXT = 32_767


@dataclass(frozen=True, slots=True)
class Formula:
    text: str  # without the leading "="


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    style: str = "text"  # text, number, gbp, date, datetime, percent, quarter


SUMMARY = (
    Column("Partnership", 28), Column("Year", 9), Column("Allocation", 14, "gbp"),
    Column("Split (upfront share)", 11), Column("Upfront share", 14, "gbp"),
    Column("Tactical share", 14, "gbp"), Column("Upfront approved", 15, "gbp"),
    Column("Rolled over", 14, "gbp"), Column("Tactical approved", 15, "gbp"),
    Column("Spent", 14, "gbp"), Column("Uncommitted", 14, "gbp"),
    Column("Committed but unspent", 15, "gbp"), Column("Underspend to return", 15, "gbp"),
)
PROJECTS = (
    Column("Partnership", 24), Column("Year", 9), Column("Reference", 17), Column("Title", 40),
    Column("Lead organisation", 28), Column("Contact", 20), Column("Pot", 10),
    Column("Priorities", 34), Column("Working group decision", 13, "date"),
    Column("PCC approval", 13, "date"), Column("Approved", 13, "gbp"),
    Column("Spend Q1", 12, "gbp"), Column("Spend Q2", 12, "gbp"), Column("Spend Q3", 12, "gbp"),
    Column("Spend Q4", 12, "gbp"), Column("Total spent", 13, "gbp"),
    Column("Remaining", 13, "gbp"), Column("Variance", 10, "percent"), Column("Status", 24),
    Column("Latest progress", 60),
)
SPEND = (
    Column("Partnership", 24), Column("Year", 9), Column("Reference", 17), Column("Project", 36),
    Column("Line", 8, "number"), Column("Date", 12, "date"), Column("Quarter", 9, "quarter"),
    Column("Amount", 13, "gbp"), Column("Entry", 11), Column("What it was for", 40),
    Column("Invoice or claim", 18), Column("Corrects line", 9, "number"),
    Column("Recorded by", 24), Column("Recorded at", 16, "datetime"),
)
DECISIONS = (
    Column("Partnership", 24), Column("Year", 9), Column("Reference", 17), Column("Project", 36),
    Column("When", 16, "datetime"), Column("Decision", 18), Column("By", 24),
    Column("Status before", 24), Column("Status after", 24), Column("Approved", 12),
    Column("Reason or consent", 40),
)


def letters(columns: tuple[Column, ...]) -> dict[str, str]:
    """Each column's letter by its header, so formulas never hard-code a position."""
    return {c.header: get_column_letter(i) for i, c in enumerate(columns, 1)}


def as_text(worksheet, value):
    """A user-typed value as a cell that a spreadsheet can only ever read as text.

    openpyxl makes a formula of any string starting with "=" and an error of "#N/A" and the
    like; anything starting with a formula trigger gets an explicit string cell whose style
    carries Excel's quote prefix, so editing the cell later keeps it text too. Control
    characters that XML cannot carry are dropped rather than failing the whole export.
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:MAX_CELL_TEXT]
    if not text.startswith(FORMULA_TRIGGERS) and text not in ERROR_CODES:
        return text  # openpyxl stores any other string as a plain string
    cell = WriteOnlyCell(worksheet)
    cell.value = text
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


class _Styles:
    """One style per kind of column, made once per workbook and shared by every cell."""

    def __init__(self, worksheet):
        self.by_kind = {kind: self._make(worksheet, number_format=fmt)
                        for kind, fmt in FORMATS_BY_STYLE.items()}
        self.by_kind["text"] = self.by_kind["number"] = None
        self.header = self._make(worksheet, font=Font(bold=True),
                                 fill=PatternFill("solid", fgColor="DDE5F0"),
                                 alignment=Alignment(wrap_text=True, vertical="top"))
        self.total = self._make(worksheet, font=Font(bold=True), number_format=GBP)

    @staticmethod
    def _make(worksheet, **attributes):
        cell = WriteOnlyCell(worksheet)
        for name, value in attributes.items():
            setattr(cell, name, value)
        return cell._style


def _styled(worksheet, value, style):
    cell = WriteOnlyCell(worksheet)
    cell._style = style  # shared, never changed after this (set before the value on purpose)
    cell.value = value
    return cell


class _Sheet:
    """A write-only worksheet with the house layout: widths, frozen header, filter, print titles."""

    def __init__(self, workbook, title: str, columns: tuple[Column, ...], styles: _Styles | None):
        self.ws = ws = workbook.create_sheet(title)
        self.styles = styles or _Styles(ws)
        for i, column in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = column.width
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        self.columns = columns
        self.kinds = [(self.styles.by_kind[c.style], c.style == "gbp") for c in columns]
        ws.append([_styled(ws, c.header, self.styles.header) for c in columns])
        self.last_row = 1

    def append(self, values: Iterable, style=None) -> int:
        ws, cells = self.ws, []
        for value, (kind_style, money) in zip(values, self.kinds):
            if value is None:
                cells.append(None)
            elif isinstance(value, str):  # a subclass of str too: nothing skips the guard
                cells.append(as_text(ws, value))
            elif type(value) is Formula:
                cells.append(_styled(ws, "=" + value.text, style or kind_style))
            else:
                value = pounds(value) if money else value
                chosen = style or kind_style
                cells.append(value if chosen is None else _styled(ws, value, chosen))
        ws.append(cells)
        self.last_row += 1
        return self.last_row

    def finish(self, filter_to: int | None = None) -> None:
        last = get_column_letter(len(self.columns))
        self.ws.auto_filter.ref = f"A1:{last}{max(filter_to or self.last_row, 2)}"


def _blocks(years: list[YearRow], counts: dict[int, int]) -> dict[int, tuple[int, int]]:
    """The sheet rows each partnership-year's block occupies, below the header, in year order."""
    blocks, row = {}, 2
    for year in years:
        if counts.get(year.id):
            blocks[year.id] = (row, row + counts[year.id] - 1)
            row += counts[year.id]
    return blocks


class TotalRow(list):
    """A row of totals: written bold."""


def sheet_rows(data: ExportData) -> Iterator[tuple[str, tuple[Column, ...], Iterator[list]]]:
    """Each sheet's title, columns and rows (plain values, `Formula`s and pence), lazily."""
    projects_per_year = Counter(p.year_id for p in data.projects)
    project_blocks = _blocks(data.years, projects_per_year)
    spend_blocks = _blocks(data.years, data.spend_counts)
    yield "Summary", SUMMARY, _summary_rows(data, project_blocks)
    yield "Projects", PROJECTS, _project_rows(data.projects, spend_blocks, 2)
    yield "Spend", SPEND, _spend_rows(data.spend())
    yield "Decisions", DECISIONS, _decision_rows(data.decisions())


def write_workbook(data: ExportData, out, title: str = "") -> None:
    """Write the spend sheet of `data` to `out` (a path or a binary file)."""
    workbook = Workbook(write_only=True)
    workbook.calculation.fullCalcOnLoad = True  # no cached values: compute on opening
    workbook.properties.title = title or "Crime Reduction Grant spend sheet"
    workbook.properties.creator = "CRG Tracker"
    styles = None
    for name, columns, rows in sheet_rows(data):
        sheet = _Sheet(workbook, name, columns, styles)
        styles = sheet.styles
        for row in rows:
            sheet.append(row, style=styles.total if type(row) is TotalRow else None)
        # The Summary's filter covers its partnership rows, not the totals and note below them.
        sheet.finish(filter_to=len(data.years) + 1 if name == "Summary" else None)
    workbook.save(out)


def _summary_rows(data: ExportData, blocks: dict[int, tuple[int, int]]) -> Iterator[list]:
    s, p = letters(SUMMARY), letters(PROJECTS)

    def over_projects(column: str, year_id: int, pot: str = "") -> Formula | int:
        if year_id not in blocks:
            return 0
        first, last = blocks[year_id]
        values = f"Projects!${p[column]}${first}:${p[column]}${last}"
        if not pot:
            return Formula(f"SUM({values})")
        pots = f"Projects!${p['Pot']}${first}:${p['Pot']}${last}"
        return Formula(f'SUMIFS({values},{pots},"{pot}")')

    for r, y in enumerate(data.years, 2):
        yield _summary_row(y, r, s, over_projects)
    last = len(data.years) + 1
    if len(data.years) > 1:
        yield TotalRow(["Total"] + [Formula(f"SUM({s[c.header]}2:{s[c.header]}{last})")
                                    if c.style == "gbp" else None for c in SUMMARY[1:]])
    yield []
    yield [f"Generated {times.show(data.generated_at)} from the CRG tracker's ledger. Approved, "
           "spent and the year-end figures are formulas over the Projects and Spend sheets; "
           "they recalculate when a cell there changes."]


def _summary_row(y: YearRow, r: int, s: dict[str, str], over_projects) -> list:
    upfront, tactical, spent = (s["Upfront approved"], s["Tactical approved"], s["Spent"])
    return [
        y.partnership, y.label, y.allocation, f"{y.split_rule} upfront", y.upfront_share,
        y.tactical_share, over_projects("Approved", y.id, "Upfront"), y.figures.rolled_over,
        over_projects("Approved", y.id, "Tactical"), over_projects("Total spent", y.id),
        Formula(f"{s['Allocation']}{r}-{upfront}{r}-{tactical}{r}"),
        Formula(f"{upfront}{r}+{tactical}{r}-{spent}{r}"),
        Formula(f"{s['Allocation']}{r}-{spent}{r}"),
    ]


def _project_rows(projects: list[ProjectRow], spend_blocks, first_row: int) -> Iterator[list]:
    p, sp = letters(PROJECTS), letters(SPEND)
    quarters = [p[f"Spend Q{q}"] for q in range(1, 5)]
    approved, total = p["Approved"], p["Total spent"]
    for r, project in enumerate(projects, first_row):
        block = spend_blocks.get(project.year_id)
        if block:
            first, last = block
            amounts = f"Spend!${sp['Amount']}${first}:${sp['Amount']}${last}"
            refs = f"Spend!${sp['Reference']}${first}:${sp['Reference']}${last}"
            in_quarter = f"Spend!${sp['Quarter']}${first}:${sp['Quarter']}${last}"
            spend = [Formula(f"SUMIFS({amounts},{refs},${p['Reference']}{r},{in_quarter},{q})")
                     for q in range(1, 5)]
        else:
            spend = [0, 0, 0, 0]
        yield [
            project.partnership, project.year_label, project.ref, project.title,
            project.lead_organisation, project.contact_name, project.pot.capitalize(),
            "; ".join(project.priorities), _local_date(project.wg_decided_at),
            _local_date(project.pcc_decided_at), project.approved_pence, *spend,
            Formula(f"SUM({quarters[0]}{r}:{quarters[3]}{r})"),
            Formula(f"{approved}{r}-{total}{r}"),
            Formula(f"IF({approved}{r}=0,0,({total}{r}-{approved}{r})/{approved}{r})"),
            STATUS_LABELS.get(project.status, project.status),
            project.latest.summary if project.latest else None,
        ]


def _spend_rows(lines: Iterable[SpendRow]) -> Iterator[list]:
    for line in lines:
        yield [
            line.partnership, line.year_label, line.ref, line.title, line.id, line.spent_on,
            line.quarter, line.amount_pence, "Correction" if line.is_correction else "Spend",
            line.memo, line.reference or None, line.reverses_id, line.actor,
            _local(line.created_at),
        ]


def _decision_rows(decisions: Iterable[DecisionRow]) -> Iterator[list]:
    for d in decisions:
        yield [
            d.partnership, d.year_label, d.ref, d.title, _local(d.at),
            (workflow.DECISIONS[d.action].recorded if d.action in workflow.DECISIONS else d.action), d.actor,
            STATUS_LABELS.get(d.before_status, d.before_status) or None,
            STATUS_LABELS.get(d.after_status, d.after_status) or None, d.approved or None,
            d.note or None,
        ]


def _local(utc_naive):
    """A stored UTC time as the wall-clock time a spreadsheet shows (it has no time zones)."""
    return times.to_local(utc_naive).replace(tzinfo=None) if utc_naive else None


def _local_date(utc_naive) -> date | None:
    return times.to_local(utc_naive).date() if utc_naive else None
