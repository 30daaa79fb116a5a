"""Sign-in links that no longer work are forgotten by the clock, a week after they stopped working.

Until then a click on one still gets the plain reason (already used, expired); a fresh link is
never touched. The clock's own sweep job does the pruning (as `crg clock` runs it, with
CRG_FAKE_NOW), on both databases, against the fake Slack Web API.
"""
import hashlib
import json
import logging
import threading
from datetime import datetime, timedelta

import pytest

from backend.domain import deadlines, login_links, partnerships, people, years
from backend.domain.actors import CLOCK, Actor
from backend.settings import Settings
from jobs import clock
from jobs.housekeeping import prune_sign_ins
from models import AuditRecord
from models.login_links import LoginLink
from tests.builders import ADMIN
from tests.slack.fake_api import FakeSlackAPI
from tests.test_finance_web import FINANCE, browser

T0 = datetime(2024, 9, 2, 9, 0)  # a Monday, in UTC as stored
WEEK = timedelta(days=7)


@pytest.fixture
def partnership(db):
    """A partnership whose finance officer may sign in, with no deadlines (nothing to remind)."""
    name = "Prunedale CSP"
    partnerships.add_partnership(ADMIN, name, [])
    deadlines.set_template(ADMIN, name, [])
    deadlines.update_settings(ADMIN, name, digest_weekday="none")
    year = years.open_year(ADMIN, name, "2024/25", 900_000)
    people.grant(ADMIN, year.partnership_id, FINANCE, "finance")
    return year.partnership_id


@pytest.fixture
def clock_sweep(db_url, monkeypatch):
    """The clock process's scheduled job, at a chosen moment (CRG_FAKE_NOW, as in production)."""
    with FakeSlackAPI() as fake:
        owner = clock.start(Settings(database_url=db_url, slack_api_url=fake.base_url,
                                     slack_bot_token="xoxb-test"))

        def at(now: datetime):
            monkeypatch.setenv(clock.FAKE_NOW_VARIABLE, now.isoformat())
            assert clock.sweep_job() is not None, "the sweep failed"

        yield at
        owner.close()
        assert fake.calls == []  # pruning never speaks to Slack


def issue(partnership, when, frozen_now) -> str:
    frozen_now(when)
    return login_links.issue(Actor(FINANCE), partnership)


def click(web, token, when, frozen_now):
    frozen_now(when)
    page = web.get(f"/finance/login/{token}")
    return page.status_code, page.get_data(as_text=True)


def row(token) -> LoginLink:
    return LoginLink.get(LoginLink.token_hash == hashlib.sha256(token.encode()).hexdigest())


def pruned() -> dict[int, dict]:
    return {r.entity_id: dict(json.loads(r.before), partnership=r.partnership_id, actor=r.actor)
            for r in AuditRecord.select().where(AuditRecord.action == "login_link.prune")}


def test_used_and_expired_links_are_explained_for_a_week_then_forgotten(
        partnership, db_url, clock_sweep, frozen_now, caplog):
    web = browser(db_url)
    used = issue(partnership, T0, frozen_now)
    assert click(web, used, T0 + timedelta(minutes=1), frozen_now)[0] == 303
    expired = issue(partnership, T0, frozen_now)  # never used: expires at 09:10
    ids = {token: row(token).id for token in (used, expired)}

    # Just under a week after the link was used: both are still known, and explained.
    clock_sweep(T0 + WEEK)
    assert LoginLink.select().count() == 2 and pruned() == {}
    status, page = click(web, used, T0 + WEEK, frozen_now)
    assert status == 410 and "already been used" in page
    status, page = click(web, expired, T0 + WEEK, frozen_now)
    assert status == 410 and "has expired" in page

    # A week and a few minutes after it was used, the used link goes; the expired one (it
    # stopped working at 09:10) is still explained; a fresh link is untouched and works.
    fresh = issue(partnership, T0 + WEEK + timedelta(minutes=3), frozen_now)
    with caplog.at_level(logging.INFO, logger="crg.clock.housekeeping"):
        clock_sweep(T0 + WEEK + timedelta(minutes=5))
    assert [r.crg_fields["removed"] for r in caplog.records
            if getattr(r, "crg_event", "") == "login_links_pruned"] == [1]
    assert {link.id for link in LoginLink.select()} == {ids[expired], row(fresh).id}
    status, page = click(web, expired, T0 + WEEK + timedelta(minutes=6), frozen_now)
    assert status == 410 and "has expired" in page

    clock_sweep(T0 + WEEK + timedelta(minutes=11))  # a week after the expired link stopped
    assert set(pruned()) == {ids[used], ids[expired]}
    assert pruned()[ids[used]]["partnership"] == partnership
    assert {p["actor"] for p in pruned().values()} == {CLOCK.audit_name}
    assert pruned()[ids[expired]]["used_at"] is None
    status, page = click(web, fresh, T0 + WEEK + timedelta(minutes=12), frozen_now)
    assert status == 303  # the fresh link survived two prunes, and still signs in once
    status, page = click(web, used, T0 + WEEK + timedelta(minutes=12), frozen_now)
    assert status == 404 and "more than 7 days ago" in page and "/crg login" in page
    assert LoginLink.select().count() == 1


def test_a_prune_with_nothing_to_forget_changes_nothing(partnership, clock_sweep, frozen_now):
    issue(partnership, T0, frozen_now)
    before = AuditRecord.select().count()
    clock_sweep(T0 + timedelta(minutes=20))  # expired, but only just
    assert LoginLink.select().count() == 1 and AuditRecord.select().count() == before


def test_two_clocks_pruning_at_once_forget_and_audit_each_link_once(partnership, frozen_now):
    for minute in range(6):
        issue(partnership, T0 + timedelta(minutes=minute), frozen_now)
    keep = issue(partnership, T0 + WEEK, frozen_now)
    start, removed, errors = threading.Barrier(2), [], []

    def prune():
        try:
            start.wait()
            removed.append(prune_sign_ins(T0 + WEEK + timedelta(hours=1)))
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            from models import database

            database.close()

    threads = [threading.Thread(target=prune) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == [] and sorted(removed) == [0, 6]  # the second found nothing left to do
    assert len(pruned()) == 6
    assert [link.id for link in LoginLink.select()] == [row(keep).id]
