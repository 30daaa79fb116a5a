"""Writing a sheet with XlsxWriter: typed cells, shared formats, the A4 page and the text guard.

The workbook is opened in XlsxWriter's constant_memory mode: each row goes to a temporary file
as soon as the next one starts, so ten thousand projects need little memory, and rows must be
written top to bottom, which `SheetWriter.append` does. Every formula is written with the value
it computes (`Formula.value`, worked out in Python from the same rows), so a preview that does
not recalculate (Slack's, a mail client's) shows real totals; the workbook still asks the
spreadsheet to recalculate on opening, which XlsxWriter does by default.

Nothing a person typed can become a formula: a string only ever reaches a cell through
`write_string`, after `as_text`, and a formula only from the `Formula` wrapper.
"""
import re
from dataclasses import dataclass
from datetime import date

from backend.domain.exports import fit
from backend.domain.exports.data import pounds
from backend.domain.exports.layout import FONT, Column

NUMBER_FORMATS = {"gbp": '"£"#,##0.00;[Red]-"£"#,##0.00', "date": "dd/mm/yyyy",
                  "datetime": "dd/mm/yyyy hh:mm", "percent": "0.0%", "quarter": '"Q"0',
                  "score": "0.00"}
# Text starting with one of these is read as a formula by a spreadsheet when typed or imported
# (OWASP "CSV injection"); the full-width forms are included because some locales accept them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
# What XML 1.0 cannot carry: control characters (tab, newline and return aside), lone halves of
# surrogate pairs and the two non-characters.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_CELL_TEXT = 32_767
# Excel refuses a page header over 255 characters, codes included: 100 characters of title,
# even if every one is an "&" written twice, keep it under that.
MAX_HEADER_TITLE = 100
OPTIONS = {"constant_memory": True, "default_format_properties": FONT}
A4 = 9  # Excel's paper-size code


@dataclass(frozen=True, slots=True)
class Formula:
    """A live formula (without its leading "=") and what it computes: pence for a money
    column, otherwise the plain number."""

    text: str
    value: int | float


@dataclass(frozen=True)
class Page:
    """What every printed page of the workbook says."""

    title: str  # the partnership and year: "Northshire CSP 2024/25"
    note: str = ""  # in the footer: "Generated 2 Apr 2025 09:00"
    what: str = "spend sheet"  # or "monitoring return", "year-end return"

    def header(self) -> str:
        """Bold on the left, the title; on the right, the sheet's name (&A)."""
        return f"&L&BCrime Reduction Grant {self.what}: {_literal(self.title)}&B&R&A"

    def footer(self) -> str:
        return f"&L{_literal(self.note)}&CPage &P of &N"


def _literal(text: str) -> str:
    """Text for a page header or footer, where "&" starts a code, shortened to fit."""
    if len(text) > MAX_HEADER_TITLE:
        text = text[:MAX_HEADER_TITLE - 1] + "…"
    return text.replace("&", "&&")


def as_text(value) -> tuple[str, bool]:
    """A user-typed value as the text to store, and whether it needs Excel's quote prefix.

    The text is always written as a string cell; one that starts like a formula (or reads as an
    error code) also gets the quote prefix, so editing the cell later keeps it text. Characters
    that XML cannot carry are dropped rather than failing the whole export, and a carriage
    return becomes the line feed a cell breaks lines with.
    """
    text = str(value)
    if not text.isprintable():  # most text is: then there is nothing to drop or change
        text = NOT_IN_XML.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text[:MAX_CELL_TEXT]
    return text, text.startswith(FORMULA_TRIGGERS) or text in ERROR_CODES


class Formats:
    """The workbook's cell formats, each made once and shared by every cell that uses it."""

    def __init__(self, workbook):
        self._workbook = workbook
        self._made = {}
        self.header = workbook.add_format({"bold": True, "bg_color": "#DDE5F0", "valign": "top",
                                           "text_wrap": True, "bottom": 1})
        self.note = workbook.add_format({"italic": True})  # unwrapped: runs on to the right

    def cell(self, style: str, wrap: bool = False, quoted: bool = False, bold: bool = False):
        key = (style, wrap, quoted, bold)
        if key not in self._made:
            properties = {"valign": "top", "text_wrap": wrap, "quote_prefix": quoted,
                          "bold": bold}
            if style in NUMBER_FORMATS:
                properties["num_format"] = NUMBER_FORMATS[style]
            self._made[key] = self._workbook.add_format(properties)
        return self._made[key]


