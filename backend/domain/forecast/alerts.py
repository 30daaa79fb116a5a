"""What the clock tells people about the forecast, and when: worked out from the database alone.

Two occasions, each a reminder of the clock's (`backend.domain.reminders.plan` asks for them),
so each goes out exactly once: it is claimed under a unique key before it is sent (`jobs.sweep`).

- **Behind at a quarter's end.** On the first working day after the end of Q1, Q2 and Q3, at the
  partnership's send time, the lead (proposer and named contact) of each approved project more
  than the partnership's margin behind its profile at that quarter's end gets one DM, with a
  Report progress button and, where they may record spend, a Record spend button. Key:
  `f{project}:behind@{year} Q{n}:{person}`. Not after Q4: by then the year is over and the
  spend deadline's reminders have already chased what was unspent.
- **The monthly forecast.** On the first working day of each month from July (Q2) to March, the
  partnership's admins get the forecast as at the end of the month before: the forecast
  underspend, the projects behind and the money likely to be returned, while it can still be
  re-allocated through the tactical pot. Key: `p{partnership}:forecast@{YYYY-MM}:{person}`.
  The admins are the partnership's members with the admin role (`crg role`), worked out from
  the database alone like everything the clock plans; the ADMIN_SLACK_IDS, admins of every
  partnership at once, would get a dozen of these a month and are left out.

After downtime each goes out late, as long as its day is at most LOOKBACK ago; after that it is
moot (the next one says more). Figures are those at the quarter's or month's end, with the
spend recorded by the time the message is worked out.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backend.domain import fiscal
from backend.domain.deadlines import ReminderConfig
from backend.domain.forecast.figures import ProjectForecast, YearForecast, year_forecasts
from backend.domain.forecast.rule import quarter_ends
from backend.domain.people import admins_of
from backend.domain.spend import leads_may_record_spend
from models import FinancialYear

LOOKBACK = timedelta(days=21)
ALERTED_QUARTERS = (1, 2, 3)
MONTHLY_FROM, MONTHLY_TO = 7, 3  # July (the first month of Q2) to March


@dataclass(frozen=True)
class BehindNotice:
    """To one lead: a project of theirs behind at a quarter's end (one part of their DM)."""

    partnership: str
    period: str  # "2024/25 Q2"
    as_at: date
    projects: tuple[ProjectForecast, ...]
    may_record_spend: bool


@dataclass(frozen=True)
class MonthlyNotice:
    """To one admin: the partnership's forecast as at a month's end."""

    partnership: str
    as_at: date
    year: YearForecast


@dataclass(frozen=True)
class Occasion:
    """One forecast message part to claim: the key, who, when, and what it says."""

    key: str
    partnership_id: int
    occasion: str
    recipient: str
    slot_at: datetime
    notice: BehindNotice | MonthlyNotice


def _last_month_end(today: date) -> date:
    return today.replace(day=1) - timedelta(days=1)


def _due_slot(cfg: ReminderConfig, as_at: date, now: datetime) -> datetime | None:
    """The first working day after `as_at` at the send time, if it has come and is not moot."""
    slot = cfg.slot(cfg.working_day_after(as_at))
    return slot if slot <= now and now - slot <= LOOKBACK else None


def occasions(now: datetime, today: date, configs: dict[int, ReminderConfig],
              recorded) -> list[Occasion]:
    """Every forecast message part due at `now` whose key `recorded(keys)` does not hold yet.

    `configs` are the partnerships inside their send window now; `today` is the local date.
    """
    as_at = _last_month_end(today)
    start = fiscal.year_of(as_at)
    monthly = today.month >= MONTHLY_FROM or today.month <= MONTHLY_TO
    quarter = next((q for q in ALERTED_QUARTERS if quarter_ends(start)[q - 1] == as_at), None)
    wanted: dict[int, datetime] = {}
    for pid, cfg in configs.items():
        slot = _due_slot(cfg, as_at, now)
        if slot is not None and (monthly or quarter):
            wanted[pid] = slot
    if not wanted:
        return []
    years = {y.partnership_id: y.id for y in FinancialYear.select(
        FinancialYear.id, FinancialYear.partnership).where(
        FinancialYear.partnership.in_(list(wanted)) & (FinancialYear.start_year == start))}
    if not years:
        return []
    admins = {pid: admins_of(pid) for pid in years} if monthly else {}
    month = f"{today.year}-{today.month:02d}"
    monthly_keys = {pid: [f"p{pid}:forecast@{month}:{person}" for person in people]
                    for pid, people in admins.items()}
    # Work the forecast out only for partnerships that may still owe something: a quarter-end
    # check (its recipients are not known before), or a monthly message not yet recorded.
    done = recorded({k for keys in monthly_keys.values() for k in keys})
    needed = [pid for pid in years
              if quarter or any(k not in done for k in monthly_keys.get(pid, ()))]
    found = []
    for forecast in year_forecasts([years[pid] for pid in needed], as_at):
        pid, slot = forecast.partnership_id, wanted[forecast.partnership_id]
        if monthly:
            notice = MonthlyNotice(forecast.partnership, as_at, forecast)
            found += [Occasion(key, pid, f"forecast@{month}", person, slot, notice)
                      for key, person in zip(monthly_keys[pid], admins[pid]) if key not in done]
        if quarter:
            found += _behind(forecast, quarter, as_at, slot)
    keys = recorded({o.key for o in found if o.occasion.startswith("behind")})
    return [o for o in found if o.key not in keys]


def _behind(forecast: YearForecast, quarter: int, as_at: date, slot: datetime) -> list[Occasion]:
    period = f"{forecast.label} Q{quarter}"
    by_lead: dict[str, list[ProjectForecast]] = {}
    for project in forecast.behind:
        for person in project.lead_ids:
            if person[:1] in ("U", "W"):
                by_lead.setdefault(person, []).append(project)
    spenders = leads_may_record_spend(forecast.partnership_id) if by_lead else False
    # One part per project and lead, each under its own key: the sweep puts a lead's parts into
    # one DM, with only the projects whose keys it claimed.
    return [Occasion(f"f{p.id}:behind@{period}:{person}", forecast.partnership_id,
                     f"behind@{period}", person, slot,
                     BehindNotice(forecast.partnership, period, as_at, (p,), spenders))
            for person, projects in by_lead.items() for p in projects]
