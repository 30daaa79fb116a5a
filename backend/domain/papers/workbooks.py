"""The returns as workbooks, written the spend sheet's way (`exports.xlsx`): live formulas for
every variance and total (each carrying the value it computes), GBP formats, a frozen header row
that repeats on every printed page, and text people typed always written as text, never a
formula.

The rows of each partnership-year come pot by pot, each pot closed by its total row; then the
partnership's total (its pots' totals added); the OPCC's return across partnerships ends with
the total of every partnership's total.
"""
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike, fspath

import xlsxwriter

from backend.domain import times
from backend.domain.exports.layout import PER_SELECTION, Column, letters
from backend.domain.exports.workbook import TotalRow
from backend.domain.exports.xlsx import OPTIONS, Formats, Formula, Page, SheetWriter

POTS = ("upfront", "tactical")


@dataclass(frozen=True)
class Group:
    """One partnership-year's rows of a sheet: its name, and its rows pot by pot."""

    partnership: str
    label: str
    # pot kind: rows of plain values (pence in money columns), each pot closed by its total;
    # a single "" key: the rows with no pot totals
    pots: dict[str, list[list]]


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    groups: Sequence[Group]
    # Per row (its values, its sheet row number): the formulas that replace plain values.
    formulas: Callable[[list, int, dict[str, str]], dict[str, Formula]]
    totals: tuple[str, ...]  # the columns added up in the total rows
    notes: tuple[str, ...] = ()


def write(sheets: Sequence[Sheet], out, title: str, what: str, note: str) -> None:
    """The workbook of `sheets` to a path or a binary file."""
    workbook = xlsxwriter.Workbook(fspath(out) if isinstance(out, PathLike) else out, OPTIONS)
    workbook.set_properties({"title": f"Crime Reduction Grant {what}: {title}",
                             "author": "CRG Tracker"})
    formats = Formats(workbook)
    page = Page(title, note, what)
    for sheet in sheets:
        _write_sheet(workbook, formats, page, sheet)
    workbook.close()


def _write_sheet(workbook, formats: Formats, page: Page, sheet: Sheet) -> None:
    single = len(sheet.groups) == 1
    first_printed = 0
    while single and sheet.columns[first_printed].header in PER_SELECTION:
        first_printed += 1
    writer = SheetWriter(workbook, formats, sheet.name, sheet.columns, page,
                         print_from=first_printed)
    at = letters(sheet.columns)
    index = {c.header: i for i, c in enumerate(sheet.columns)}
    group_totals: list[tuple[int, list]] = []
    for group in sheet.groups:
        pot_totals, first, written = [], writer.last_row + 2, []
        for kind, rows in group.pots.items():
            if not rows:
                continue
            first = writer.last_row + 2  # the sheet's own (one-based) row numbers
            written = []
            for values in rows:
                written.append(_with_formulas(values, writer.last_row + 2, sheet, at, index))
                writer.append(written[-1])
            if not kind:
                break
            total = _total_row(sheet, at, index, written, f"{group.partnership}",
                               f"Total {kind}", writer.last_row + 2,
                               lambda c: f"SUM({at[c]}{first}:{at[c]}{writer.last_row + 1})")
            pot_totals.append((writer.last_row + 2, total))
            writer.append(total, bold=True)
        last = writer.last_row + 1
        if "" in group.pots:
            over, rows_of = (lambda c: f"SUM({at[c]}{first}:{at[c]}{last})"), written
        else:
            over = (lambda c: "+".join(f"{at[c]}{r}" for r, _ in pot_totals) or "0")
            rows_of = [t for _, t in pot_totals]
        total = _total_row(sheet, at, index, rows_of, group.partnership,
                           f"Total {group.partnership} {group.label}", writer.last_row + 2, over)
        group_totals.append((writer.last_row + 2, total))
        writer.append(total, bold=True)
        writer.append([])
    if len(sheet.groups) > 1:
        rows_of = [t for _, t in group_totals]
        writer.append(_total_row(sheet, at, index, rows_of, "All partnerships",
                                 "Total, every partnership", writer.last_row + 2,
                                 lambda c: "+".join(f"{at[c]}{r}" for r, _ in group_totals)),
                      bold=True)
    for text in sheet.notes:
        writer.note(text)
    writer.finish()


def _with_formulas(values: list, row: int, sheet: Sheet, at: dict, index: dict) -> list:
    values = list(values)
    for header, formula in sheet.formulas(values, row, at).items():
        values[index[header]] = formula
    return values


def value_of(cell) -> int | float:
    return cell.value if isinstance(cell, Formula) else (cell or 0)


def _total_row(sheet: Sheet, at: dict, index: dict, rows: list[list], partnership: str,
               label: str, row: int, over: Callable[[str], str]) -> TotalRow:
    total = TotalRow([None] * len(sheet.columns))
    total[0] = partnership
    total[index["Reference"] if "Reference" in index else index["Pot"]] = label
    for header in sheet.totals:
        i = index[header]
        total[i] = Formula(over(header), sum(value_of(r[i]) for r in rows))
    for header, formula in sheet.formulas(total, row, at).items():
        if header not in sheet.totals:
            total[index[header]] = formula
    return total


def generated() -> str:
    return f"Generated {times.show(times.now())} from the CRG tracker's ledger"
