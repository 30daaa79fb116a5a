"""Which reminders are due at a given moment, worked out from the database alone (no Slack).

Nothing about reminders is kept in memory between sweeps: each sweep asks "at `now`, which
(deadline, occasion, recipient) reminders should have gone out and are not yet recorded?". So a
clock that was down, restarted mid-sweep or runs twice finds exactly what is still owed.

The rules:
- A deadline is announced in the partnership's working-group channel at its offsets (default
  14, 7 and 1 days before, and on the day), at its send time (default 09:00 local) on working
  days. An offset that falls on a weekend or holiday moves to the working day before.
- The people who owe something get a DM at the same moments: proposers of projects supported
  but whose business case is not yet with the OPCC; leads of funded projects with no progress
  report for the period, or with grant still unspent before the spend deadline; and anyone an
  admin named on the deadline.
- Once a deadline has passed, those who still owe get one nudge on the next working day; after
  that they are listed in the partnership's weekly digest, which also shows the pots.
- After downtime only the latest missed occasion of each deadline is sent (an older one is
  moot), marked late; the sweep then puts everything for one recipient into one message.
- Reminders go out only inside the sending window (working day, from the send time to 20:00
  local), so a clock that restarts at night catches up at the next morning's send time.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from peewee import fn

from backend.domain import fiscal, times
from backend.domain.deadlines import DeadlineView, ReminderConfig, all_configs, view
from backend.domain.forecast import alerts as forecast_alerts
from backend.domain.pots import EFFECTS, YearFigures, year_figures
from backend.domain.workflow import reference
from models import Channel, FinancialYear, LedgerEntry, Partnership, ProjectCondition, Proposal
from models.deadlines import Deadline, Reminder

LATE_AFTER = timedelta(minutes=30)  # a reminder sent this long after its slot is marked late
QUIET_FROM = (20, 0)  # no reminders from 20:00 local until the next send time
LOOKBACK = timedelta(days=21)  # how long after a deadline its overdue nudge can still go out
DIGEST_UPCOMING_DAYS = 14
DIGEST_OVERDUE_DAYS = 183
NO_CHANNEL = "-"  # the recipient of channel reminders of a partnership without a channel


@dataclass(frozen=True)
class Owed:
    """One thing a person owes for a deadline: a project's business case, report or spend."""

    proposal_id: int
    ref: str
    title: str
    what: str  # business_case, progress_report, spend, project or condition (`title`: its)


@dataclass(frozen=True)
class DigestContent:
    partnership: str
    year_label: str | None
    overdue: tuple[tuple[DeadlineView, tuple[tuple[Owed, tuple[str, ...]], ...]], ...]
    upcoming: tuple[DeadlineView, ...]
    figures: YearFigures | None


@dataclass(frozen=True)
class Due:
    """One reminder to send now: the (deadline, occasion, recipient) key and what it says."""

    key: str
    partnership_id: int
    partnership: str
    deadline_id: int | None
    occasion: str
    recipient: str  # a channel id, a user id, or NO_CHANNEL
    slot_at: datetime
    late: bool
    deadline: DeadlineView | None = None
    owed: tuple[Owed, ...] = ()
    digest: DigestContent | None = None
    forecast: object | None = None  # a `forecast.alerts` notice (behind, or the monthly forecast)

    @property
    def is_dm(self) -> bool:
        return self.recipient[:1] in ("U", "W")

    @property
    def overdue(self) -> bool:
        return self.occasion.startswith("overdue")


def reminder_key(deadline_id: int, occasion: str, recipient: str) -> str:
    return f"d{deadline_id}:{occasion}:{recipient}"


def digest_key(partnership_id: int, occasion: str, recipient: str) -> str:
    return f"p{partnership_id}:{occasion}:{recipient}"


# --------------------------------------------------------------------------- the calendar


def in_send_window(cfg: ReminderConfig, now: datetime) -> bool:
    local = times.to_local(now)
    return (cfg.is_working_day(local.date())
            and cfg.send_time <= (local.hour, local.minute) < QUIET_FROM)


