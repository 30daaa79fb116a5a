"""The spend sheet printed: converted to PDF by LibreOffice headless and read back page by page.

Needs Debian's LibreOffice Calc, poppler-utils and the Liberation fonts, which LibreOffice draws
Arial with (`apt-get install libreoffice-calc-nogui poppler-utils fonts-liberation2`). On a
laptop without them the test is skipped, saying so; CI sets CRG_REQUIRE_LIBREOFFICE=1 (and
installs them), which turns their absence into a failure.

The pages are read with poppler's `pdftotext -bbox-layout`, which gives every word with its box.
The size text is printed at follows from the width of a word whose width in ems is known: a
project reference such as CRG-2024/25-001 is 8.17 ems wide in Arial (and in Liberation Sans,
which LibreOffice draws Arial with), so printed 57.2 points wide it is 7 pt text.
"""
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from backend.domain import decisions, progress, spend
from backend.domain.exports import service
from backend.domain.pots import year_figures
from models import FinancialYear
from tests.builders import ADMIN, open_year, submit, to_opcc

PARTNERSHIP = "Northshire & Wolds CSP"  # an ampersand: page headers must show it, not eat it
TITLE = f"{PARTNERSHIP} 2024/25"
PROJECTS = 40
TOOLS = ("soffice", "pdftotext", "pdfinfo", "fc-match")
A4_POINTS = (595.3, 841.9)
MIN_FONT = 7.0
REFERENCE = re.compile(r"CRG-\d{4}/\d{2}-\d{3}")
REFERENCE_EMS = 8.17  # C R G - 2 0 2 4 / 2 5 - 0 0 1 in Arial's widths
PLACES = ("the market town", "the coastal villages", "the three estates north of the ring road",
          "the city centre night-time economy", "rural parishes along the river valley")
WORK = ("volunteer training and a community safety event",
        "domestic abuse awareness sessions for front-line staff and employers",
        "bike marking, shed alarms and crime-prevention kit for residents",
        "a youth diversion programme of sport and mentoring in the school holidays",
        "road safety talks and speed-watch equipment for parish volunteers")


def _missing_tools() -> str | None:
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if not missing and "Liberation" not in _arial():
        missing = ["Liberation Sans"]
    if missing:
        return (f"{', '.join(missing)} not found (apt-get install libreoffice-calc-nogui "
                "poppler-utils fonts-liberation2)")
    return None


def _arial() -> str:
    """The font file LibreOffice will draw Arial with."""
    found = subprocess.run(["fc-match", "-f", "%{file}", "Arial"], capture_output=True,
                           text=True, check=False)
    return found.stdout


@pytest.fixture(scope="module")
def libreoffice():
    problem = _missing_tools()
    if problem:
        message = f"no LibreOffice for the printed spend-sheet test: {problem}"
        if os.environ.get("CRG_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(message)
        pytest.skip(message)


def title_of(n: int) -> str:
    return (f"Project {n:02d}: {WORK[n % len(WORK)].capitalize()} in {PLACES[n % len(PLACES)]}, "
            f"run with the county council and the police neighbourhood team (ref {n:02d})")


def realistic_year():
    """A partnership-year as finance staff know it: 40 funded projects with long titles and
    progress reports, spend in every quarter and a correction. Returns the project ids."""
    year = open_year(30_000_000, name=PARTNERSHIP)  # £300,000: upfront £200,000
    ids = []
    for n in range(1, PROJECTS + 1):
        pot = "upfront" if n <= 32 else "tactical"
        ids.append(submit(year, f"{2_000 + (n * 137) % 5_000:,}.{(n * 7) % 100:02d}", pot,
                          title=title_of(n), contact_name=f"Contact person {n}",
                          lead_organisation=("Northshire County Council Community Safety "
                                             "Team" if n % 3 else "Police")))
        if n == 32 or pot == "tactical":  # the last upfront approval opens the tactical pot
            for pid in ids if pot == "upfront" else ids[-1:]:
                to_opcc(pid, pot)
                decisions.approve(ADMIN, pid)
    for n, pid in enumerate(ids, 1):
        for quarter, day in enumerate((date(2024, 5, 20), date(2024, 8, 20), date(2024, 11, 20),
                                       date(2025, 2, 20))[: 1 + n % 4]):
            spend.record(ADMIN, pid, 10_000 + n * 1_234 + quarter, day,
                         f"Session {quarter + 1} delivery: venue, trainer and printed materials",
                         f"INV-{n:02d}-{quarter + 1}")
        if n % 4 == 0:
            progress.record(ADMIN, pid, rag=("green", "amber", "red")[n % 3],
                            outputs=f"{n % 6 + 1} of 6 sessions delivered, {20 + n} attendees",
                            narrative="Sessions are running to plan and the venue is booked "
                                      "for the rest of the year; feedback forms show most "
                                      "attendees would recommend the course to a colleague.",
                            on=date(2024, 12, 1))
    wrong = spend.record(ADMIN, ids[0], 5_000, date(2024, 6, 1), "Leaflets booked twice")
    spend.reverse(ADMIN, wrong.id, "Duplicate of the printer's invoice")
    decisions.vary(ADMIN, ids[-1], 300_000, "OPCC email 3 Oct")
    return ids


# ------------------------------------------------------------------ reading the PDF back


def _convert(xlsx: Path) -> Path:
    profile = xlsx.parent / "lo-profile"  # its own profile: no clash with another soffice
    done = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(xlsx.parent), str(xlsx)],
                          check=True, capture_output=True, text=True, timeout=180)
    pdf = xlsx.with_suffix(".pdf")
    assert pdf.exists(), done.stdout + done.stderr
    return pdf


