"""The finance dashboard through Flask's test client: who sees which page, the table's sorting and
filtering by address, refusals with their reasons, and a query count that does not grow with the
number of projects."""
import re
from datetime import date, datetime

import pytest

from backend.domain import decisions, people, spend
from backend.domain.forecast import profiles
from tests.builders import ADMIN, approved, open_year, submit, to_opcc
from tests.test_export_queries import count_queries
from tests.test_finance_web import FINANCE, SUPERADMIN, browser, sign_in

QUARTERLY = {"Q1": "1,000", "Q2": "3,000", "Q3": "3,000", "Q4": "3,000"}


@pytest.fixture
def north(db, frozen_now):
    frozen_now(datetime(2024, 10, 1, 9, 0))
    year = open_year(4_500_100, name="Northshire CSP")
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    pids = [submit(year, "10,000", title=t, planned_spend=QUARTERLY)
            for t in ("Night safety walks", "Bystander training")]
    for pid in pids:
        to_opcc(pid)
        decisions.approve(ADMIN, pid)
    spend.record(ADMIN, pids[0], 400_000, date(2024, 9, 1), "Sessions")
    spend.record(ADMIN, pids[1], 200_000, date(2024, 9, 15), "Late invoice")
    return year, pids


def html(response) -> str:
    return response.get_data(as_text=True)


def rows(response) -> list[str]:
    """The projects table's references, in the order shown."""
    table = html(response).split('id="projects-caption"', 1)[1]
    return re.findall(r'<th scope="row"><a href="[^"]+">(CRG-[^<]+)</a>', table)


def test_the_year_page_sorts_and_filters_by_its_address(north, db_url):
    year, (walks, slow) = north
    client = browser(db_url)
    sign_in(client, partnership_id=year.partnership_id)
    url = f"/finance/{year.partnership_id}/2024"
    page = client.get(url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    body = html(page)
    assert "£30,001" in body and "Behind profile" in body and "pace it has kept so far" in body
    assert rows(page) == ["CRG-2024/25-001", "CRG-2024/25-002"]
    assert rows(client.get(f"{url}?sort=unspent&dir=desc")) == ["CRG-2024/25-002",
                                                                "CRG-2024/25-001"]
    assert rows(client.get(f"{url}?profile=behind")) == ["CRG-2024/25-002"]
    assert rows(client.get(f"{url}?q=walks")) == ["CRG-2024/25-001"]
    assert rows(client.get(f"{url}?rag=green")) == []
    assert 'aria-sort="descending"' in html(client.get(f"{url}?sort=spent&dir=desc"))
    # As at 30 June, neither had spent: both behind, the slow one not yet by much.
    assert "Forecast as at 30 Jun 2024" in html(client.get(f"{url}?on=2024-06-30"))


def test_bad_values_are_refused_against_their_field(north, db_url):
    year, _ = north
    client = browser(db_url)
    sign_in(client, partnership_id=year.partnership_id)
    url = f"/finance/{year.partnership_id}/2024"
    for query, said in (("sort=colour", "“colour” is not a column"),
                        ("rag=purple", "“purple” is not a RAG status"),
                        ("on=yesterday", "“yesterday” is not a date"),
                        ("q=" + "x" * 101, "at most 100 characters")):
        page = client.get(f"{url}?{query}")
        assert page.status_code == 400 and said in html(page), query
        assert "There is a problem" in html(page)
    assert client.get(f"/finance/{year.partnership_id}/2031").status_code == 404
    assert client.get(f"/finance/{year.partnership_id}/2024/projects/99").status_code == 404


def test_the_project_page_has_its_profile_spend_and_history(north, db_url):
    year, (_, slow) = north
    profiles.reprofile(ADMIN, slow, (0, 200_000, 400_000, 400_000), "OPCC agreed a later start")
    client = browser(db_url)
    sign_in(client, partnership_id=year.partnership_id)
    page = client.get(f"/finance/{year.partnership_id}/2024/projects/2")
    body = html(page)
    assert page.status_code == 200 and "<h1>Bystander training</h1>" in body
    assert "Re-profiled by cli:tests" in body and "OPCC agreed a later start" in body
    assert "From the proposal: Q1 £1,000, Q2 £3,000, Q3 £3,000, Q4 £3,000" in body
    assert "Late invoice" in body
    assert "Approved by the PCC (was: Business case with the OPCC)" in body


def test_who_may_open_which_page(north, db_url):
    year, _ = north
    other = open_year(900_000, name="Southshire CSP")
    approved(other, "1,000")
    client = browser(db_url)
    sign_in(client, partnership_id=year.partnership_id)
    assert client.get(f"/finance/{other.partnership_id}/2024").status_code == 403
    refused = client.get("/finance/all/2024")
    assert refused.status_code == 403 and "ADMIN_SLACK_IDS" in html(refused)
    people.grant(ADMIN, year.partnership_id, FINANCE, "partner")
    assert client.get(f"/finance/{year.partnership_id}/2024").status_code == 403
    admin = browser(db_url)
    sign_in(admin, SUPERADMIN, partnership_id=year.partnership_id)
    everyone = admin.get("/finance/all/2024")
    assert everyone.status_code == 200
    assert "Northshire CSP" in html(everyone) and "Southshire CSP" in html(everyone)
    assert "All partnerships 2024/25 spend sheet (.xlsx)" in html(admin.get("/finance"))
    assert admin.get("/finance").status_code == 200
    assert browser(db_url).get(f"/finance/{year.partnership_id}/2024").status_code == 403


def test_the_pages_cost_the_same_queries_for_more_projects(db, db_url, frozen_now):
    frozen_now(datetime(2024, 10, 1, 9, 0))
    counts = []
    for n, projects in enumerate((3, 24)):
        year = open_year(projects * 300_000, name=f"CSP {n}")
        people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
        pids = [submit(year, "1,000", title=f"P{k}") for k in range(projects)]
        for pid in pids:
            to_opcc(pid)
            decisions.approve(ADMIN, pid)
            spend.record(ADMIN, pid, 10_000, date(2024, 7, 1), "Delivery")
        client = browser(db_url)
        sign_in(client, SUPERADMIN, partnership_id=year.partnership_id)
        for url in (f"/finance/{year.partnership_id}/2024", "/finance/all/2024",
                    f"/finance/{year.partnership_id}/2024/projects/2"):
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
    assert counts[:3] == counts[3:], counts
