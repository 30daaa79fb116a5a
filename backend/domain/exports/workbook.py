"""The OPCC spend sheet: a workbook with Summary, Projects, Spend, Decisions and Scoring sheets.

Each project's spend by quarter and every Summary total are live formulas over the Projects and
Spend rows of the same partnership-year, so they recalculate when finance staff edit a cell;
`data.gather` has already checked that those rows add up to the ledger. Each formula also
carries the value it computes, worked out here in pence from the same rows (a project's spend
by quarter from the ledger lines the Spend sheet lists), so a preview that does not recalculate
shows every total. The Spend rows themselves are streamed after the Projects rows are written,
which is why those values come from `ProjectRow.spend_by_quarter`, read in the same snapshot.

What each sheet holds and prints: layout.py. How cells reach the file: xlsx.py.
"""
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from os import PathLike, fspath

import xlsxwriter

from backend.domain import times, workflow
from backend.domain.exports.data import (
    DecisionRow,
    ExportData,
    ProjectRow,
    ScoringRow,
    SpendRow,
    YearRow,
)
from backend.domain.exports.layout import (
    CONDITIONS,
    DECISIONS,
    ONE_PAGE,
    PER_SELECTION,
    PROJECTS,
    SCORING,
    SPEND,
    SUMMARY,
    Column,
    letters,
)
from backend.domain.exports.xlsx import OPTIONS, Formats, Formula, Page, SheetWriter
from backend.domain.workflow import STATUS_LABELS


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


class Note(str):
    """A line of explanation under a sheet's rows."""


def sheet_rows(data: ExportData) -> Iterator[tuple[str, tuple[Column, ...], Iterator[list]]]:
    """Each sheet's title, columns and rows (plain values, `Formula`s and pence), lazily."""
    projects_per_year = Counter(p.year_id for p in data.projects)
    project_blocks = _blocks(data.years, projects_per_year)
    spend_blocks = _blocks(data.years, data.spend_counts)
    yield "Summary", SUMMARY, _summary_rows(data, project_blocks)
    yield "Projects", PROJECTS, _project_rows(data.projects, spend_blocks, 2)
    yield "Spend", SPEND, _spend_rows(data.spend())
    yield "Decisions", DECISIONS, _decision_rows(data.decisions())
    held = data.conditions()
    if held:  # the grant's conditions, met or outstanding: for the monitoring return
        yield "Conditions", CONDITIONS, _condition_rows(held)
    yield "Scoring", SCORING, _scoring_rows(data.scoring())


def write_workbook(data: ExportData, out, title: str = "") -> None:
    """Write the spend sheet of `data` to `out` (a path or a binary file).

    `title` names the partnership and year ("Northshire CSP 2024/25") in every page's header.
    A failure half-way leaves no file: XlsxWriter only creates it when the workbook closes.
    """
    title = title or _title(data)
    workbook = xlsxwriter.Workbook(fspath(out) if isinstance(out, PathLike) else out, OPTIONS)
    workbook.set_properties({"title": f"Crime Reduction Grant spend sheet: {title}",
                             "author": "CRG Tracker"})
    formats = Formats(workbook)
    page = Page(title, f"Generated {times.show(data.generated_at)}")
    for name, columns, rows in sheet_rows(data):
        sheet = SheetWriter(workbook, formats, name, columns, page, one_page=name in ONE_PAGE,
                            print_from=_print_from(name, columns, data))
        for row in rows:
            if type(row) is Note:
                sheet.note(row)
            else:
                sheet.append(row, bold=type(row) is TotalRow)
        # The Summary's filter covers its partnership rows, not the totals and note below them.
        sheet.finish(filter_to=len(data.years) + 1 if name == "Summary" else None)
    workbook.close()


def _title(data: ExportData) -> str:
    if len(data.years) == 1:
        return f"{data.years[0].partnership} {data.years[0].label}"
    return "All partnerships " + ", ".join(sorted({y.label for y in data.years}))


def _print_from(name: str, columns: tuple[Column, ...], data: ExportData) -> int:
    """The first column printed: past Partnership and Year when the page header names the one
    partnership-year (the Summary prints whole: it fits a page)."""
    if name in ONE_PAGE or len(data.years) != 1:
        return 0
    first = 0
    while first < len(columns) and columns[first].header in PER_SELECTION:
        first += 1
    return first


def _summary_rows(data: ExportData, blocks: dict[int, tuple[int, int]]) -> Iterator[list]:
    s, p = letters(SUMMARY), letters(PROJECTS)
    sums = _sums_by_year(data.projects)

    def over_projects(column: str, year_id: int, value: int, pot: str = "") -> Formula | int:
        if year_id not in blocks:
            return 0
        first, last = blocks[year_id]
        values = f"Projects!${p[column]}${first}:${p[column]}${last}"
        if not pot:
            return Formula(f"SUM({values})", value)
        pots = f"Projects!${p['Pot']}${first}:${p['Pot']}${last}"
        return Formula(f'SUMIFS({values},{pots},"{pot}")', value)

    rows = [_summary_row(y, r, s, over_projects, sums[y.id])
            for r, y in enumerate(data.years, 2)]
    yield from rows
    last = len(data.years) + 1
    if len(data.years) > 1:
        yield TotalRow(["Total"] + [
            Formula(f"SUM({s[c.header]}2:{s[c.header]}{last})", sum(_value(r[i]) for r in rows))
            if c.style == "gbp" else None for i, c in enumerate(SUMMARY[1:], 1)])
    yield []
    yield Note(f"Generated {times.show(data.generated_at)} from the CRG tracker's ledger.")
    yield Note("Approved, spent and the year-end figures are formulas over the Projects and "
               "Spend sheets; they recalculate when a cell there changes.")


