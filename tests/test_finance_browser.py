"""The finance web page in a real headless Chromium against the real app on a real server.

Uses Debian's chromium (`apt-get install chromium`), never a browser Playwright downloads. On a
laptop without it the test is skipped, saying so; CI sets CRG_REQUIRE_BROWSER=1 (and installs
chromium), which turns a missing browser into a failure.
"""
import os
import threading
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from werkzeug.serving import make_server

from backend.domain import login_links, people, spend
from backend.domain.actors import Actor
from backend.domain.pots import year_figures
from backend.settings import Settings
from backend.web.app import create_app
from models import FinancialYear
from tests.builders import ADMIN, approved, open_year
from tests.test_exports import Evaluator, pence

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FINANCE = "U0FINANCE"
START = datetime(2024, 10, 1, 9, 0)


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def chromium():
    problem = _missing_browser()
    if problem:
        message = f"no browser for the end-to-end test: {problem}"
        if os.environ.get("CRG_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(db_url):
    """The whole app (`create_app`, as gunicorn serves it) on a free port of 127.0.0.1."""
    app = create_app(Settings(database_url=db_url))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


def test_finance_staff_download_the_spend_sheet_in_a_browser(chromium, server, frozen_now,
                                                             tmp_path):
    frozen_now(START)
    year = open_year(900_000, name="Northshire CSP")
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    first = approved(year, "2,000")  # the last upfront decision: the tactical pot opens
    second = approved(year, "1,500.50", pot="tactical")
    spend.record(ADMIN, first, 120_000, date(2024, 6, 30), "Venue hire")
    spend.record(ADMIN, second, 25_025, date(2024, 9, 1), "Leaflets")
    link = f"{server}/finance/login/{login_links.issue(Actor(FINANCE), year.partnership_id)}"

    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    arrived = page.goto(link)
    assert arrived.status == 200 and page.url == f"{server}/finance"
    assert page.get_by_role("heading", level=1).inner_text() == "Finance dashboard"
    with page.expect_download() as started:
        page.get_by_role("link", name="Northshire CSP 2024/25 spend sheet (.xlsx)").click()
    download = started.value
    assert download.suggested_filename == "crg-northshire-csp-2024-25.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = openpyxl.load_workbook(saved)
    figures = year_figures(FinancialYear.get_by_id(year.id))
    columns = {c.value: c.column_letter for c in book["Summary"][1]}
    evaluate = Evaluator(book)
    for heading, expected in (("Spent", figures.spent), ("Uncommitted", figures.uncommitted),
                              ("Underspend to return", figures.underspend)):
        assert pence(evaluate.value("Summary", f"{columns[heading]}2")) == expected, heading
    assert figures.spent == 145_025

    reused = page.goto(link)
    assert reused.status == 410 and "already been used" in page.inner_text("main")

    late = f"{server}/finance/login/{login_links.issue(Actor(FINANCE), year.partnership_id)}"
    frozen_now(START + timedelta(minutes=11))
    expired = context.new_page().goto(late)
    assert expired.status == 410 and "has expired" in expired.text()

    people.grant(ADMIN, year.partnership_id, FINANCE, "partner")  # no longer finance staff
    now_a_partner = page.goto(f"{server}/finance")
    assert now_a_partner.status == 403 and "hold none of those roles" in page.inner_text("main")
    assert page.get_by_role("link", name="spend sheet").count() == 0
    stranger = chromium.new_context().new_page().goto(f"{server}/finance")
    assert stranger.status == 403 and "not signed in" in stranger.text()
    context.close()

