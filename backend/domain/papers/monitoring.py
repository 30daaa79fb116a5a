"""The OPCC monitoring return's content: per funded project its approved amount, planned and
spent to date against its profile, the variance and the reason given for it, its RAG, the
partnership's measures and its latest narrative; for one partnership or, for the OPCC, all.

Planned and spent to date are the forecast's (`forecast.figures.year_forecasts`: the same
profiles, the same spend by the day it was spent), so the return, the forecast and the spend
sheet agree; the period fixes the date: mid-year is 30 September, year-end 31 March (or today,
if that is earlier).
"""
from dataclasses import dataclass
from datetime import date

from backend.domain import conditions, fiscal, times
from backend.domain.errors import InvalidInput, NotFound
from backend.domain.forecast.figures import ProjectForecast, YearForecast, year_forecasts
from backend.domain.papers import measures as measured
from backend.domain.papers import settings
from models import FinancialYear

PERIODS = {"mid-year": "Mid-year", "year-end": "Year-end"}


@dataclass(frozen=True)
class ReturnRow:
    project: ProjectForecast
    explanation: str
    measures: dict[str, int]
    # The grant's conditions the project has not yet met (nor had waived), as the OPCC asks:
    # "Signed grant agreement (before release)".
    outstanding: tuple[str, ...] = ()

    @property
    def narrative(self) -> str:
        report = self.project.last_report
        return report.narrative if report else "No progress reported yet."

    @property
    def reported_on(self) -> date | None:
        report = self.project.last_report
        return report.reported_on if report else None


@dataclass(frozen=True)
class MonitoringReturn:
    title: str
    period: str  # "mid-year" or "year-end"
    as_at: date
    measures: tuple[str, ...]  # the measure columns, in the partnerships' order
    years: tuple[YearForecast, ...]
    rows: dict[int, tuple[ReturnRow, ...]]  # by year id, in reference order

    @property
    def period_label(self) -> str:
        return PERIODS[self.period]


def parse_period(text: str | None, start_year: int) -> str:
    """"mid-year" or "year-end"; by default the year-end once the year is over."""
    if not text:
        return "year-end" if times.today_local() > fiscal.last_day(start_year) else "mid-year"
    cleaned = text.strip().lower().replace(" ", "-").replace("_", "-")
    if cleaned not in PERIODS:
        raise InvalidInput(f"“{text}” is not a period of the return: say mid-year or year-end.",
                           field="period")
    return cleaned


def period_end(start_year: int, period: str) -> date:
    """The day the period's figures are taken at: 30 September or 31 March (today if earlier)."""
    end = date(start_year, 9, 30) if period == "mid-year" else fiscal.last_day(start_year)
    return min(end, times.today_local())


def read(year_ids, period: str, title: str) -> MonitoringReturn:
    ids = list(year_ids)
    if not ids:
        raise NotFound("There is no year to make a return of.")
    start = FinancialYear.get_by_id(ids[0]).start_year
    on = period_end(start, period)
    years = tuple(year_forecasts(ids, on))
    reports = [p.last_report.id for y in years for p in y.projects if p.last_report]
    found = measured.of_reports(reports)
    names: list[str] = []
    for year in years:
        for name in settings.choices(year.partnership_id).measures:
            if name not in names:
                names.append(name)
    unmet = conditions.outstanding_for([p.id for y in years for p in y.projects])
    rows = {year.year_id: tuple(_row(p, found, unmet[p.id]) for p in year.projects)
            for year in years}
    return MonitoringReturn(title, period, on, tuple(names), years, rows)


def _row(project: ProjectForecast, found: dict, unmet: list) -> ReturnRow:
    got = found.get(project.last_report.id) if project.last_report else None
    return ReturnRow(project, got.explanation if got else "", got.values if got else {},
                     tuple(f"{c.title} ({c.due_label})" for c in unmet))
