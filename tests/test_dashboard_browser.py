"""The finance dashboard in a real headless Chromium: axe-core on every page, the keyboard alone,
400% zoom, the chart against its table, and the figures against the spend sheet.

Screenshots of every page (at full width and at 400% zoom) are saved into the test's own
folder, pytest's `tmp_path`: `<basetemp>/test_every_dashboard_page_pass0/screenshots/` (the
test prints it; run pytest with `-s` to see the line). pytest keeps only its three latest
basetemps under `/tmp/pytest-of-$USER/`, so to keep them choose the folder:
`python3 -m pytest tests/test_dashboard_browser.py -s --basetemp /tmp/crg-dashboard-shots`.

axe-core comes from the `axe-playwright-python` package the project's dev dependencies pin
(it ships `axe.min.js`); it is injected into each page and every rule it runs by default must
pass (the page's Content-Security-Policy forbids scripts, so the test's browser context is told
to bypass it for the injection only).
"""
import re
import threading
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from werkzeug.serving import make_server

from backend.domain import (
    claims,
    conditions,
    decisions,
    evidence,
    login_links,
    people,
    progress,
    spend,
)
from backend.domain.actors import Actor
from backend.domain.evidence import SentFile
from backend.settings import Settings
from backend.web.app import create_app
from tests.builders import ADMIN, approved, open_year, submit, to_opcc
from tests.test_exports import Evaluator, pence
from tests.test_finance_browser import chromium  # noqa: F401  (the browser fixture)

SUPERADMIN, FINANCE = "U0SUPER", "U0FINANCE"
QUARTERLY = {"Q1": "1,000", "Q2": "3,000", "Q3": "3,000", "Q4": "3,000"}
TODAY = datetime(2024, 10, 1, 9, 0)  # the day after Q2 ends


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


@pytest.fixture
def admin_server(db_url):
    app = create_app(Settings(database_url=db_url, admin_slack_ids=(SUPERADMIN,)))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


def replayed_year():
    """Northshire: a project on track, one deliberately behind, one tactical; Southshire: one."""
    year = open_year(4_500_100, name="Northshire CSP")
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    walks = submit(year, "10,000", title="Night safety walks", planned_spend=QUARTERLY)
    slow = submit(year, "10,000", title="Bystander training", planned_spend=QUARTERLY)
    for pid in (walks, slow):
        to_opcc(pid)
        decisions.approve(ADMIN, pid)
    kit = approved(year, "2,500", pot="tactical", title="Bike marking kit")
    spend.record(ADMIN, walks, 100_000, date(2024, 6, 20), "Q1 sessions", "INV-101")
    spend.record(ADMIN, walks, 300_000, date(2024, 9, 1), "Q2 sessions", "INV-102")
    spend.record(ADMIN, slow, 200_000, date(2024, 9, 15), "Late first invoice", "INV-201")
    spend.record(ADMIN, kit, 120_050, date(2024, 8, 5), "Marking kits")
    progress.record(ADMIN, walks, narrative="Six walks, 80+ people", rag="green",
                    on=date(2024, 9, 20))
    progress.record(ADMIN, slow, narrative="Trainer recruited late", rag="amber",
                    on=date(2024, 9, 25))
    # A claim waiting for finance, with a kept file and one Slack could not serve, and a
    # condition still to meet: the project page's claims and conditions are checked too.
    made, (kept, lost) = claims.make(
        Actor("U_PROP"), walks, 50_000, date(2024, 9, 25), "Hall hire", "INV-103",
        [SentFile("F0KEPT01", "hall-invoice.pdf"), SentFile("F0LOST01", "photo.png")],
        submission_key="browser:1")
    evidence.keep(kept, b"%PDF-1.4 hall", "application/pdf")
    evidence.missing(lost, "Slack could not serve it for download")
    conditions.add_to_project(ADMIN, walks, "Year-end return", "Spend and outputs", "year_end")
    south = open_year(2_000_000, name="Southshire CSP")
    approved(south, "3,000", title="Speed watch")
    return year, slow


def no_axe_violations(page, name):
    page.add_script_tag(content=axe_source())
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))"
                          ".violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map("
                          "n => n.target.join(' '))}))")
    assert found == [], f"{name}: {found}"


def reflows_at_400_percent(browser, url, cookies, shots, name):
    """A 1280 px window at 400% zoom is 320 CSS pixels wide: nothing may scroll sideways (a
    wide table scrolls inside its own focusable box)."""
    context = browser.new_context(viewport={"width": 320, "height": 640},
                                  device_scale_factor=1)
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto(url)
    width = page.evaluate("() => [document.documentElement.scrollWidth, "
                          "document.documentElement.clientWidth]")
    page.screenshot(path=str(shots / f"{name}-400-percent.png"), full_page=True)
    context.close()
    assert width[0] <= width[1], f"{name} scrolls sideways at 400%: {width}"


def keyboard_reaches(page) -> list[dict]:
    """Tab from the top of the page: what gets focus, in order, and whether focus shows."""
    page.keyboard.press("Tab")
    seen = []
    for _ in range(80):
        seen.append(page.evaluate("""() => {
            const e = document.activeElement, s = getComputedStyle(e);
            return {tag: e.tagName, id: e.id, text: (e.innerText || e.value || '').trim(),
                    href: e.getAttribute('href') || '', sortLink: !!e.closest('thead'),
                    focusShows: s.outlineStyle !== 'none' && s.outlineWidth !== '0px'
                                || s.boxShadow !== 'none'
                                || s.backgroundColor === 'rgb(255, 221, 0)'};
        }"""))
        if seen[-1]["tag"] == "BODY":  # past the last control: focus left the page
            seen.pop()
            break
        page.keyboard.press("Tab")
    return seen