def _page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", str(pdf)], check=True,
                          capture_output=True, text=True).stdout
    return [(float(w), float(h)) for w, h in
            re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]


def _words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Every page's words as (xMin, yMin, xMax, yMax, text), top to bottom."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True,
                         capture_output=True, text=True).stdout
    pages = []
    for page in ET.fromstring(out).iter("{http://www.w3.org/1999/xhtml}page"):
        pages.append(sorted(((float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")),
                              float(w.get("yMax")), w.text or "")
                             for w in page.iter("{http://www.w3.org/1999/xhtml}word")),
                            key=lambda w: (round(w[1]), w[0])))
    return pages


def _text_sizes(words) -> list[float]:
    """The size in points of every project reference printed on a page."""
    return [(x1 - x0) / REFERENCE_EMS for x0, _, x1, _, text in words
            if REFERENCE.fullmatch(text)]


def _lines(words) -> list[str]:
    """A page's words joined into lines by their vertical position."""
    rows = defaultdict(list)
    for x0, y0, _, _, text in words:
        rows[round(y0)].append((x0, text))
    return [" ".join(t for _, t in sorted(row)) for _, row in sorted(rows.items())]


def _column_text(words, header: str, next_header: str | None = None) -> str:
    """The text printed in one column of a page, between its header and the next one's and
    above the page footer; a line broken after a hyphen is joined up again."""
    heads = {text: x0 for x0, _, _, _, text in words}
    left = heads[header] - 2
    right = heads[next_header] - 2 if next_header else float("inf")
    top = next(y1 for x0, _, _, y1, text in words if text == header)
    footer = max(y0 for _, y0, _, _, _ in words)
    column = [text for x0, y0, _, _, text in words if left <= x0 < right and top < y0 < footer]
    return " ".join(column).replace("- ", "-")


# ------------------------------------------------------------------ the test


def test_the_spend_sheet_prints_readably_on_a4(libreoffice, db, tmp_path):
    ids = realistic_year()
    xlsx = tmp_path / "sheet.xlsx"
    service.write_spend_sheet(service.select(ADMIN, PARTNERSHIP, "2024/25"), xlsx)
    pdf = _convert(xlsx)

    sizes = _page_sizes(pdf)
    pages = _words(pdf)
    assert len(sizes) == len(pages) > 3
    for width, height in sizes:  # A4 landscape, every page
        assert (round(width, 1), round(height, 1)) == A4_POINTS[::-1], (width, height)

    lines = [_lines(words) for words in pages]
    total = len(pages)
    sheet_of = []
    for number, page in enumerate(lines, 1):
        header, footer = page[0], page[-1]
        assert header.startswith(f"Crime Reduction Grant spend sheet: {TITLE}"), header
        assert f"Page {number} of {total}" in footer, footer
        sheet_of.append(header.rsplit(" ", 1)[1])
    assert sheet_of.count("Summary") == 1 and sheet_of[0] == "Summary"
    projects = [i for i, sheet in enumerate(sheet_of) if sheet == "Projects"]
    assert len(projects) >= 2  # enough rows to run over pages: the header must repeat
    assert set(sheet_of) == {"Summary", "Projects", "Spend", "Decisions", "Scoring"}

    for i, sheet in enumerate(sheet_of):
        if sheet not in ("Summary", "Scoring"):  # nothing was scored: no references there
            sizes = _text_sizes(pages[i])
            assert sizes and min(sizes) >= MIN_FONT, (sheet, i + 1, min(sizes, default=0))
    for i in projects:  # the header row at the top of every Projects page
        assert lines[i][1].startswith("Reference Title Lead Pot Approved Spend Q1"), lines[i][1]
        # the partnership and year are named by the page header, not printed on every row
        assert not any(PARTNERSHIP in line for line in lines[i][1:])
    printed = " ".join(_column_text(pages[i], "Title", "Lead") for i in projects)
    for n in range(1, PROJECTS + 1):
        assert title_of(n) in printed, title_of(n)  # whole, never cut at the cell's edge
    progress_printed = " ".join(_column_text(pages[i], "Latest") for i in projects)
    reports = progress.latest_progress(ids).values()
    assert len(reports) == PROJECTS // 4
    for report in reports:
        assert report.summary in progress_printed, report.summary

    # the Summary's totals show the ledger's figures, whether or not anything recalculated
    figures = year_figures(FinancialYear.get())
    summary = " ".join(lines[0])
    for pence in (figures.spent, figures.uncommitted, figures.committed_unspent,
                  figures.underspend, figures.pots["upfront"].committed):
        assert f"£{pence / 100:,.2f}" in summary, (pence, summary)
    everything = " ".join(" ".join(page) for page in lines)
    assert "###" not in everything  # no number too wide for its column
    assert "Contact person" not in everything  # kept off paper, see layout.py
