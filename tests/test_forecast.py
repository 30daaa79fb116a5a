"""The forecast: profiles, the rule on hand-worked examples, roll-ups, re-profiling and who sees it.

Every expected figure below is worked by hand in the comments next to it (pounds unless said);
the code under test works in pence.
"""
import json
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.domain import decisions, people, proposals, spend
from backend.domain.actors import Actor
from backend.domain.errors import FieldErrors, NotAllowed
from backend.domain.forecast import access, figures, margins, profiles
from backend.domain.forecast.figures import PotForecast, year_forecasts
from backend.domain.forecast.profiles import apportion, even, profile_for
from backend.domain.forecast.rule import (
    Margin,
    forecast_year_end,
    planned_to_date,
    quarter_ends,
    variance_percent,
)
from backend.domain.pots import year_figures
from models import AuditRecord, FinancialYear
from tests.builders import ADMIN, PROPOSER, approved, open_year, submit, to_opcc
from tests.test_export_queries import count_queries

PROFILE = (100_000, 300_000, 300_000, 300_000)  # £1,000 / £3,000 / £3,000 / £3,000 = £10,000


# --------------------------------------------------------------------------- the rule by hand


def test_behind_at_the_end_of_q2():
    # Planned to 30 Sep: Q1 + Q2 = 1,000 + 3,000 = 4,000. Spent 2,000.
    planned = planned_to_date(PROFILE, 2024, date(2024, 9, 30))
    assert planned == 400_000
    # Pace 2,000 / 4,000 = 1/2; the rest of the profile 10,000 - 4,000 = 6,000, at half pace
    # 3,000; forecast 2,000 + 3,000 = 5,000, so 5,000 of the approval is forecast unspent.
    assert forecast_year_end(1_000_000, 200_000, planned) == 500_000
    # Variance 2,000 - 4,000 = -2,000, which is -50% of the 4,000 planned.
    assert variance_percent(200_000, planned) == -50
    # Behind: 2,000 short is at least 250, and more than 25% of 4,000 (1,000).
    assert Margin().is_behind(200_000, planned)


def test_part_way_through_a_quarter_counts_its_whole_months():
    # 15 Aug: of Q2 only July is over, so 1,000 + 3,000 x 1/3 = 2,000; by 31 Aug, 2/3: 3,000.
    assert planned_to_date(PROFILE, 2024, date(2024, 8, 15)) == 200_000
    assert planned_to_date(PROFILE, 2024, date(2024, 8, 31)) == 300_000
    # Spent exactly 2,000 by 15 Aug: pace 1, the whole 10,000 is forecast to be spent.
    assert forecast_year_end(1_000_000, 200_000, 200_000) == 1_000_000
    assert variance_percent(200_000, 200_000) == 0
    # 30 Apr: a third of Q1's 1,000 is 333.333..., down to 333.33.
    assert planned_to_date(PROFILE, 2024, date(2024, 4, 30)) == 33_333


def test_ahead_of_the_profile_is_capped_at_the_approval():
    # Spent 6,000 against 4,000 planned: pace 1.5; 6,000 + 6,000 x 1.5 = 15,000, capped at 10,000.
    assert forecast_year_end(1_000_000, 600_000, 400_000) == 1_000_000
    assert variance_percent(600_000, 400_000) == 50


def test_not_yet_due_to_spend_keeps_its_plan_and_nothing_spent_forecasts_nothing_more():
    late_start = (0, 0, 500_000, 500_000)
    # Nothing planned by 30 Sep: pace counts as 1, so 0 + 10,000 x 1 = 10,000.
    assert planned_to_date(late_start, 2024, date(2024, 9, 30)) == 0
    assert forecast_year_end(1_000_000, 0, 0) == 1_000_000
    assert variance_percent(0, 0) is None
    # 4,000 planned and nothing spent: pace 0, forecast 0 + 6,000 x 0 = 0.
    assert forecast_year_end(1_000_000, 0, 400_000) == 0


