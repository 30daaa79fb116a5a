"""The finance page's sessions live on the server: signing out ends them for every copy of the
cookie, they expire whatever the cookie says, and a cookie nobody started signs nobody in."""
from datetime import datetime, timedelta

import pytest
from flask import Flask

from backend.domain import finance_sessions
from backend.settings import DEV_SECRET_KEY
from jobs.housekeeping import prune_sign_ins
from models import AuditRecord, FinanceSession
from tests.test_finance_web import FINANCE, SUPERADMIN, books, browser, sign_in  # noqa: F401

KEY = "a-long-random-production-key-" + "x" * 16
OFF_THE_LAPTOP = dict(public_url="https://crg.example.org", secret_key=KEY)


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def with_cookie(db_url, value: str):
    client = browser(db_url, **OFF_THE_LAPTOP)
    client.set_cookie("session", value, domain="localhost")
    return client


def signed_with(key: str, data: dict) -> str:
    """A cookie as Flask itself would sign it with `key` (a leaked or public one)."""
    app = Flask(__name__)
    app.secret_key = key
    return app.session_interface.get_signing_serializer(app).dumps(data)


def test_a_copy_of_the_cookie_is_worthless_after_signing_out(books, db_url):
    client = browser(db_url, **OFF_THE_LAPTOP)
    sign_in(client, books=books)
    copy = cookie_of(client)
    assert with_cookie(db_url, copy).get("/finance").status_code == 200  # the copy works now
    assert client.post("/finance/logout").status_code == 200
    replayed = with_cookie(db_url, copy).get("/finance")
    assert replayed.status_code == 410
    assert "You signed out of the finance page" in replayed.get_data(as_text=True)
    session = FinanceSession.get()
    assert session.ended_at is not None and session.slack_user_id == FINANCE
    ended = AuditRecord.get(AuditRecord.action == "finance_session.end")
    assert ended.entity_id == session.id
    refused = AuditRecord.get(AuditRecord.action == "denied")
    assert "after signing out" in refused.after and FINANCE in refused.actor


def test_signing_out_on_one_browser_leaves_the_other_signed_in(books, db_url):
    office, home = browser(db_url), browser(db_url)
    sign_in(office, books=books)
    sign_in(home, books=books)
    office.post("/finance/logout")
    assert office.get("/finance").status_code == 403
    assert home.get("/finance").status_code == 200


def test_a_session_ends_after_eight_hours_whatever_the_cookie_says(books, db_url, frozen_now):
    frozen_now(datetime(2024, 9, 2, 9, 0))
    client = browser(db_url, **OFF_THE_LAPTOP)
    sign_in(client, books=books)
    frozen_now(datetime(2024, 9, 2, 16, 59))
    assert client.get("/finance").status_code == 200
    frozen_now(datetime(2024, 9, 2, 17, 0))
    late = client.get("/finance")
    assert late.status_code == 410 and "lasts 8 hours" in late.get_data(as_text=True)


@pytest.mark.parametrize("data", [
    {"finance_user": SUPERADMIN, "finance_signed_in_at": "2999-01-01T00:00:00"},  # the old shape
    {"finance_user": SUPERADMIN, "finance_signed_in_at": "yesterday"},
    {"finance_session": "made-up-but-well-formed-" + "A" * 20},
    {"finance_session": 12345},
    {"finance_session": ["a", "list"]},
    {"finance_session": "x" * 5000},
])
@pytest.mark.parametrize("key", [DEV_SECRET_KEY, KEY])  # the public key, and a leaked real one
def test_a_forged_cookie_signs_nobody_in_and_never_errs(books, db_url, data, key):
    client = with_cookie(db_url, signed_with(key, data))
    for path in ("/finance", "/finance/all/2024/spend-sheet.xlsx"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "not signed in" in page.get_data(as_text=True)
    assert client.post("/finance/logout").status_code == 200  # nothing to end, no error


@pytest.mark.parametrize("value", ["", "garbage", "eyJ.not.json", "\u00e9\u00e9" * 10, "." * 300])
def test_a_malformed_cookie_is_not_signed_in(books, db_url, value):
    page = with_cookie(db_url, value).get("/finance")
    assert page.status_code == 403 and "not signed in" in page.get_data(as_text=True)


def test_the_clock_forgets_sessions_a_week_after_they_stopped(books, db_url, frozen_now):
    frozen_now(datetime(2024, 9, 2, 9, 0))
    signed_out, still_fresh = browser(db_url), browser(db_url)
    sign_in(signed_out, books=books)
    signed_out.post("/finance/logout")
    frozen_now(datetime(2024, 9, 9, 9, 0))
    sign_in(still_fresh, books=books)
    assert prune_sign_ins(datetime(2024, 9, 9, 9, 1)) >= 1  # ended a week and a minute ago
    assert [s.slack_user_id for s in FinanceSession.select()] == [FINANCE]
    assert still_fresh.get("/finance").status_code == 200
    pruned = AuditRecord.get(AuditRecord.action == "finance_session.prune")
    assert FINANCE in pruned.before
    assert finance_sessions.prune(finance_sessions.web_actor("U_CLOCK"),
                                  datetime(2024, 9, 9, 9, 1) + timedelta(minutes=1)) == 0
