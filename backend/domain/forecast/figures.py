"""The forecast's figures at a date: per project, per pot, per partnership-year, across them.

Everything for any number of partnership-years is read in a fixed number of queries (the years,
their ledger sums, the funded projects, their spend by day, the re-profiles, the latest
progress reports and the margins: seven, however many projects), then worked out in Python with
`rule`. The return values are plain frozen dataclasses of integers (pence), dates and strings,
for the fronts and for the OPCC monitoring return to build on.

Which projects: those the PCC funded, approved ones and cancelled ones that spent something (a
cancelled project's approved amount is what it spent, so it is forecast to spend exactly that;
one cancelled before any spend has nothing to show).
"""
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from peewee import fn

from backend.domain import fiscal, times
from backend.domain.errors import NotFound
from backend.domain.forecast.access import (
    Scope,
    may_see_every_partnership,
    may_see_forecast,
    may_see_project,
)
from backend.domain.forecast.margins import margins_of
from backend.domain.forecast.profiles import Profile, Reprofile, profile_for
from backend.domain.forecast.rule import (
    QUARTERS,
    Margin,
    forecast_year_end,
    month_ends,
    planned_to_date,
    quarter_bounds,
    variance_percent,
)
from backend.domain.ledger import SPEND, SPEND_REVERSAL
from backend.domain.pots import EFFECTS
from backend.domain.progress import ProgressView, latest_progress
from backend.domain.proposals import load
from backend.domain.workflow import reference
from backend.domain.years import find_year
from models import FinancialYear, LedgerEntry, Partnership, Pot, Proposal, SpendProfile

FUNDED = (Proposal.status == "approved") | ((Proposal.status == "cancelled")
                                           & (Proposal.approved_pence > 0))
POT_KINDS = ("upfront", "tactical")


@dataclass(frozen=True)
class ProjectForecast:
    """One funded project at a date: its profile, what was planned and spent, and the forecast."""

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

    @property
    def committed(self) -> int:
        return sum(p.approved for p in self.projects)

    @property
    def planned(self) -> int:
        return sum(p.planned for p in self.projects)

    @property
    def spent(self) -> int:
        return sum(p.spent for p in self.projects)

    @property
    def uncommitted(self) -> int:
        return sum(p.uncommitted for p in self.pots.values())

    @property
    def forecast_spend(self) -> int:
        return sum(p.forecast for p in self.projects)

    @property
    def forecast_unspent(self) -> int:
        """Approved money forecast to be left unspent on 31 March."""
        return sum(p.forecast_unspent for p in self.projects)

    @property
    def forecast_underspend(self) -> int:
        """Approved and uncommitted money expected to be left on 31 March (whole view only)."""
        return self.uncommitted + self.forecast_unspent

    @property
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

    @property
    def allocation(self) -> int:
        return self._sum("allocation")

    @property
    def committed(self) -> int:
        return self._sum("committed")

    @property
    def planned(self) -> int:
        return self._sum("planned")

    @property
    def spent(self) -> int:
        return self._sum("spent")

    @property
    def uncommitted(self) -> int:
        return self._sum("uncommitted")

    @property
    def forecast_spend(self) -> int:
        return self._sum("forecast_spend")

    @property
    def forecast_unspent(self) -> int:
        return self._sum("forecast_unspent")

    @property
    def forecast_underspend(self) -> int:
        return self._sum("forecast_underspend")

    @property
    def behind(self) -> tuple[ProjectForecast, ...]:
        return tuple(p for y in self.years for p in y.behind)


# --------------------------------------------------------------------------- reading


def _pot_sums(year_ids: list[int]) -> dict[tuple[int, str], list[int]]:
    """{(year, pot kind): [allocated, committed]} from the ledger, in one aggregate query."""
    totals = defaultdict(lambda: [0, 0])
    rows = (LedgerEntry.select(Pot.year, Pot.kind, LedgerEntry.kind, fn.SUM(LedgerEntry.amount_pence))
            .join(Pot).where(Pot.year.in_(year_ids))
            .group_by(Pot.year, Pot.kind, LedgerEntry.kind).tuples())
    for year_id, pot_kind, kind, total in rows:
        allocated, committed, _ = EFFECTS[kind]
        totals[(year_id, pot_kind)][0] += allocated * int(total)
        totals[(year_id, pot_kind)][1] += committed * int(total)
    return totals


def _spend_by_day(year_ids: list[int]) -> dict[int, list[tuple[date, int]]]:
    """{project: [(day, net pence)]} sorted by day, in one query."""
    found = defaultdict(dict)
    rows = (LedgerEntry.select(LedgerEntry.proposal, LedgerEntry.occurred_on, LedgerEntry.kind,
                               fn.SUM(LedgerEntry.amount_pence))
            .join(Proposal).where(Proposal.year.in_(year_ids)
                                  & LedgerEntry.kind.in_((SPEND, SPEND_REVERSAL)))
            .group_by(LedgerEntry.proposal, LedgerEntry.occurred_on, LedgerEntry.kind).tuples())
    for proposal_id, on, kind, total in rows:
        day = found[proposal_id]
        day[on] = day.get(on, 0) + EFFECTS[kind][2] * int(total)
    return {pid: sorted(days.items()) for pid, days in found.items()}


