"""The finance web page through Flask's test client: single-use links, sessions and downloads."""
import hashlib
import io
import json
import re
import threading
from datetime import date, datetime

import openpyxl
import pytest

from backend.domain import login_links, people, spend
from backend.domain.actors import Actor
from backend.domain.errors import NotAllowed
from backend.domain.pots import year_figures
from backend.settings import Settings
from backend.web.app import create_app
from models import AuditRecord, FinancialYear, Member
from models.login_links import LoginLink
from tests.builders import ADMIN, approved, open_year
from tests.test_export_queries import count_queries
from tests.test_exports import Evaluator, pence

FINANCE, SUPERADMIN = "U0FINANCE", "U_ADMIN"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def books(db):
    """Two partnerships; the finance officer works for the first only."""
    north = open_year(900_000, name="Northshire CSP")
    south = open_year(600_000, name="Southshire CSP")
    people.grant(ADMIN, north.partnership_id, FINANCE, "finance")
    project = approved(north, "2,000")
    spend.record(ADMIN, project, 50_050, date(2024, 7, 1), "Kit")
    approved(south, "1,000")
    return {"north": north, "south": south}


def browser(db_url, **settings):
    app = create_app(Settings(database_url=db_url, admin_slack_ids=(SUPERADMIN,), **settings))
    return app.test_client()


def sign_in(client, user=FINANCE, partnership_id=None, books=None):
    token = login_links.issue(Actor(user, superadmin=user == SUPERADMIN),
                              partnership_id or books["north"].partnership_id)
    return client.get(f"/finance/login/{token}"), token


def links(page) -> dict[str, str]:
    """The page's download links by their accessible name."""
    html = page.get_data(as_text=True)
    return dict((label, href) for href, label in re.findall(
        r'<a href="([^"]+)" aria-label="([^"]+)"', html))


def test_a_link_signs_in_once_and_offers_only_the_persons_partnerships(books, db_url):
    client = browser(db_url)
    first, token = sign_in(client, books=books)
    assert first.status_code == 303 and first.headers["Location"] == "/finance"
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_URL is the laptop's http://127.0.0.1:3000
    assert first.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/finance")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    offered = links(page)
    assert set(offered) == {"Northshire CSP 2024/25 spend sheet (.xlsx)",
                            "Northshire CSP 2024/25 360Giving file (.json)",
                            "Northshire CSP 2024/25 Monitoring return, mid-year (.xlsx)",
                            "Northshire CSP 2024/25 Monitoring return, year-end (.xlsx)",
                            "Northshire CSP 2024/25 Year-end return (.xlsx)"}
    again = client.get(f"/finance/login/{token}")
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    stored = LoginLink.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in str(
        [stored.token_hash, stored.slack_user_id])
    assert {a.action for a in AuditRecord.select()} >= {"login_link.issue", "login_link.redeem"}
    south = books["south"].partnership_id
    refused = client.get(f"/finance/{south}/2024/spend-sheet.xlsx")
    assert refused.status_code == 403 and "Only finance staff" in refused.get_data(as_text=True)


def test_downloads_are_the_spend_sheet_and_the_360giving_file(books, db_url):
    client = browser(db_url)
    sign_in(client, books=books)
    offered = links(client.get("/finance"))
    sheet = client.get(offered["Northshire CSP 2024/25 spend sheet (.xlsx)"])
    assert sheet.status_code == 200 and sheet.headers["Content-Type"] == XLSX
    assert sheet.headers["Content-Disposition"] == \
        'attachment; filename="crg-northshire-csp-2024-25.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(sheet.get_data()))
    figures = year_figures(FinancialYear.get_by_id(books["north"].id))
    columns = {c.value: c.column_letter for c in book["Summary"][1]}
    assert pence(Evaluator(book).value("Summary", f"{columns['Spent']}2")) == figures.spent \
        == 50_050
    package = client.get(offered["Northshire CSP 2024/25 360Giving file (.json)"])
    assert package.headers["Content-Type"].startswith("application/json")
    assert package.headers["Content-Disposition"] == \
        'attachment; filename="crg-northshire-csp-2024-25-360giving.json"'
    assert [g["amountAwarded"] for g in json.loads(package.get_data())["grants"]] == [2000]
    assert client.get("/finance/1/1999/spend-sheet.xlsx").status_code == 400
    signed_out = client.post("/finance/logout")
    assert signed_out.status_code == 200 and "signed out" in signed_out.get_data(as_text=True)
    assert client.get("/finance").status_code == 403