def test_at_the_year_end_the_forecast_is_what_was_spent():
    # 31 Mar: all 10,000 planned, 7,000 spent; nothing of the profile is left: forecast 7,000.
    planned = planned_to_date(PROFILE, 2024, date(2025, 3, 31))
    assert planned == 1_000_000
    assert forecast_year_end(1_000_000, 700_000, planned) == 700_000


def test_pence_are_rounded_once_and_down():
    # £1,000.01 spread over four equal quarters: 250.0025 each, so 250.00 each and the one penny
    # left over goes to Q1 (all tie; the earliest first).
    quarters = apportion(100_001, (1, 1, 1, 1))
    assert quarters == (25_001, 25_000, 25_000, 25_000)
    # At 30 Jun: planned 250.01, spent 100.00; the rest 750.00 at pace 100.00/250.01:
    # 750.00 x 100.00 / 250.01 = 299.988000... so 100.00 + 299.988 = 399.988, down to 399.98.
    assert forecast_year_end(100_001, 10_000, 25_001) == 39_998
    # Variance -150.01 of 250.01 is -60.0016%: -60%.
    assert variance_percent(10_000, 25_001) == -60


def test_the_margin_needs_both_the_share_and_the_amount():
    margin = Margin(25, 25_000)
    # 600 planned, 300 spent: 50% short but only 300... that is at least 250: behind.
    assert margin.is_behind(30_000, 60_000)
    # 800 planned, 600 spent: 200 short (25%) is under 250: not behind.
    assert not margin.is_behind(60_000, 80_000)
    # 10,000 planned, 7,600 spent: 2,400 short is only 24%: not behind.
    assert not margin.is_behind(760_000, 1_000_000)
    # Exactly 25% short is not "more than" 25%.
    assert not margin.is_behind(750_000, 1_000_000)


# --------------------------------------------------------------------------- profiles by hand


def test_a_profile_comes_from_the_proposal_and_is_scaled_to_the_approved_amount():
    as_planned = profile_for(approved=1_000_000, start_year=2024,
                             planned_spend={"Q1": 100_000, "Q2": 300_000, "Q3": 300_000,
                                            "Q4": 300_000},
                             planned_start=None, planned_end=None, approved_on=None)
    assert as_planned.quarters == PROFILE and as_planned.source == "proposal"
    # Planned 1 + 1 + 1 (pounds) but £1,000 approved: 333.333... each; 333.33 x 3 = 999.99 and
    # the penny left goes to Q1.
    scaled = profile_for(approved=100_000, start_year=2024,
                         planned_spend={"Q1": 100, "Q2": 100, "Q3": 100},
                         planned_start=None, planned_end=None, approved_on=None)
    assert scaled.quarters == (33_334, 33_333, 33_333, 0) and scaled.source == "scaled"
    assert "scaled from £3 to the approved £1,000" in scaled.note


def test_without_planned_spend_an_even_profile_is_assumed_over_the_planned_dates():
    # 1 Jun 2024 to 1 Mar 2025: 30 days in Q1 (June), 92 in Q2, 92 in Q3 and 60 in Q4
    # (31 + 28 + 1): 274 days. £2,740 is £10 a day: 300 / 920 / 920 / 600.
    assumed = profile_for(approved=274_000, start_year=2024, planned_spend={},
                          planned_start=date(2024, 6, 1), planned_end=date(2025, 3, 1),
                          approved_on=date(2024, 5, 20))
    assert assumed.quarters == (30_000, 92_000, 92_000, 60_000)
    assert assumed.assumed and "Assumed" in assumed.note
    assert "1 Jun 2024 to 1 Mar 2025" in assumed.note
    # No dates: from the approval (1 Oct 2024) to 31 Mar 2025: 92 days in Q3, 90 in Q4 (182).
    # £1,820 is £10 a day: nothing in Q1 and Q2, 920 and 900.
    rest_of_year = profile_for(approved=182_000, start_year=2024, planned_spend={"Q1": 0},
                               planned_start=None, planned_end=None,
                               approved_on=date(2024, 10, 1))
    assert rest_of_year.quarters == (0, 0, 92_000, 90_000)
    assert even(100, 2024, date(2024, 4, 1), date(2024, 4, 1)) == (100, 0, 0, 0)