def before_occasion(cfg: ReminderConfig, due_at: datetime, set_at: datetime,
                    now: datetime) -> tuple[str, datetime] | None:
    """The latest "N days before" occasion whose time has come, while the deadline is ahead."""
    if now >= due_at:
        return None
    due_day = times.to_local(due_at).date()
    latest = None
    for days in cfg.offsets:  # descending, so slots ascend
        slot = cfg.slot(cfg.on_or_before(due_day - timedelta(days=days)))
        if set_at <= slot <= now and slot < due_at:
            latest = (f"before:{days}@{due_day.isoformat()}", slot)
    return latest


def overdue_occasion(cfg: ReminderConfig, due_at: datetime, set_at: datetime,
                     now: datetime) -> tuple[str, datetime] | None:
    """The one nudge after a deadline: the first working day after it, at the send time."""
    if now < due_at:
        return None
    due_day = times.to_local(due_at).date()
    slot = cfg.slot(cfg.working_day_after(due_day))
    if set_at <= slot <= now:
        return f"overdue@{due_day.isoformat()}", slot
    return None


def digest_occasion(cfg: ReminderConfig, now: datetime) -> tuple[str, datetime] | None:
    """This week's digest, once its day and time have come."""
    if cfg.digest_weekday < 0:
        return None
    today = times.to_local(now).date()
    monday = today - timedelta(days=today.weekday())
    day = monday + timedelta(days=cfg.digest_weekday)
    if not cfg.is_working_day(day):
        day = cfg.working_day_after(day)
    slot = cfg.slot(day)
    if slot > now:
        return None
    iso_year, week, _ = monday.isocalendar()
    return f"digest@{iso_year}-W{week:02d}", slot


# --------------------------------------------------------------------------- who owes what


def _people(p: Proposal) -> tuple[str, ...]:
    ids = [p.proposer_slack_id, p.contact_slack_id]
    return tuple(dict.fromkeys(i for i in ids if i and i[:1] in ("U", "W")))


def funded_projects(year_id: int) -> list[Proposal]:
    return list(Proposal.select().where((Proposal.year == year_id) & (Proposal.status == "approved"))
                .order_by(Proposal.number))


def projects_missing_progress(year_id: int, period: tuple[date, date]) -> list[Proposal]:
    """Funded projects of a year with no progress report dated inside `period` (inclusive)."""
    from backend.domain.progress import reported_between

    funded = [p for p in funded_projects(year_id)
              if p.planned_start is None or p.planned_start <= period[1]]
    if not funded:
        return []
    reported = reported_between([p.id for p in funded], *period)
    return [p for p in funded if p.id not in reported]


def projects_with_unspent_grant(year_id: int) -> list[Proposal]:
    funded = funded_projects(year_id)
    if not funded:
        return []
    spent = {pid: 0 for pid in (p.id for p in funded)}
    rows = (LedgerEntry.select(LedgerEntry.proposal, LedgerEntry.kind, fn.SUM(LedgerEntry.amount_pence))
            .where(LedgerEntry.proposal.in_(list(spent))
                   & LedgerEntry.kind.in_(("spend", "spend_reversal")))
            .group_by(LedgerEntry.proposal, LedgerEntry.kind).tuples())
    for pid, kind, total in rows:
        spent[pid] += EFFECTS[kind][2] * int(total)
    return [p for p in funded if spent[p.id] < (p.approved_pence or p.amount_pence)]


def conditions_to_meet(year_id: int) -> list[tuple[Proposal, str]]:
    """(project, condition title) of the year's funded projects' conditions the lead has still
    to meet (those marked met wait for an admin, not the lead)."""
    funded = {p.id: p for p in funded_projects(year_id)}
    found = (ProjectCondition.select(ProjectCondition.proposal, ProjectCondition.title)
             .where(ProjectCondition.proposal.in_(list(funded))
                    & (ProjectCondition.state == "outstanding"))
             .order_by(ProjectCondition.proposal, ProjectCondition.id).tuples())
    return [(funded[pid], title) for pid, title in found]