def _sums_by_year(projects: list[ProjectRow]) -> dict[int, dict[str, int]]:
    """Each year's approved pence by pot and its spent pence, from the Projects rows."""
    sums = defaultdict(lambda: {"upfront": 0, "tactical": 0, "spent": 0})
    for project in projects:
        sums[project.year_id][project.pot] += project.approved_pence
        sums[project.year_id]["spent"] += project.spent
    return sums


def _value(cell) -> int | float:
    return cell.value if type(cell) is Formula else cell


def _summary_row(y: YearRow, r: int, s: dict[str, str], over_projects, sums: dict) -> list:
    upfront, tactical, spent = (s["Upfront approved"], s["Tactical approved"], s["Spent"])
    committed = sums["upfront"] + sums["tactical"]
    return [
        y.partnership, y.label, y.allocation, f"{y.split_rule} upfront", y.upfront_share,
        y.tactical_share, over_projects("Approved", y.id, sums["upfront"], "Upfront"),
        y.figures.rolled_over, over_projects("Approved", y.id, sums["tactical"], "Tactical"),
        over_projects("Total spent", y.id, sums["spent"]),
        Formula(f"{s['Allocation']}{r}-{upfront}{r}-{tactical}{r}", y.allocation - committed),
        Formula(f"{upfront}{r}+{tactical}{r}-{spent}{r}", committed - sums["spent"]),
        Formula(f"{s['Allocation']}{r}-{spent}{r}", y.allocation - sums["spent"]),
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
            spend = [Formula(f"SUMIFS({amounts},{refs},${p['Reference']}{r},{in_quarter},{q})",
                             project.spend_by_quarter[q - 1]) for q in range(1, 5)]
        else:
            spend = [0, 0, 0, 0]
        spent, granted = project.spent, project.approved_pence
        yield [
            project.partnership, project.year_label, project.ref, project.title,
            project.lead_organisation, project.contact_name, project.pot.capitalize(),
            "; ".join(project.priorities), _local_date(project.wg_decided_at),
            _local_date(project.pcc_decided_at), granted, *spend,
            Formula(f"SUM({quarters[0]}{r}:{quarters[3]}{r})", spent),
            Formula(f"{approved}{r}-{total}{r}", granted - spent),
            Formula(f"IF({approved}{r}=0,0,({total}{r}-{approved}{r})/{approved}{r})",
                    (spent - granted) / granted if granted else 0),
            STATUS_LABELS.get(project.status, project.status),
            project.latest.summary if project.latest else None,
        ]


def _spend_rows(lines: Iterable[SpendRow]) -> Iterator[list]:
    for line in lines:
        yield [
            line.partnership, line.year_label, line.ref, line.title, line.id, line.spent_on,
            line.quarter, line.amount_pence, "Correction" if line.is_correction else "Spend",
            line.memo, line.reference or None, line.reverses_id, line.actor,
            _local(line.created_at), _paid_on(line),
        ]


def _condition_rows(held) -> Iterator[list]:
    for project, c in held:
        yield [project.partnership, project.year_label, project.ref, project.title, c.title,
               c.due_label.capitalize(), c.state_label.capitalize(),
               "Yes" if c.outstanding else "No", c.answer or c.note or None]


def _paid_on(line: SpendRow) -> str | None:
    if not line.paid:
        return None
    return f"{line.paid}: {line.evidence}" if line.evidence else line.paid


def _decision_rows(decisions: Iterable[DecisionRow]) -> Iterator[list]:
    for d in decisions:
        yield [
            d.partnership, d.year_label, d.ref, d.title, _local(d.at),
            (workflow.DECISIONS[d.action].recorded if d.action in workflow.DECISIONS else d.action), d.actor,
            STATUS_LABELS.get(d.before_status, d.before_status) or None,
            STATUS_LABELS.get(d.after_status, d.after_status) or None, d.approved or None,
            d.note or None,
        ]


def _scoring_rows(rows: list[ScoringRow]) -> Iterator[list]:
    for s in rows:
        yield [
            s.partnership, s.year_label, s.meeting, s.ref, s.title, s.rank or None, s.mean,
            s.member, s.scores or None, s.member_score, "Declared" if s.conflict else None,
            s.comment or None, _local(s.scored_at), _local(s.updated_at),
        ]
    if not rows:
        yield Note("No shortlisting exercise has closed for these years: scores are listed "
                   "here once scoring closes.")
    else:
        yield []
        yield Note("Only closed rounds are listed. A member's score is the weighted mean of "
                   "their criteria; a proposal's mean is the mean of its members' scores; = marks "
                   "a tie.")


def _local(utc_naive):
    """A stored UTC time as the wall-clock time a spreadsheet shows (it has no time zones)."""
    return times.to_local(utc_naive).replace(tzinfo=None) if utc_naive else None


def _local_date(utc_naive) -> date | None:
    return times.to_local(utc_naive).date() if utc_naive else None