# --------------------------------------------------------------------------- properties


QUARTER = st.integers(min_value=0, max_value=2_000_000)


@settings(max_examples=300, deadline=None)
@given(quarters=st.tuples(QUARTER, QUARTER, QUARTER, QUARTER),
       share=st.fractions(min_value=0, max_value=1), day=st.integers(min_value=-30, max_value=400),
       approved_extra=st.integers(min_value=0, max_value=100_000))
def test_the_forecast_stays_between_spent_and_approved(quarters, share, day, approved_extra):
    approved = sum(quarters) + approved_extra
    if approved == 0:
        return
    profile = profile_for(approved=approved, start_year=2024,
                          planned_spend={f"Q{i + 1}": q for i, q in enumerate(quarters)},
                          planned_start=None, planned_end=None, approved_on=None)
    assert profile.total == approved and min(profile.quarters) >= 0
    on = date.fromordinal(date(2024, 4, 1).toordinal() + day)
    planned = planned_to_date(profile.quarters, 2024, on)
    assert 0 <= planned <= approved
    spent = int(approved * share)
    forecast = forecast_year_end(approved, spent, planned)
    assert spent <= forecast <= approved


@settings(max_examples=200, deadline=None)
@given(projects=st.lists(st.tuples(st.integers(1, 1_000_000), st.fractions(0, 1),
                                   st.integers(0, 365)), max_size=8),
       spare=st.integers(0, 1_000_000))
def test_the_underspend_is_never_negative(projects, spare):
    forecasts, committed = [], 0
    for amount, share, day in projects:
        planned = planned_to_date(apportion(amount, (1, 1, 1, 1)), 2024,
                                  date.fromordinal(date(2024, 4, 1).toordinal() + day))
        spent = int(amount * share)
        forecasts.append(forecast_year_end(amount, spent, planned))
        committed += amount
    pot = PotForecast("tactical", committed + spare, committed, 0, sum(forecasts), False)
    assert pot.forecast_underspend >= pot.uncommitted >= 0


# --------------------------------------------------------------------------- through the services


def _quarterly(year, amount, quarters, approve=True, **kw):
    spend_by_q = {f"Q{i + 1}": f"{q:,}" for i, q in enumerate(quarters)}
    if approve:
        return approved(year, amount, planned_spend=spend_by_q, **kw)
    pid = submit(year, amount, planned_spend=spend_by_q, **kw)
    to_opcc(pid)
    return pid


@pytest.fixture
def a_year(db, frozen_now):
    frozen_now(datetime(2024, 5, 1, 9, 0))
    year = open_year(4_500_000)  # £45,000: upfront £30,000, tactical £15,000
    on_track = _quarterly(year, "10,000", (1_000, 3_000, 3_000, 3_000), False, title="On track")
    slow = _quarterly(year, "10,000", (1_000, 3_000, 3_000, 3_000), False, title="Slow start")
    decisions.approve(ADMIN, on_track)
    decisions.approve(ADMIN, slow)  # the last upfront decision: £10,000 rolls to tactical
    spend.record(ADMIN, on_track, 100_000, date(2024, 6, 20), "Q1")
    spend.record(ADMIN, on_track, 300_000, date(2024, 9, 1), "Q2")
    spend.record(ADMIN, slow, 200_000, date(2024, 9, 15), "Late first invoice")
    return year, on_track, slow


