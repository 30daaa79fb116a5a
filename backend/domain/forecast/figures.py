"""The forecast's figures at a date: per project, per pot, per partnership-year, across them.

Everything for any number of partnership-years is read in a fixed number of queries
(`reading`: the years, their ledger sums, the funded projects, the re-profiles, the latest
progress reports, the margins, and two of spend added up by project and by month for each
calendar year the years start in), however many projects and spend lines, then worked out here
with `rule`. The return values are plain immutable records (named tuples and frozen
dataclasses) of integers (pence), dates and strings, for the fronts and for the OPCC monitoring
return to build on.

Which projects: those the PCC funded, approved ones and cancelled ones that spent something (a
cancelled project's approved amount is what it spent, so it is forecast to spend exactly that;
one cancelled before any spend has nothing to show).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import NamedTuple

from backend.domain import fiscal, times
from backend.domain.errors import NotFound
from backend.domain.forecast.access import (
    Scope,
    may_see_every_partnership,
    may_see_forecast,
    may_see_project,
)
from backend.domain.forecast import reading
from backend.domain.forecast.margins import margins_of
from backend.domain.forecast.profiles import Profile, profile_for
from backend.domain.forecast.rule import (
    QUARTERS,
    Margin,
    cumulative_plan,
    forecast_year_end,
    month_ends,
    months_ended,
    quarter_bounds,
    variance_percent,
)
from backend.domain.progress import ProgressView, newest_views
from backend.domain.proposals import load
from backend.domain.workflow import reference
from backend.domain.years import find_year
from models import FinancialYear

NOTHING_SPENT = (0, 0, 0, 0, 0)
POT_KINDS = ("upfront", "tactical")


class ProjectForecast(NamedTuple):
    """One funded project at a date: its profile, what was planned and spent, and the forecast.

    A named tuple rather than a dataclass because an OPCC view makes thousands of them a page.
    """

    id: int
    year_id: int
    partnership_id: int
    partnership: str
    year_label: str
    ref: str
    title: str
    lead_organisation: str
    contact_name: str
    lead_ids: tuple[str, ...]  # the proposer and the named contact (Slack ids)
    pot: str
    status: str
    approved: int
    profile: Profile
    monthly_plan: tuple[int, ...]  # the profile's planned spend by the end of each month, Apr-Mar
    planned: int  # planned to date
    spent: int  # spent to date
    spent_by_quarter: tuple[int, int, int, int]  # to date
    forecast: int  # year-end spend
    behind: bool  # by more than the partnership's margin
    last_report: ProgressView | None

    @property
    def variance(self) -> int:
        """Spent less planned to date: negative when behind the profile."""
        return self.spent - self.planned

    @property
    def variance_percent(self) -> int | None:
        return variance_percent(self.spent, self.planned)

    @property
    def forecast_unspent(self) -> int:
        """The approved money it is forecast to leave unspent on 31 March."""
        return self.approved - self.forecast

    @property
    def rag(self) -> str | None:
        return self.last_report.rag if self.last_report else None


@dataclass(frozen=True)
class PotForecast:
    kind: str
    allocated: int
    committed: int  # approved to projects
    spent: int  # to date
    forecast_spend: int  # the pot's projects' year-end forecasts, added up
    locked: bool

    @property
    def uncommitted(self) -> int:
        return self.allocated - self.committed

    @property
    def forecast_underspend(self) -> int:
        """Uncommitted money plus approved money forecast to be left unspent on 31 March."""
        return self.allocated - self.forecast_spend


@dataclass(frozen=True)
class MonthPoint:
    """One point of the chart: cumulative planned and spent by `on` (spent None in the future)."""

    month_end: date
    on: date  # the month's end, or the forecast's date in its own month
    planned: int
    spent: int | None


@dataclass(frozen=True)
class YearForecast:
    """A partnership's year at a date. With `whole` False (a partner's view) it holds only the
    projects they lead, and no pots."""

    year_id: int
    partnership_id: int
    partnership: str
    label: str
    start_year: int
    on: date
    allocation: int
    pots: dict[str, PotForecast]
    projects: tuple[ProjectForecast, ...]
    months: tuple[MonthPoint, ...]
    margin: Margin
    whole: bool = True

    @cached_property
    def committed(self) -> int:
        return sum(p.approved for p in self.projects)

    @cached_property
    def planned(self) -> int:
        return sum(p.planned for p in self.projects)

    @cached_property
    def spent(self) -> int:
        return sum(p.spent for p in self.projects)

    @cached_property
    def uncommitted(self) -> int:
        return sum(p.uncommitted for p in self.pots.values())

    @cached_property
    def forecast_spend(self) -> int:
        return sum(p.forecast for p in self.projects)

    @cached_property
    def forecast_unspent(self) -> int:
        """Approved money forecast to be left unspent on 31 March."""
        return sum(p.forecast_unspent for p in self.projects)

    @cached_property
    def forecast_underspend(self) -> int:
        """Approved and uncommitted money expected to be left on 31 March (whole view only)."""
        return self.uncommitted + self.forecast_unspent

    @cached_property
    def behind(self) -> tuple[ProjectForecast, ...]:
        return tuple(p for p in self.projects if p.behind)


@dataclass(frozen=True)
class CombinedForecast:
    """Every partnership's year (one financial year) at a date, and their sums: the OPCC's view."""

    label: str
    start_year: int
    on: date
    years: tuple[YearForecast, ...]
    months: tuple[MonthPoint, ...] = field(default=())

    def _sum(self, name: str) -> int:
        return sum(getattr(y, name) for y in self.years)

    @cached_property
    def allocation(self) -> int:
        return self._sum("allocation")

    @cached_property
    def committed(self) -> int:
        return self._sum("committed")

    @cached_property
    def planned(self) -> int:
        return self._sum("planned")

    @cached_property
    def spent(self) -> int:
        return self._sum("spent")

    @cached_property
    def uncommitted(self) -> int:
        return self._sum("uncommitted")

    @cached_property
    def forecast_spend(self) -> int:
        return self._sum("forecast_spend")

    @cached_property
    def forecast_unspent(self) -> int:
        return self._sum("forecast_unspent")

    @cached_property
    def forecast_underspend(self) -> int:
        return self._sum("forecast_underspend")

    @cached_property
    def behind(self) -> tuple[ProjectForecast, ...]:
        return tuple(p for y in self.years for p in y.behind)


def _points(start_year: int, on: date) -> list[tuple[date, date]]:
    """(month end, as at) of the chart: month ends, the forecast's own date in its month."""
    return [(end, on if end.replace(day=1) <= on < end else end) for end in month_ends(start_year)]