def _reprofiles(year_ids: list[int]) -> dict[int, Reprofile]:
    """The newest re-profile of each project of the years, in one query."""
    rows = (SpendProfile.select(SpendProfile.proposal, SpendProfile.q1_pence, SpendProfile.q2_pence,
                                SpendProfile.q3_pence, SpendProfile.q4_pence, SpendProfile.reason,
                                SpendProfile.set_by, SpendProfile.set_at)
            .join(Proposal).where(Proposal.year.in_(year_ids))
            .order_by(SpendProfile.set_at, SpendProfile.id).tuples())
    return {pid: Reprofile((q1, q2, q3, q4), reason, by, at)
            for pid, q1, q2, q3, q4, reason, by, at in rows}


def _spent_by(days: list[tuple[date, int]], on: date) -> int:
    return sum(amount for day, amount in days if day <= on)


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
    years = list(FinancialYear.select(FinancialYear, Partnership).join(Partnership)
                 .where(FinancialYear.id.in_(ids))
                 .order_by(Partnership.name, FinancialYear.start_year))
    pot_sums = _pot_sums(ids)
    spend = _spend_by_day(ids)
    reprofiled = _reprofiles(ids)
    funded = Proposal.select(Proposal.id).where(Proposal.year.in_(ids) & FUNDED)
    reports = latest_progress(funded)
    margins = margins_of({y.partnership_id for y in years})
    query = (Proposal.select(Proposal.id, Proposal.year, Proposal.number, Proposal.title,
                             Proposal.lead_organisation, Proposal.contact_name,
                             Proposal.proposer_slack_id, Proposal.contact_slack_id, Proposal.pot,
                             Proposal.status, Proposal.approved_pence, Proposal.planned_spend,
                             Proposal.planned_start, Proposal.planned_end, Proposal.pcc_decided_at)
             .where(Proposal.year.in_(ids) & FUNDED).order_by(Proposal.year, Proposal.number))
    if scope is not None and not scope.whole:
        query = query.where((Proposal.proposer_slack_id == scope.person)
                            | (Proposal.contact_slack_id == scope.person))
    by_year = defaultdict(list)
    year_of = {y.id: y for y in years}
    for row in query.tuples().iterator():
        year = year_of[row[1]]
        by_year[year.id].append(_project(row, year, on, spend.get(row[0], []),
                                         reprofiled.get(row[0]), reports.get(row[0]),
                                         margins[year.partnership_id]))
    whole = scope is None or scope.whole
    return [_year(y, on, tuple(by_year[y.id]), pot_sums, spend, margins[y.partnership_id], whole)
            for y in years]


def _project(row, year: FinancialYear, on: date, days, latest, report, margin) -> ProjectForecast:
    (pid, _, number, title, lead_org, contact, proposer, contact_id, pot, status, approved,
     planned_spend, start, end, decided_at) = row
    approved = approved or 0
    profile = profile_for(approved=approved, start_year=year.start_year,
                          planned_spend={k: int(v) for k, v in json.loads(planned_spend).items()},
                          planned_start=start, planned_end=end,
                          approved_on=times.to_local(decided_at).date() if decided_at else None,
                          latest=latest)
    planned = planned_to_date(profile.quarters, year.start_year, on)
    spent = _spent_by(days, on)
    by_quarter = [0, 0, 0, 0]
    for day, amount in days:
        if day <= on:
            by_quarter[fiscal.quarter_of(day) - 1] += amount
    leads = tuple(dict.fromkeys(i for i in (proposer, contact_id) if i))
    return ProjectForecast(
        pid, year.id, year.partnership_id, year.partnership.name, year.label,
        reference(year.label, number), title, lead_org, contact, leads, pot, status, approved,
        profile, planned, spent, tuple(by_quarter), forecast_year_end(approved, spent, planned),
        status == "approved" and margin.is_behind(spent, planned), report)


def _year(y: FinancialYear, on: date, projects, pot_sums, spend, margin: Margin,
          whole: bool) -> YearForecast:
    pots = {}
    if whole:
        for kind in POT_KINDS:
            allocated, committed = pot_sums.get((y.id, kind), (0, 0))
            mine = [p for p in projects if p.pot == kind]
            pots[kind] = PotForecast(kind, allocated, committed, sum(p.spent for p in mine),
                                     sum(p.forecast for p in mine),
                                     kind == "tactical" and y.rolled_over_at is None)
    months = tuple(MonthPoint(end, at, sum(planned_to_date(p.profile.quarters, y.start_year, at)
                                           for p in projects),
                              sum(_spent_by(spend.get(p.id, []), at) for p in projects)
                              if at <= on else None)
                   for end, at in _points(y.start_year, on))
    return YearForecast(y.id, y.partnership_id, y.partnership.name, y.label, y.start_year, on,
                        y.allocation_pence if whole else sum(p.approved for p in projects),
                        pots, projects, months, margin, whole)


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


def quarter_rows(project: ProjectForecast, start_year: int) -> list[tuple[int, date, date, int, int]]:
    """(quarter, first day, last day, planned, spent to date) for a project's four quarters."""
    return [(q, *quarter_bounds(start_year, q), project.profile.quarters[q - 1],
             project.spent_by_quarter[q - 1]) for q in QUARTERS]


def every_year_of(partnership_ids, on: date | None = None) -> list[YearForecast]:
    """Every year of the partnerships (whole views: the caller has checked the roles), newest
    first, then by partnership name."""
    ids = [y for (y,) in FinancialYear.select(FinancialYear.id).where(
        FinancialYear.partnership.in_(list(partnership_ids))).tuples()]
    return sorted(year_forecasts(ids, _on(on)), key=lambda y: (-y.start_year, y.partnership))