def test_an_admin_named_in_the_settings_also_gets_the_opccs_workbook(books, db_url):
    client = browser(db_url)
    sign_in(client, SUPERADMIN, books=books)
    offered = links(client.get("/finance"))
    assert "Southshire CSP 2024/25 spend sheet (.xlsx)" in offered
    everything = client.get(offered["All partnerships 2024/25 spend sheet (.xlsx)"])
    assert everything.status_code == 200
    summary = openpyxl.load_workbook(io.BytesIO(everything.get_data()))["Summary"]
    assert [summary[f"A{r}"].value for r in (2, 3, 4)] == ["Northshire CSP", "Southshire CSP",
                                                           "Total"]


def test_expired_links_and_old_sessions_are_refused(books, db_url, frozen_now):
    client = browser(db_url)
    frozen_now(datetime(2024, 9, 2, 9, 0))
    token = login_links.issue(Actor(FINANCE), books["north"].partnership_id)
    frozen_now(datetime(2024, 9, 2, 9, 10, 1))
    late = client.get(f"/finance/login/{token}")
    assert late.status_code == 410 and "has expired" in late.get_data(as_text=True)
    frozen_now(datetime(2024, 9, 2, 10, 0))
    token = login_links.issue(Actor(FINANCE), books["north"].partnership_id)
    frozen_now(datetime(2024, 9, 2, 10, 9, 59))
    assert client.get(f"/finance/login/{token}").status_code == 303
    assert client.get("/finance").status_code == 200
    frozen_now(datetime(2024, 9, 2, 18, 10))  # past the eight hours of the session
    ended = client.get("/finance")
    assert ended.status_code == 410 and "session has ended" in ended.get_data(as_text=True)


def test_partners_get_no_link_and_a_revoked_role_ends_the_session(books, db_url):
    north = books["north"].partnership_id
    with pytest.raises(NotAllowed, match="sign in to the finance page"):
        login_links.issue(Actor("U_ALICE"), north)
    client = browser(db_url)
    sign_in(client, books=books)
    href = links(client.get("/finance"))["Northshire CSP 2024/25 spend sheet (.xlsx)"]
    unused = login_links.issue(Actor(FINANCE), north)
    people.grant(ADMIN, north, FINANCE, "partner")  # finance role taken away
    page = client.get("/finance")
    assert page.status_code == 403 and "hold none of those roles" in page.get_data(as_text=True)
    assert client.get(href).status_code == 403
    other = browser(db_url).get(f"/finance/login/{unused}")
    assert other.status_code == 403 and "Only finance staff" in other.get_data(as_text=True)


def test_without_a_session_or_with_a_made_up_link_nothing_is_shown(books, db_url):
    client = browser(db_url)
    page = client.get("/finance")
    assert page.status_code == 403 and "not signed in" in page.get_data(as_text=True)
    assert client.get("/finance/1/2024/spend-sheet.xlsx").status_code == 403
    made_up = client.get("/finance/login/not-a-real-link")
    assert made_up.status_code == 404 and "not one this tracker gave out" in made_up.get_data(
        as_text=True)
    assert "<html lang=\"en\">" in made_up.get_data(as_text=True)


def test_two_clicks_at_once_sign_in_only_once(books):
    token = login_links.issue(Actor(FINANCE), books["north"].partnership_id)
    start, outcomes = threading.Barrier(2), []

    def click():
        start.wait()
        try:
            outcomes.append(login_links.redeem(token).user_id)
        except login_links.LinkUnusable:
            outcomes.append("refused")
        finally:
            from models import database
            database.close()

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for c in clicks:
        c.start()
    for c in clicks:
        c.join(timeout=30)
    assert sorted(outcomes) == [FINANCE, "refused"]


def test_cookies_are_secure_off_the_laptop(db, db_url):
    assert Settings().secure_cookies is False
    assert Settings(public_url="https://crg.example.org").secure_cookies is True
    assert Settings.from_env({"PUBLIC_URL": "https://x.example", "SESSION_COOKIE_SECURE": "0"}
                             ).secure_cookies is False
    with pytest.raises(ValueError, match="SESSION_COOKIE_SECURE"):
        Settings.from_env({"SESSION_COOKIE_SECURE": "maybe"})
    year = open_year(900_000, name="Eastshire CSP")
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    client = browser(db_url, public_url="https://crg.example.org", secret_key="s" * 32)
    first, _ = sign_in(client, partnership_id=year.partnership_id)
    assert "; Secure" in first.headers["Set-Cookie"]


def test_sign_in_tokens_stay_out_of_the_logs():
    from backend.web.request_log import loggable

    assert loggable("/finance/login/s3cr3t-token") == "/finance/login/…"
    assert loggable("/finance") == "/finance"