def test_a_partnership_year_rolls_up_by_pot(a_year):
    year, on_track, slow = a_year
    (forecast,) = year_forecasts([year.id], date(2024, 9, 30))
    by_id = {p.id: p for p in forecast.projects}
    # On track: 4,000 planned, 4,000 spent, forecast 10,000. Slow: 4,000 planned, 2,000 spent,
    # forecast 5,000 (the first example above).
    assert (by_id[on_track].planned, by_id[on_track].spent, by_id[on_track].forecast) == (
        400_000, 400_000, 1_000_000)
    assert (by_id[slow].planned, by_id[slow].spent, by_id[slow].forecast) == (
        400_000, 200_000, 500_000)
    assert [p.ref for p in forecast.behind] == [by_id[slow].ref]
    upfront = forecast.pots["upfront"]
    # Upfront pot: 30,000 less the 10,000 rolled over = 20,000, all committed; forecast spend
    # 10,000 + 5,000 = 15,000, so 20,000 - 15,000 = 5,000 forecast underspend.
    assert (upfront.allocated, upfront.committed, upfront.uncommitted) == (
        2_000_000, 2_000_000, 0)
    assert (upfront.forecast_spend, upfront.forecast_underspend) == (1_500_000, 500_000)
    # The tactical 15,000 + 10,000 is uncommitted: all of it is left. Year: 25,000 + 5,000.
    assert forecast.pots["tactical"].forecast_underspend == 2_500_000
    assert forecast.forecast_underspend == 3_000_000 == forecast.uncommitted + 500_000
    # The chart's September point is the figures at 30 Sep; October's is in the future.
    september = next(m for m in forecast.months if m.month_end == date(2024, 9, 30))
    assert (september.planned, september.spent) == (800_000, 600_000)
    assert next(m for m in forecast.months if m.month_end == date(2024, 10, 31)).spent is None


def test_the_figures_agree_with_the_ledger_at_the_year_end(a_year):
    year, _, _ = a_year
    (forecast,) = year_forecasts([year.id], date(2025, 3, 31))
    ledger = year_figures(FinancialYear.get_by_id(year.id))
    assert forecast.spent == ledger.spent and forecast.committed == ledger.committed
    assert forecast.uncommitted == ledger.uncommitted
    # After 31 March nothing more can be spent: the forecast underspend is the OPCC's underspend.
    assert forecast.forecast_underspend == ledger.underspend


def test_reading_costs_the_same_queries_for_more_projects(db, frozen_now):
    frozen_now(datetime(2024, 5, 1, 9, 0))
    counts = []
    for projects in (3, 30):
        year = open_year(projects * 300_000)
        pids = [_quarterly(year, "1,000", (250, 250, 250, 250), False, title=f"P{n}")
                for n in range(projects)]
        for pid in pids:
            decisions.approve(ADMIN, pid)
            spend.record(ADMIN, pid, 10_000, date(2024, 7, 1), "Delivery")
        with count_queries() as queries:
            year_forecasts([year.id], date(2024, 9, 30))
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8


def test_admins_reprofile_an_approved_project_and_the_old_profile_stays(a_year):
    year, _, slow = a_year
    # The OPCC agreed the slow project starts a quarter late: nothing in Q1-Q2.
    with pytest.raises(FieldErrors, match="add up to £9,000, but .* approved for £10,000"):
        profiles.reprofile(ADMIN, slow, (0, 0, 4_000_00, 5_000_00), "Late start agreed")
    with pytest.raises(FieldErrors, match="Say why"):
        profiles.reprofile(ADMIN, slow, (0, 200_000, 400_000, 400_000), " ")
    with pytest.raises(NotAllowed, match="re-profile"):
        profiles.reprofile(PROPOSER, slow, (0, 200_000, 400_000, 400_000), "Mine")
    new = profiles.reprofile(ADMIN, slow, (0, 200_000, 400_000, 400_000), "Late start agreed")
    assert new.quarters == (0, 200_000, 400_000, 400_000) and new.source == "reprofiled"
    assert "Late start agreed" in new.note
    (forecast,) = year_forecasts([year.id], date(2024, 9, 30))
    project = next(p for p in forecast.projects if p.id == slow)
    # Now 2,000 was planned by 30 Sep and 2,000 spent: on profile, forecast the whole 10,000.
    assert (project.planned, project.forecast, project.behind) == (200_000, 1_000_000, False)
    assert [h.reason for h in profiles.history(slow)] == ["Late start agreed"]
    assert json.loads(proposals.load(slow).planned_spend)["Q1"] == 100_000  # the proposal's stays
    record = AuditRecord.get(AuditRecord.action == "proposal.reprofile")
    assert json.loads(record.before)["profile"]["Q1"] == "£1,000"
    assert json.loads(record.after)["profile"]["Q1"] == "£0"
    assert AuditRecord.select().where(AuditRecord.action == "denied").count() == 1