def _progress_period(d: Deadline, today: date) -> tuple[date, date]:
    """From the day after the year's previous deadline of the same kind (progress reports, or
    a monitoring return) or the year's start, to today."""
    previous = (Deadline.select(fn.MAX(Deadline.due_at))
                .where((Deadline.year == d.year_id) & (Deadline.kind == d.kind)
                       & (Deadline.status == "active") & (Deadline.due_at < d.due_at)).scalar())
    start = (times.to_local(previous).date() + timedelta(days=1) if previous
             else fiscal.first_day(d.year.start_year))
    return start, max(today, start)


class _Owers:
    """Who owes what for each deadline, computed once per sweep and deadline."""

    def __init__(self, now: datetime):
        self.today = times.to_local(now).date()
        self._cache: dict[int, dict[str, tuple[Owed, ...]]] = {}

    def __call__(self, d: Deadline) -> dict[str, tuple[Owed, ...]]:
        if d.id not in self._cache:
            self._cache[d.id] = self._compute(d)
        return self._cache[d.id]

    def _compute(self, d: Deadline) -> dict[str, tuple[Owed, ...]]:
        if d.concerns == "proposers":
            projects = list(Proposal.select().where((Proposal.year == d.year_id)
                                                    & (Proposal.status == "supported"))
                            .order_by(Proposal.number))
            what = "business_case"
        elif d.concerns == "project_leads" and d.kind in ("progress_reports_due",
                                                          "monitoring_return"):
            # a return's figures are the period's progress reports: those missing are chased
            projects = projects_missing_progress(d.year_id, _progress_period(d, self.today))
            what = "progress_report"
        elif d.concerns == "project_leads" and d.kind == "spend_deadline":
            projects, what = projects_with_unspent_grant(d.year_id), "spend"
        elif d.concerns == "project_leads":
            projects, what = funded_projects(d.year_id), "project"
        else:
            return {}
        owed: dict[str, list[Owed]] = {}
        for p in projects:
            item = Owed(p.id, reference(d.year.label, p.number), p.title, what)
            for person in _people(p):
                owed.setdefault(person, []).append(item)
        if d.concerns == "project_leads":  # and the grant's conditions still to meet
            for p, title in conditions_to_meet(d.year_id):
                item = Owed(p.id, reference(d.year.label, p.number), title, "condition")
                for person in _people(p):
                    owed.setdefault(person, []).append(item)
        return {person: tuple(items) for person, items in owed.items()}


# --------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    now: datetime
    dues: list[Due] = field(default_factory=list)


def working_group_channels() -> dict[int, str]:
    rows = Channel.select(Channel.partnership, Channel.slack_channel_id).where(
        Channel.is_working_group == True).tuples()  # noqa: E712
    return dict(rows)


def plan(now: datetime) -> list[Due]:
    """Every reminder due at `now` and not yet recorded, oldest slot first."""
    configs = {pid: cfg for pid, cfg in all_configs().items() if in_send_window(cfg, now)}
    if not configs:
        return []
    channels = working_group_channels()
    owers = _Owers(now)
    candidates: list[Due] = []
    horizon = max(max(cfg.offsets, default=0) for cfg in configs.values()) + 7
    rows = (Deadline.select(Deadline, FinancialYear, Partnership)
            .join(FinancialYear).switch(Deadline).join(Partnership)
            .where((Deadline.status == "active") & (Deadline.due_at >= now - LOOKBACK)
                   & (Deadline.due_at <= now + timedelta(days=horizon))
                   & Deadline.partnership.in_(list(configs)))
            .order_by(Deadline.due_at, Deadline.id))
    for d in rows:
        candidates.extend(_deadline_dues(d, configs[d.partnership_id], channels, owers, now))
    digests = {}
    for pid, cfg in configs.items():
        occasion = digest_occasion(cfg, now)
        if occasion:
            recipient = channels.get(pid, NO_CHANNEL)
            key = digest_key(pid, occasion[0], recipient)
            digests[key] = (pid, occasion, recipient)
    recorded = _recorded({c.key for c in candidates} | set(digests))
    dues = [c for c in candidates if c.key not in recorded]
    names = dict(Partnership.select(Partnership.id, Partnership.name).where(
        Partnership.id.in_([pid for pid, _, _ in digests.values()])).tuples()) if digests else {}
    for key, (pid, (occasion, slot), recipient) in digests.items():
        if key not in recorded:
            content = digest_content(pid, now, owers)
            if content is not None:
                dues.append(Due(key, pid, names[pid], None, occasion, recipient, slot,
                                slot < now - LATE_AFTER, digest=content))
    dues.extend(_forecast_dues(now, configs))
    dues.sort(key=lambda due: (due.slot_at, due.key))
    return dues


