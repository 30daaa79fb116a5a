"""The clock's forecast messages, swept through a replayed year: each goes out once, on time.

A partnership with two upfront projects of £10,000 profiled £1,000 / £3,000 / £3,000 / £3,000:
one on track, one deliberately behind (nothing spent until a £2,000 invoice on 15 September).
"""
from datetime import date, datetime

import pytest

from backend.domain import decisions, people, spend
from backend.domain.forecast.alerts import LOOKBACK
from backend.domain.outbox.owners import Owner
from models.deadlines import Reminder
from tests.builders import ADMIN, submit, to_opcc
from tests.test_reminders import at, clockwork, fake, quiet_year, texts  # noqa: F401  (fixtures)

LEAD, YEAR_ADMIN = "U_PROP", "U0ADMIN"
QUARTERLY = {"Q1": "1,000", "Q2": "3,000", "Q3": "3,000", "Q4": "3,000"}


@pytest.fixture
def replayed(clockwork, frozen_now):
    frozen_now(datetime(2024, 5, 1, 12, 0))
    year = quiet_year()
    people.grant(ADMIN, year.partnership_id, YEAR_ADMIN, "admin")
    on_track = submit(year, "10,000", title="On track", planned_spend=QUARTERLY)
    slow = submit(year, "10,000", title="Slow start", planned_spend=QUARTERLY)
    for pid in (on_track, slow):
        to_opcc(pid)
        decisions.approve(ADMIN, pid)
    spend.record(ADMIN, on_track, 100_000, date(2024, 6, 20), "Q1 sessions")
    spend.record(ADMIN, on_track, 300_000, date(2024, 9, 1), "Q2 sessions")
    spend.record(ADMIN, slow, 200_000, date(2024, 9, 15), "Late first invoice")
    return year, on_track, slow


def buttons(call) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in call.arg("blocks") if b["type"] == "actions"
            for e in b["elements"]]


def test_the_lead_and_the_admins_are_told_once_each(replayed, clockwork):
    year, on_track, slow = replayed
    clockwork.days(date(2024, 6, 28), date(2024, 7, 3))  # Q1 ends on Sunday 30 June
    clockwork.at(at(2024, 8, 1))
    clockwork.at(at(2024, 9, 2))  # 1 September is a Sunday
    clockwork.days(date(2024, 9, 27), date(2024, 10, 3))

    to_lead = clockwork.to(LEAD)
    assert [now for now, _ in to_lead] == [at(2024, 7, 1), at(2024, 10, 1)]
    q1, q2 = (texts(c) for _, c in to_lead)
    assert "Behind profile at the end of 2024/25 Q1" in q1 and "CRG-2024/25-002" in q1
    assert "CRG-2024/25-001" not in q1  # on track
    # At 30 Sep: planned 4,000, spent 2,000 (-50%); forecast 5,000, leaving 5,000.
    assert ("planned to date £4,000, spent £2,000 (-50%); forecast £5,000, leaving £5,000"
            in q2)
    assert buttons(to_lead[1][1]) == [("progress_open", str(slow))]  # leads do not record spend

    to_admin = clockwork.to(YEAR_ADMIN)
    assert [now for now, _ in to_admin] == [at(2024, 7, 1), at(2024, 8, 1), at(2024, 9, 2),
                                            at(2024, 10, 1)]
    september, october = texts(to_admin[2][1]), texts(to_admin[3][1])
    # As at 31 Aug the slow project had spent nothing of the 3,000 planned (1,000 + 3,000 x 2/3
    # for July and August): at that pace it would spend nothing, so all 10,000 is likely left.
    assert "Monthly forecast" in september and "As at 31 Aug 2024" in september
    assert "*CRG-2024/25-002* Slow start: planned £3,000, spent £0" in september
    assert "likely to leave £10,000" in september
    # As at 30 Sep: uncommitted £25,001 (the rest of the £45,001) + the slow project's £5,000.
    assert "Forecast underspend on 31 March: *£30,001*" in october
    assert "likely to leave £5,000" in october and "tactical proposals" in october

    # Again, and from a restarted clock: nothing more.
    assert clockwork.at(at(2024, 10, 1, 12, 0))[0] == []
    clockwork.owner.close()
    clockwork.owner = Owner().start()
    assert clockwork.at(at(2024, 10, 1, 12, 5))[0] == []
    assert clockwork.at(at(2024, 10, 2, 9, 0))[0] == []
    keys = sorted(r.key for r in Reminder.select().where(Reminder.key.contains("behind")))
    assert keys == [f"f{slow}:behind@2024/25 Q1:{LEAD}", f"f{slow}:behind@2024/25 Q2:{LEAD}"]


def test_where_leads_record_spend_the_dm_offers_it_and_a_late_clock_catches_up(
        replayed, clockwork):
    year, _, slow = replayed
    spend.allow_leads_to_record_spend(ADMIN, year.partnership_id, True)
    clockwork.at(at(2024, 10, 3, 15, 0))  # down since before the quarter ended
    (now, call), = clockwork.to(LEAD)
    assert buttons(call) == [("progress_open", str(slow)), ("spend_open", str(slow))]
    assert "Sent late" in texts(call)


def test_after_the_lookback_a_missed_message_is_moot(replayed, clockwork):
    clockwork.at(at(2024, 7, 1) + LOOKBACK + (at(2024, 7, 2) - at(2024, 7, 1)))
    assert clockwork.to(LEAD) == [] and clockwork.to(YEAR_ADMIN) == []


def test_no_monthly_forecast_before_q2_and_none_after_march(replayed, clockwork):
    clockwork.at(at(2024, 6, 3))
    clockwork.at(at(2025, 4, 1))
    assert clockwork.to(YEAR_ADMIN) == []