def test_a_variation_rescales_the_profile(a_year):
    year, on_track, _ = a_year
    decisions.vary(ADMIN, on_track, 500_000, "OPCC email 3 Oct")
    (forecast,) = year_forecasts([year.id], date(2024, 9, 30))
    project = next(p for p in forecast.projects if p.id == on_track)
    # 1,000/3,000/3,000/3,000 scaled to 5,000: 500/1,500/1,500/1,500.
    assert project.profile.quarters == (50_000, 150_000, 150_000, 150_000)
    assert project.profile.source == "scaled"


def test_who_sees_what(a_year):
    year, on_track, slow = a_year
    pid = year.partnership_id
    for user, role in (("U0FIN", "finance"), ("U0CHAIR", "chair")):
        people.grant(ADMIN, pid, user, role)
        assert figures.for_partnership(Actor(user), pid).whole
    mine = figures.for_partnership(PROPOSER, pid)
    assert not mine.whole and mine.pots == {} and len(mine.projects) == 2  # PROPOSER leads both
    stranger = figures.for_partnership(Actor("U_STRANGER"), pid)
    assert stranger.projects == ()
    with pytest.raises(NotAllowed, match="lead"):
        figures.for_project(Actor("U_STRANGER"), slow)
    assert figures.for_project(PROPOSER, slow).ref.endswith("-002")
    with pytest.raises(NotAllowed, match="ADMIN_SLACK_IDS"):
        figures.for_every_partnership(Actor("U0FIN"), "2024/25")
    assert access.may_see_forecast(ADMIN, pid).whole


def test_the_margin_is_a_partnership_setting(a_year):
    year, _, slow = a_year
    assert margins.margin_of(year.partnership_id) == Margin(25, 25_000)
    with pytest.raises(NotAllowed):
        margins.set_margin(PROPOSER, year.partnership_id, percent=60)
    refused = AuditRecord.get(AuditRecord.action == "denied")
    assert refused.entity == "partnership"
    assert "tried to change when a project counts as behind" in refused.after
    margins.set_margin(ADMIN, year.partnership_id, percent=60)
    (forecast,) = year_forecasts([year.id], date(2024, 9, 30))
    assert forecast.behind == ()  # 50% short is not more than 60%
    assert AuditRecord.select().where(AuditRecord.action == "forecast.margin").count() == 1


def test_every_partnership_at_once(a_year, frozen_now):
    year, _, _ = a_year
    other = open_year(900_000, name="Southshire CSP")
    approved(other, "1,000")
    combined = figures.for_every_partnership(ADMIN, "2024/25", on=date(2024, 9, 30))
    assert [y.partnership for y in combined.years][-1] == "Southshire CSP"
    assert combined.allocation == 4_500_000 + 900_000
    assert combined.forecast_underspend == sum(y.forecast_underspend for y in combined.years)
    assert [m.planned for m in combined.months] == [
        sum(y.months[i].planned for y in combined.years) for i in range(12)]
    assert quarter_ends(2024)[1] == date(2024, 9, 30)