def year_forecasts(year_ids, on: date, scope: Scope | None = None) -> list[YearForecast]:
    """The years' forecasts at the end of `on`, by partnership name then year.

    `scope` (from `access.may_see_forecast`) narrows a partner's view to the projects they lead.
    """
    ids = list(year_ids)
    if not ids:
        return []
    scoped = scope is not None and not scope.whole
    values = {**reading.year_values(ids), "person": scope.person if scoped else ""}
    years = reading.prepared(reading.years_query, len(ids)).objects(**values)
    pot_sums = reading.pot_sums(ids)
    spend, spend_months = {}, {}
    for start in {y.start_year for y in years}:
        found, months = reading.spend_figures(start, [y.id for y in years if y.start_year == start],
                                       on, scope)
        spend.update(found)
        spend_months.update(months)
    reprofiled = reading.reprofiles(ids)
    reports = newest_views(reading.prepared(reading.newest_reports_query, len(ids),
                                            scoped).rows(**values, on=on))
    margins = margins_of({y.partnership_id for y in years})
    rows = reading.prepared(reading.funded_projects, len(ids), scoped).rows(**values)
    by_year = defaultdict(list)
    # What each project needs of its year, read off the models once (not once per project).
    about = {y.id: _YearFacts(y.id, y.partnership_id, y.partnership.name, y.label, y.start_year,
                              months_ended(y.start_year, on), margins[y.partnership_id])
             for y in years}
    for row in rows:
        pid = row[0]
        by_year[row[1]].append(_project(row, about[row[1]], spend.get(pid, NOTHING_SPENT),
                                        reprofiled.get(pid), reports.get(pid)))
    whole = scope is None or scope.whole
    return [_year(y, on, tuple(by_year[y.id]), pot_sums, spend_months.get(y.id, ()),
                  margins[y.partnership_id], whole) for y in years]


class _YearFacts(NamedTuple):
    id: int
    partnership_id: int
    partnership: str
    label: str
    start_year: int
    months_ended: int  # by the forecast's date
    margin: Margin


def _project(row, year: _YearFacts, spend: tuple[int, ...], latest, report) -> ProjectForecast:
    (pid, _, number, title, lead_org, contact, proposer, contact_id, pot, status, approved,
     q1, q2, q3, q4, start, end, decided_at) = row
    approved = int(approved or 0)
    planned_spend = {"Q1": int(q1 or 0), "Q2": int(q2 or 0), "Q3": int(q3 or 0),
                     "Q4": int(q4 or 0)}
    assumed = latest is None and not any(planned_spend.values())
    # The planned dates and the approval's day matter only to an assumed profile.
    decided_at = reading.as_moment(decided_at) if assumed else None
    profile = profile_for(approved=approved, start_year=year.start_year,
                          planned_spend=planned_spend,
                          planned_start=reading.as_date(start) if assumed else None,
                          planned_end=reading.as_date(end) if assumed else None,
                          approved_on=times.to_local(decided_at).date() if decided_at else None,
                          latest=latest)
    plan = cumulative_plan(profile.quarters)
    planned = plan[year.months_ended - 1] if year.months_ended else 0
    spent, by_quarter = spend[0], spend[1:]
    leads = (proposer, contact_id) if contact_id and contact_id != proposer else (proposer,)
    return ProjectForecast(
        pid, year.id, year.partnership_id, year.partnership, year.label,
        reference(year.label, number), title, lead_org, contact, leads, pot, status, approved,
        profile, plan, planned, spent, by_quarter,
        forecast_year_end(approved, spent, planned),
        status == "approved" and year.margin.is_behind(spent, planned), report)