def test_every_dashboard_page_passes(chromium, admin_server, frozen_now, tmp_path):  # noqa: F811
    frozen_now(TODAY)
    year, slow = replayed_year()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    token = login_links.issue(Actor(SUPERADMIN, superadmin=True), year.partnership_id)
    context = chromium.new_context(bypass_csp=True, accept_downloads=True,
                                   viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    assert page.goto(f"{admin_server}/finance/login/{token}").status == 200
    cookies = context.cookies()
    base = f"{admin_server}/finance"
    pid = year.partnership_id
    pages = {
        "overview": (f"{base}", "Finance dashboard"),
        "partnership-year": (f"{base}/{pid}/2024", "Northshire CSP 2024/25"),
        "projects-sorted-and-filtered": (f"{base}/{pid}/2024?sort=unspent&dir=desc&pot=upfront"
                                         "#projects", "Northshire CSP 2024/25"),
        "project": (f"{base}/{pid}/2024/projects/2", "Bystander training"),
        "all-partnerships": (f"{base}/all/2024", "All partnerships 2024/25"),
        "a-refused-filter": (f"{base}/{pid}/2024?on=30%2F09%2F2024", "Northshire CSP 2024/25"),
    }
    for name, (url, heading) in pages.items():
        response = page.goto(url)
        assert response.status == (400 if name == "a-refused-filter" else 200), name
        assert page.get_by_role("heading", level=1).inner_text() == heading, name
        # Headings in order (the error summary's own heading goes above the h1, as GOV.UK's).
        levels = page.evaluate("() => [...document.querySelectorAll('h1,h2,h3,h4')]"
                               ".filter(h => !h.closest('.error-summary'))"
                               ".map(h => +h.tagName[1])")
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), (name,
                                                                                        levels)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        no_axe_violations(page, name)
        reflows_at_400_percent(chromium, url, cookies, shots, name)
    print(f"\nDashboard screenshots: {shots}")

    # The refused filter says what was wrong, against its field.
    page.goto(pages["a-refused-filter"][0])
    assert "“30/09/2024” is not a date: give it like 2024-09-30." in page.inner_text(
        ".error-summary")

    # The keyboard alone reaches the skip link, the sort links and every filter control.
    page.goto(pages["partnership-year"][0])
    reached = keyboard_reaches(page)
    assert reached[0]["text"] == "Skip to main content"
    hidden = [(r["tag"], r["id"], r["text"][:30]) for r in reached if not r["focusShows"]]
    assert hidden == [], f"focus does not show on {hidden}"
    ids = {r["id"] for r in reached}
    assert {"q", "pot", "rag", "profile", "on"} <= ids
    assert any(r["tag"] == "BUTTON" and r["text"] == "Apply filters" for r in reached)
    sort_links = {r["text"] for r in reached if r["sortLink"]}
    assert {"Project", "Approved", "Spent to date", "Variance", "Forecast unspent", "RAG",
            "Last report"} <= sort_links, sort_links
    page.keyboard.press("Shift+Tab")
    page.goto(pages["partnership-year"][0])
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    assert page.evaluate("() => document.activeElement.id") == "main"

    # Filtering and sorting by keyboard: type a search, choose a RAG, apply.
    page.goto(pages["partnership-year"][0])
    page.focus("#q")
    page.keyboard.type("training")
    page.select_option("#rag", "amber")
    page.get_by_role("button", name="Apply filters").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=training" in page.url and "rag=amber" in page.url
    rows = page.locator("[aria-labelledby=projects-caption] tbody tr th a").all_inner_texts()
    assert rows == ["CRG-2024/25-002"]

    # The chart names the behind project's money in its table, and draws nothing else.
    page.goto(pages["partnership-year"][0])
    table = page.inner_text("#chart-table")
    drawn = page.locator("figure svg text").all_text_contents()
    for label in drawn:
        for figure in re.findall(r"£[\d,]+(?:\.\d\d)?", label):
            assert figure in table, (label, table)
    assert any(t.startswith("Spent £") for t in drawn)
    assert "Bystander training" in page.inner_text("[aria-labelledby=projects-caption] tbody")
    behind = page.locator("[aria-labelledby=projects-caption] tr", has_text="CRG-2024/25-002")
    assert "Behind profile" in behind.inner_text() and "£5,000" in behind.inner_text()

    # The pots' figures agree with the spend sheet the page offers.
    totals = page.locator("#pots-caption ~ tfoot td").all_inner_texts()
    with page.expect_download() as started:
        page.get_by_role("link", name="Northshire CSP 2024/25 spend sheet (.xlsx)").click()
    saved = tmp_path / "sheet.xlsx"
    started.value.save_as(saved)
    book = openpyxl.load_workbook(saved)
    columns = {c.value: c.column_letter for c in book["Summary"][1]}
    evaluate = Evaluator(book)
    for heading, shown in (("Allocation", totals[0]), ("Spent", totals[2]),
                           ("Uncommitted", totals[3])):
        assert pence(evaluate.value("Summary", f"{columns[heading]}2")) == _pence(shown), heading
    context.close()


def _pence(shown: str) -> int:
    pounds, _, rest = shown.replace("£", "").replace(",", "").partition(".")
    return int(pounds) * 100 + int(rest or 0)
