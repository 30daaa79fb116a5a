"""The spend sheet's five sheets as finance staff see them on screen and on A4 paper.

Every column stays in its sheet, in the order the OPCC knows. Paper is narrower: a landscape A4
page holds about 185 character widths of 10 pt Arial printed at 7 pt or more, so each sheet
chooses what it prints, in two standard ways that Excel and LibreOffice both honour:

- the leading Partnership and Year columns are left out of the print area when the workbook has
  a single partnership-year, since every page's header names it; they stay on screen (the
  OPCC's workbook across partnerships prints them);
- a column marked `on_paper=False` (on Projects: the contact, the priorities and the two decision
  dates) is hidden in a collapsed outline group, on screen too. The "+" button above the column
  letters shows it again (Data > Show Detail in Excel, Data > Group and Outline > Show Details
  in LibreOffice); it then prints too, as a shown column always does, at a smaller scale.

Long text (titles, what spend was for, progress) wraps inside its column instead of running
under the next one, and each row is given the height its wrapped text needs (fit.py), so
nothing is cut off at a cell's edge. Widths are in Excel's character units of the workbook font
(Arial 10).
"""
from dataclasses import dataclass

from xlsxwriter.utility import xl_col_to_name

# The workbook's font: Arial is on every Windows and Mac, and LibreOffice on Linux draws it with
# the metric-compatible Liberation Sans, so a page breaks in the same place in every program.
FONT = {"font_name": "Arial", "font_size": 10}


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    style: str = "text"  # text, number, gbp, date, datetime, percent, quarter, score
    wrap: bool = False  # long text: wrapped within the column, the row grows to fit
    on_paper: bool = True  # False: hidden in a collapsed outline group, see the module docstring


# The columns that name the partnership-year: out of the print area when there is only one.
PER_SELECTION = ("Partnership", "Year")


SUMMARY = (
    Column("Partnership", 22, wrap=True), Column("Year", 8), Column("Allocation", 12, "gbp"),
    Column("Split (upfront share)", 12, wrap=True), Column("Upfront share", 12, "gbp"),
    Column("Tactical share", 12, "gbp"), Column("Upfront approved", 12, "gbp"),
    Column("Rolled over", 12, "gbp"), Column("Tactical approved", 12, "gbp"),
    Column("Spent", 12, "gbp"), Column("Uncommitted", 12, "gbp"),
    Column("Committed but unspent", 12, "gbp"), Column("Underspend to return", 12, "gbp"),
)
PROJECTS = (
    Column("Partnership", 16, wrap=True), Column("Year", 8), Column("Reference", 17),
    Column("Title", 25, wrap=True), Column("Lead organisation", 15, wrap=True),
    Column("Contact", 20, wrap=True, on_paper=False), Column("Pot", 8.5),
    Column("Priorities", 30, wrap=True, on_paper=False),
    Column("Working group decision", 14, "date", on_paper=False),
    Column("PCC approval", 12, "date", on_paper=False), Column("Approved", 10.5, "gbp"),
    Column("Spend Q1", 10, "gbp"), Column("Spend Q2", 10, "gbp"),
    Column("Spend Q3", 10, "gbp"), Column("Spend Q4", 10, "gbp"),
    Column("Total spent", 10.5, "gbp"), Column("Remaining", 10.5, "gbp"),
    Column("Variance", 9, "percent"), Column("Status", 11, wrap=True),
    Column("Latest progress", 28, wrap=True),
)
SPEND = (
    Column("Partnership", 16, wrap=True), Column("Year", 8), Column("Reference", 17),
    Column("Project", 26, wrap=True), Column("Line", 7, "number"), Column("Date", 11, "date"),
    Column("Quarter", 8, "quarter"), Column("Amount", 11, "gbp"), Column("Entry", 10),
    Column("What it was for", 24, wrap=True), Column("Invoice or claim", 16, wrap=True),
    Column("Corrects line", 8, "number"), Column("Recorded by", 20, wrap=True),
    Column("Recorded at", 15, "datetime"),
    # "Central" (recorded by finance), or the claim it paid with its files' names and hashes
    Column("Paid on", 16, wrap=True),
)
# Written only when some project of the selection has grant conditions.
CONDITIONS = (
    Column("Partnership", 16, wrap=True), Column("Year", 8), Column("Reference", 17),
    Column("Project", 30, wrap=True), Column("Condition", 34, wrap=True),
    Column("When it must be met", 18, wrap=True), Column("State", 16, wrap=True),
    Column("Outstanding", 11), Column("Note or reason", 40, wrap=True),
)
DECISIONS = (
    Column("Partnership", 16, wrap=True), Column("Year", 8), Column("Reference", 17),
    Column("Project", 34, wrap=True), Column("When", 15, "datetime"),
    Column("Decision", 16, wrap=True), Column("By", 20, wrap=True),
    Column("Status before", 16, wrap=True), Column("Status after", 16, wrap=True),
    Column("Approved", 12), Column("Reason or consent", 34, wrap=True),
)
# Who scored what, when, in the shortlisting exercise's closed rounds (one row per member and
# proposal); a proposal's rank and mean repeat on each of its rows, so a filter keeps them.
SCORING = (
    Column("Partnership", 16, wrap=True), Column("Year", 8), Column("Meeting", 20, wrap=True),
    Column("Reference", 17), Column("Project", 28, wrap=True), Column("Rank", 6),
    Column("Mean", 7, "score"), Column("Member", 18, wrap=True),
    Column("Scores", 34, wrap=True), Column("Member's score", 9, "score"),
    Column("Conflict", 9), Column("Comment", 30, wrap=True),
    Column("First scored", 15, "datetime"), Column("Last changed", 15, "datetime"),
)
# Sheets printed whole on one page; the others are fitted to the page width and run on down.
ONE_PAGE = frozenset({"Summary"})


def letters(columns: tuple[Column, ...]) -> dict[str, str]:
    """Each column's letter by its header, so formulas never hard-code a position."""
    return {c.header: xl_col_to_name(i) for i, c in enumerate(columns)}