def _forecast_dues(now: datetime, configs: dict[int, ReminderConfig]) -> list[Due]:
    """The forecast's messages due now (`backend.domain.forecast.alerts`), as reminders."""
    found = forecast_alerts.occasions(now, times.to_local(now).date(), configs, _recorded)
    names = dict(Partnership.select(Partnership.id, Partnership.name).where(
        Partnership.id.in_({o.partnership_id for o in found})).tuples()) if found else {}
    return [Due(o.key, o.partnership_id, names[o.partnership_id], None, o.occasion, o.recipient,
                o.slot_at, o.slot_at < now - LATE_AFTER, forecast=o.notice) for o in found]


def _deadline_dues(d: Deadline, cfg: ReminderConfig, channels: dict[int, str], owers: _Owers,
                   now: datetime) -> list[Due]:
    found = []
    before = before_occasion(cfg, d.due_at, d.set_at, now)
    overdue = None if before else overdue_occasion(cfg, d.due_at, d.set_at, now)
    if before is None and overdue is None:
        return found
    occasion, slot = before or overdue
    late = slot < now - LATE_AFTER
    shown = view(d)

    def due(recipient, owed=()):
        return Due(reminder_key(d.id, occasion, recipient), d.partnership_id, d.partnership.name,
                   d.id, occasion, recipient, slot, late, shown, tuple(owed))

    owing = owers(d)
    if before:
        found.append(due(channels.get(d.partnership_id, NO_CHANNEL)))
        for person in (p for p in d.people.split(",") if p):
            if person not in owing:
                found.append(due(person))
    found.extend(due(person, owed) for person, owed in owing.items())
    return found


def _recorded(keys: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        query = Reminder.select(Reminder.key).where(Reminder.key.in_(chunk))
        found.update(k for (k,) in query.tuples())
    return found


def current_year(partnership_id: int, now: datetime) -> FinancialYear | None:
    years = FinancialYear.select().where(FinancialYear.partnership == partnership_id)
    start = fiscal.year_of(times.to_local(now).date())
    return (years.where(FinancialYear.start_year == start).first()
            or years.where(FinancialYear.start_year < start)
            .order_by(FinancialYear.start_year.desc()).first())


def digest_content(partnership_id: int, now: datetime,
                   owers: _Owers | None = None) -> DigestContent | None:
    """The weekly digest: obligations still overdue, what is coming, and the pots.

    None when the partnership has no year open yet (nothing to say).
    """
    owers = owers or _Owers(now)
    year = current_year(partnership_id, now)
    if year is None:
        return None
    base = (Deadline.select(Deadline, FinancialYear, Partnership)
            .join(FinancialYear).switch(Deadline).join(Partnership)
            .where((Deadline.partnership == partnership_id) & (Deadline.status == "active"))
            .order_by(Deadline.due_at, Deadline.id))
    overdue = []
    for d in base.where((Deadline.due_at < now)
                        & (Deadline.due_at >= now - timedelta(days=DIGEST_OVERDUE_DAYS))
                        & (Deadline.concerns != "partnership")):
        by_project: dict[Owed, list[str]] = {}
        for person, items in owers(d).items():
            for item in items:
                by_project.setdefault(item, []).append(person)
        if by_project:
            overdue.append((view(d), tuple((item, tuple(people))
                                           for item, people in by_project.items())))
    upcoming = tuple(view(d) for d in base.where(
        (Deadline.due_at >= now) & (Deadline.due_at <= now + timedelta(days=DIGEST_UPCOMING_DAYS))))
    return DigestContent(year.partnership.name, year.label, tuple(overdue), upcoming,
                         year_figures(year))