def _year(y: FinancialYear, on: date, projects, pot_sums, spend_months, margin: Margin,
          whole: bool) -> YearForecast:
    pots = {}
    if whole:
        for kind in POT_KINDS:
            allocated, committed = pot_sums.get((y.id, kind), (0, 0))
            mine = [p for p in projects if p.pot == kind]
            pots[kind] = PotForecast(kind, allocated, committed, sum(p.spent for p in mine),
                                     sum(p.forecast for p in mine),
                                     kind == "tactical" and y.rolled_over_at is None)
    months = _months(y.start_year, on, projects, spend_months)
    return YearForecast(y.id, y.partnership_id, y.partnership.name, y.label, y.start_year, on,
                        y.allocation_pence if whole else sum(p.approved for p in projects),
                        pots, projects, months, margin, whole)


def _months(start_year: int, on: date, projects, spend_months) -> tuple[MonthPoint, ...]:
    """The chart's points: the projects' cumulative plans and spend added up, month by month.

    `spend_months` is [(month index, spent in it, spent in it by `on`)] from the database.
    """
    plan = [sum(month) for month in zip(*(p.monthly_plan for p in projects))] or [0] * 12
    spent_in, by_on = [0] * 13, [0] * 13
    for index, total, to_date in spend_months:
        spent_in[index] += total
        by_on[index] += to_date
    points, running = [], 0
    for i, (end, at) in enumerate(_points(start_year, on)):
        ended = months_ended(start_year, at)
        spent = None
        if at == end and at <= on:
            running += spent_in[i]
            spent = running
        elif at <= on:
            spent = running + by_on[i]
        points.append(MonthPoint(end, at, plan[ended - 1] if ended else 0, spent))
    return tuple(points)


def combine(label: str, start_year: int, on: date, years: list[YearForecast]) -> CombinedForecast:
    """The years' sums, month by month too (the OPCC's chart)."""
    months = []
    for i, (end, at) in enumerate(_points(start_year, on)):
        spent = [y.months[i].spent for y in years]
        months.append(MonthPoint(end, at, sum(y.months[i].planned for y in years),
                                 None if not years or None in spent else sum(spent)))
    return CombinedForecast(label, start_year, on, tuple(years), tuple(months))


# --------------------------------------------------------------------------- for the fronts


def _on(on: date | None) -> date:
    return on or times.today_local()


def for_partnership(actor, partnership, year_label: str | None = None,
                    on: date | None = None) -> YearForecast:
    """A partnership's year (its current one by default) at `on` (today by default), as much of
    it as this person may see."""
    year = find_year(partnership, year_label)
    scope = may_see_forecast(actor, year.partnership_id)
    return year_forecasts([year.id], _on(on), scope)[0]


def for_every_partnership(actor, year_label: str | None = None,
                          on: date | None = None) -> CombinedForecast:
    """Every partnership's year (this financial year by default) at `on`: the OPCC's view."""
    may_see_every_partnership(actor)
    start = fiscal.parse_year(year_label) if year_label else fiscal.year_of(times.today_local())
    ids = [y for (y,) in FinancialYear.select(FinancialYear.id)
           .where(FinancialYear.start_year == start).tuples()]
    if not ids:
        raise NotFound(f"No partnership has a {fiscal.label(start)} year yet.")
    return combine(fiscal.label(start), start, _on(on), year_forecasts(ids, _on(on)))


def for_project(actor, proposal_id: int, on: date | None = None) -> ProjectForecast:
    """One funded project's forecast, for its lead and those who see the whole forecast."""
    proposal = load(proposal_id)
    may_see_project(actor, proposal)
    year = year_forecasts([proposal.year_id], _on(on))[0]
    found = next((p for p in year.projects if p.id == proposal_id), None)
    if found is None:
        raise NotFound(f"{reference(year.label, proposal.number)} is not a funded project, so it "
                       "has no forecast.")
    return found


def quarter_rows(project: ProjectForecast,
                 start_year: int) -> list[tuple[int, date, date, int, int]]:
    """(quarter, first day, last day, planned, spent to date) for a project's four quarters."""
    return [(q, *quarter_bounds(start_year, q), project.profile.quarters[q - 1],
             project.spent_by_quarter[q - 1]) for q in QUARTERS]


def every_year_of(partnership_ids, on: date | None = None) -> list[YearForecast]:
    """Every year of the partnerships (whole views: the caller has checked the roles), newest
    first, then by partnership name."""
    ids = [y for (y,) in FinancialYear.select(FinancialYear.id).where(
        FinancialYear.partnership.in_(list(partnership_ids))).tuples()]
    return sorted(year_forecasts(ids, _on(on)), key=lambda y: (-y.start_year, y.partnership))