def test_admins_get_the_update_paper_and_keep_a_template_from_the_page(books, db_url):
    import docx

    client = browser(db_url)
    sign_in(client, books=books)  # finance staff: no paper offered, and refused if asked
    assert "Northshire CSP 2024/25 Working Group update (.docx)" not in links(
        client.get("/finance"))
    pid = books["north"].partnership_id
    refused = client.get(f"/finance/{pid}/2024/update.docx")
    assert refused.status_code == 403
    assert "Only a working-group or CSP chair" in refused.get_data(as_text=True)
    admin = browser(db_url)
    sign_in(admin, SUPERADMIN, books=books)
    offered = links(admin.get("/finance"))
    paper = admin.get(offered["Northshire CSP 2024/25 Working Group update (.docx)"])
    assert paper.status_code == 200
    assert paper.headers["Content-Disposition"] == \
        'attachment; filename="crg-northshire-csp-2024-25-update.docx"'
    document = docx.Document(io.BytesIO(paper.get_data()))
    rows = document.tables[0].rows
    assert [c.text for c in rows[-1].cells][4:6] == ["£2,000", "£500.50"]
    dated = admin.get(f"/finance/{pid}/2024/update.docx?as_at=2025-03-31")
    assert "Figures as at: 31 March 2025" in [
        p.text for p in docx.Document(io.BytesIO(dated.get_data())).paragraphs]
    assert admin.get(f"/finance/{pid}/2024/update.docx?as_at=soon").status_code == 400
    house = docx.Document()
    house.add_paragraph("NORTHSHIRE HOUSE STYLE")
    body = io.BytesIO()
    house.save(body)
    bad = admin.post(f"/finance/{pid}/paper-template",
                     data={"template": (io.BytesIO(b"nope"), "x.docx")},
                     content_type="multipart/form-data")
    assert bad.status_code == 400 and "not a Word document" in bad.get_data(as_text=True)
    kept = admin.post(f"/finance/{pid}/paper-template",
                      data={"template": (io.BytesIO(body.getvalue()), "house.docx")},
                      content_type="multipart/form-data")
    assert kept.status_code == 303
    assert "(house.docx)" in admin.get("/finance").get_data(as_text=True)
    again = admin.get(f"/finance/{pid}/2024/update.docx")
    assert docx.Document(io.BytesIO(again.get_data())).paragraphs[0].text == \
        "NORTHSHIRE HOUSE STYLE"


def test_the_returns_are_on_the_finance_page(books, db_url):
    client = browser(db_url)
    sign_in(client, books=books)
    offered = links(client.get("/finance"))
    got = client.get(offered["Northshire CSP 2024/25 Monitoring return, mid-year (.xlsx)"])
    assert got.status_code == 200 and got.headers["Content-Type"] == XLSX
    assert got.headers["Content-Disposition"] == \
        'attachment; filename="crg-northshire-csp-2024-25-monitoring-mid-year.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(got.get_data()))
    assert book["Return"]["G1"].value == "Approved"
    assert client.get("/finance/all/2024/monitoring_return.xlsx").status_code == 403
    assert client.get(f"/finance/{books['north'].partnership_id}/2024/other.xlsx"
                      ).status_code == 404
    admin = browser(db_url)
    sign_in(admin, SUPERADMIN, books=books)
    every = links(admin.get("/finance"))
    assert admin.get(every["All partnerships 2024/25 Monitoring return, year-end (.xlsx)"]
                     ).status_code == 200


def test_a_chair_signs_in_and_gets_the_update_paper_from_the_page(books, db_url):
    import docx

    chair = "U0CHAIR"
    people.grant(ADMIN, books["north"].partnership_id, chair, "chair")
    client = browser(db_url)
    first, _ = sign_in(client, chair, books=books)
    assert first.status_code == 303
    offered = links(client.get("/finance"))
    paper = client.get(offered["Northshire CSP 2024/25 Working Group update (.docx)"])
    assert paper.status_code == 200
    rows = docx.Document(io.BytesIO(paper.get_data())).tables[0].rows
    assert [c.text for c in rows[-1].cells][4:6] == ["£2,000", "£500.50"]
    assert "Upload template" not in client.get("/finance").get_data(as_text=True)


def _queries_to_list_for_finance(partnerships: int) -> int:
    for n in range(partnerships):
        year = open_year(channels=[f"C_Q{partnerships}X{n}"])
        people.grant(ADMIN, year.partnership_id, "U0COUNTED", "finance")
    with count_queries() as queries:
        offered = login_links.finance_partnerships(Actor("U0COUNTED"))
    assert len(offered) == Member.select().where(Member.slack_user_id == "U0COUNTED").count()
    return len(queries)


def test_the_partnerships_offered_cost_the_same_queries_for_2_as_for_10(db):
    """The finance page lists the person's partnerships on every page: one query per list,
    not three per partnership."""
    two = _queries_to_list_for_finance(2)
    assert _queries_to_list_for_finance(8) == two  # ten partnerships now, the same queries