class _Kind:
    """How one column's cells are written: its formats, and pence to pounds if it holds money."""

    __slots__ = ("money", "plain", "quoted")

    def __init__(self, formats: Formats, column: Column, bold: bool):
        self.plain = formats.cell(column.style, column.wrap, bold=bold)
        self.quoted = formats.cell(column.style, column.wrap, quoted=True, bold=bold)
        self.money = column.style == "gbp"


class SheetWriter:
    """One worksheet, written row by row: header row, widths, print layout, then the rows.

    `print_from` is the first column that prints (see layout.py); `one_page` fits the whole
    sheet on one page, otherwise the width is fitted and the rows run on over as many pages as
    they need, the header row repeated on each.
    """

    def __init__(self, workbook, formats: Formats, name: str, columns: tuple[Column, ...],
                 page: Page, *, one_page: bool = False, print_from: int = 0):
        self.ws = ws = workbook.add_worksheet(name)
        self.columns, self.print_from, self.formats = columns, print_from, formats
        self.kinds = [_Kind(formats, c, bold=False) for c in columns]
        self.bold_kinds = [_Kind(formats, c, bold=True) for c in columns]
        for i, column in enumerate(columns):
            ws.set_column(i, i, column.width, None, _outline(columns, i))
        ws.freeze_panes(1, 0)
        ws.repeat_rows(0)
        ws.set_paper(A4)
        ws.set_landscape()
        ws.set_margins(left=0.25, right=0.25, top=0.6, bottom=0.6)  # inches
        # the page header and footer keep their size however small the sheet is scaled
        ws.set_header(page.header(), {"margin": 0.25, "scale_with_doc": False})
        ws.set_footer(page.footer(), {"margin": 0.25, "scale_with_doc": False})
        ws.hide_gridlines(0)  # print the grid: tall wrapped rows are easier to follow
        ws.fit_to_pages(1, 1 if one_page else 0)
        self.wrapped = [(i, c.width) for i, c in enumerate(columns) if c.wrap]
        ws.set_row(0, fit.row_points(max(fit.lines(c.header, c.width, bold=True)
                                         for c in columns)))
        for i, column in enumerate(columns):
            ws.write_string(0, i, column.header, formats.header)
        self.last_row = 0  # zero-based, as XlsxWriter counts

    def append(self, values, bold: bool = False) -> None:
        """Write the next row: plain values, `Formula`s, pence in money columns."""
        self.last_row = row = self.last_row + 1
        ws, kinds = self.ws, self.bold_kinds if bold else self.kinds
        height = self._height(values)
        if height:
            ws.set_row(row, height)  # before the row's cells: constant_memory writes it once
        for col, value in enumerate(values):
            if value is None:
                continue
            kind = kinds[col]
            if isinstance(value, str):  # a subclass of str too: nothing skips the guard
                text, quoted = as_text(value)
                ws.write_string(row, col, text, kind.quoted if quoted else kind.plain)
            elif type(value) is Formula:
                cached = pounds(value.value) if kind.money else value.value
                ws.write_formula(row, col, value.text, kind.plain, cached)
            elif isinstance(value, date):  # and datetime, its subclass
                ws.write_datetime(row, col, value, kind.plain)
            else:
                ws.write_number(row, col, pounds(value) if kind.money else value, kind.plain)

    def note(self, text: str) -> None:
        """A line of explanation under the rows, in the first column and running on across the
        empty cells to its right."""
        self.last_row += 1
        self.ws.write_string(self.last_row, 0, as_text(text)[0], self.formats.note)

    def _height(self, values) -> float | None:
        """The row's height when a wrapped cell needs more than one line (see fit.py)."""
        tallest = 1
        for i, width in self.wrapped:
            if i < len(values) and isinstance(values[i], str):
                tallest = max(tallest, fit.lines(values[i], width))
        return fit.row_points(tallest)

    def finish(self, filter_to: int | None = None) -> None:
        """The filter over the header and rows (up to `filter_to`, one-based), and the print
        area: every written row, from the first printed column."""
        last_col = len(self.columns) - 1
        self.ws.autofilter(0, 0, max((filter_to or self.last_row + 1) - 1, 1), last_col)
        if self.print_from:
            self.ws.print_area(0, self.print_from, max(self.last_row, 1), last_col)


def _outline(columns: tuple[Column, ...], i: int) -> dict:
    """A column kept off paper is hidden in a collapsed outline group; the column after such a
    group carries the "+" that shows it again."""
    if not columns[i].on_paper:
        return {"level": 1, "hidden": True}
    if i and not columns[i - 1].on_paper:
        return {"collapsed": True}
    return {}
