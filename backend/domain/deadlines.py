"""Deadlines: the dates a partnership runs on, and when and how its reminders go out.

Admins add, move and cancel deadlines; opening a year creates the usual ones from the
partnership's template; scheduling a meeting creates its cut-off and meeting deadlines. Times
are typed and shown in the partnership's zone (Europe/London) and stored as naive UTC, so a
deadline keeps its wall-clock time across the clock changes.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backend.domain import audit, fiscal, texts, times, workdays
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, InvalidInput, NotFound
from backend.domain.outbox import notes
from backend.domain.permissions import require
from models import FinancialYear, Partnership
from models.deadlines import Deadline, DeadlineTemplate, ReminderSettings

KINDS = {
    "proposal_cutoff": "Proposal cut-off",
    "wg_meeting": "Working-group meeting",
    "business_cases_due": "Business cases due to the OPCC",
    "pcc_decision": "PCC decision expected",
    "progress_reports_due": "Progress reports due",
    "spend_deadline": "Spend deadline",
    "monitoring_return": "Monitoring return due to the OPCC",
    "other": "Other",
}
# Who a deadline concerns. Everyone hears of it in the working-group channel; "proposers" and
# "project_leads" also get a DM when they still owe something (see backend.domain.reminders).
CONCERNS = {
    "partnership": "the partnership",
    "proposers": "proposers whose business case is due",
    "project_leads": "leads of funded projects",
}
DEFAULT_CONCERNS = {"business_cases_due": "proposers", "progress_reports_due": "project_leads",
                    "spend_deadline": "project_leads", "monitoring_return": "project_leads"}
DEFAULT_TIME = "17:00"
MAX_TITLE = 200
MAX_OFFSET_DAYS = 60
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")

# The usual deadlines of a year: (kind, title, month, day, time, after_year_end).
DEFAULT_TEMPLATE = (
    ("proposal_cutoff", "Upfront proposals cut-off", 4, 14, "17:00", False),
    ("wg_meeting", "Working-group meeting: upfront proposals", 4, 28, "10:00", False),
    ("business_cases_due", "Business cases due to the OPCC", 5, 31, "17:00", False),
    ("pcc_decision", "PCC decision on the upfront business cases", 6, 30, "17:00", False),
    ("progress_reports_due", "Q1 progress reports due", 7, 15, "17:00", False),
    ("progress_reports_due", "Q2 progress reports due", 10, 15, "17:00", False),
    ("monitoring_return", "Mid-year monitoring return due to the OPCC", 10, 30, "17:00", False),
    ("progress_reports_due", "Q3 progress reports due", 1, 15, "17:00", False),
    ("spend_deadline", "Spend completed and claimed", 3, 31, "17:00", False),
    ("progress_reports_due", "Q4 progress reports due", 4, 15, "17:00", True),
    ("monitoring_return", "Monitoring return due to the OPCC", 4, 30, "17:00", True),
)

_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$", re.ASCII)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y")
_USER = re.compile(r"^<?@?([UW][A-Z0-9_]{2,})(?:\|[^>]*)?>?$")


@dataclass(frozen=True)
class DeadlineView:
    id: int
    partnership_id: int
    partnership: str
    year_id: int
    year_label: str
    kind: str
    title: str
    due_at: datetime  # naive UTC
    concerns: str
    people: tuple[str, ...]
    status: str
    source: str

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def due_local(self) -> datetime:
        return times.to_local(self.due_at)

    @property
    def due_shown(self) -> str:
        return times.to_local(self.due_at).strftime("%a %-d %b %Y %H:%M")

    @property
    def concerns_label(self) -> str:
        return CONCERNS.get(self.concerns, self.concerns)


@dataclass(frozen=True)
class ReminderConfig:
    """A partnership's reminder settings, checked and parsed."""

    offsets: tuple[int, ...] = (14, 7, 1, 0)  # descending
    send_time: tuple[int, int] = (9, 0)
    digest_weekday: int = 0  # -1: no weekly digest
    bank_holidays: str = "england-and-wales"
    closed_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        return workdays.is_working_day(day, self.bank_holidays, self.closed_days)

    def on_or_before(self, day: date) -> date:
        return workdays.on_or_before(day, self.bank_holidays, self.closed_days)

    def working_day_after(self, day: date) -> date:
        return workdays.after(day, self.bank_holidays, self.closed_days)

    def slot(self, day: date) -> datetime:
        """The send time on `day`, as naive UTC (09:00 is 09:00 in winter and in summer)."""
        return times.from_local(datetime(day.year, day.month, day.day, *self.send_time))

    @property
    def send_time_shown(self) -> str:
        return f"{self.send_time[0]:02d}:{self.send_time[1]:02d}"


@dataclass(frozen=True)
class TemplateItem:
    kind: str
    title: str
    month: int
    day: int
    time: str = DEFAULT_TIME
    after_year_end: bool = False

    def due_local(self, start_year: int) -> datetime:
        calendar_year = start_year if self.month >= 4 else start_year + 1
        if self.after_year_end:
            calendar_year = start_year + 1
        hour, minute = parse_time(self.time)
        return datetime(calendar_year, self.month, self.day, hour, minute)


# --------------------------------------------------------------------------- parsing


def parse_time(text: str, field: str = "time") -> tuple[int, int]:
    match = _TIME.match((text or "").strip())
    if not match:
        raise InvalidInput(f"“{text}” is not a time of day: write it like 09:00 or 17:30.",
                           field=field)
    return int(match.group(1)), int(match.group(2))


def parse_due(text: str) -> datetime:
    """A local wall-clock time from '2025-03-31 17:00', '31/03/2025 17:00' or a bare date (17:00)."""
    cleaned = " ".join(str(text or "").replace("T", " ").split())
    time_part = DEFAULT_TIME
    parts = cleaned.rsplit(" ", 1)
    if len(parts) == 2 and _TIME.match(parts[1]):
        cleaned, time_part = parts
    for form in _DATE_FORMATS:
        try:
            day = datetime.strptime(cleaned, form).date()
        except ValueError:
            continue
        hour, minute = parse_time(time_part, field="due")
        return datetime(day.year, day.month, day.day, hour, minute)
    raise InvalidInput(f"“{text or 'nothing'}” is not a date: write it like 2025-03-31 17:00 or "
                       "31/03/2025 17:00.", field="due")


def parse_kind(text: str) -> str:
    key = "_".join(str(text or "").strip().lower().replace("-", " ").split())
    if key in KINDS:
        return key
    for kind, label in KINDS.items():
        if key and (label.lower().startswith(key.replace("_", " ")) or kind.startswith(key)):
            return kind
    raise InvalidInput(f"“{text}” is not a kind of deadline; choose one of "
                       f"{', '.join(KINDS)}.", field="kind")


def parse_people(values) -> tuple[str, ...]:
    found = []
    for value in values or ():
        for part in re.split(r"[\s,]+", str(value).strip()):
            if not part:
                continue
            match = _USER.match(part)
            if not match:
                raise InvalidInput(f"“{part}” is not a Slack user id (they look like U01ABCDE).",
                                   field="people")
            found.append(match.group(1))
    return tuple(dict.fromkeys(found))


def parse_offsets(text) -> tuple[int, ...]:
    parts = [p for p in re.split(r"[\s,]+", str(text or "").strip()) if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise InvalidInput("Give the reminder days as whole numbers of days before, like 14,7,1,0.",
                           field="offsets")
    offsets = sorted({int(p) for p in parts}, reverse=True)
    if offsets[0] > MAX_OFFSET_DAYS:
        raise InvalidInput(f"Reminders can start at most {MAX_OFFSET_DAYS} days before.",
                           field="offsets")
    return tuple(offsets)


# --------------------------------------------------------------------------- reading


def view(d: Deadline) -> DeadlineView:
    year = d.year
    return DeadlineView(d.id, d.partnership_id, d.partnership.name, year.id, year.label, d.kind,
                        d.title, d.due_at, d.concerns, tuple(p for p in d.people.split(",") if p),
                        d.status, d.source)


def load(deadline_id) -> Deadline:
    text = str(deadline_id).strip().lstrip("#")[:20]
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
    found = Deadline.get_or_none(Deadline.id == number) if number is not None else None
    if found is None:
        raise NotFound(f"There is no deadline #{text}; `crg deadline list PARTNERSHIP` shows them.")
    return found


def get(deadline_id) -> DeadlineView:
    return view(load(deadline_id))


def upcoming(partnership_id: int, *, days: int | None = None, include_past_days: int = 0,
             year_id: int | None = None) -> list[DeadlineView]:
    """Active deadlines from `include_past_days` ago onwards (the next `days` only, if given)."""
    now = times.now()
    query = (Deadline.select(Deadline, FinancialYear, Partnership).join(FinancialYear)
             .switch(Deadline).join(Partnership)
             .where((Deadline.partnership == partnership_id) & (Deadline.status == "active")
                    & (Deadline.due_at >= now - timedelta(days=include_past_days)))
             .order_by(Deadline.due_at, Deadline.id))
    if days is not None:
        query = query.where(Deadline.due_at <= now + timedelta(days=days))
    if year_id is not None:
        query = query.where(Deadline.year == year_id)
    return [view(d) for d in query]


def config(partnership_id: int) -> ReminderConfig:
    row = ReminderSettings.get_or_none(ReminderSettings.partnership == partnership_id)
    return config_of(row) if row else ReminderConfig()


def config_of(row: ReminderSettings) -> ReminderConfig:
    closed = frozenset(date.fromisoformat(d) for d in row.closed_days.split(",") if d)
    return ReminderConfig(tuple(int(o) for o in row.offsets.split(",") if o != ""),
                          parse_time(row.send_time), row.digest_weekday, row.bank_holidays, closed)


def all_configs() -> dict[int, ReminderConfig]:
    """Every partnership's settings in one query (the defaults where none are stored)."""
    stored = {row.partnership_id: config_of(row) for row in ReminderSettings.select()}
    return {pid: stored.get(pid, ReminderConfig())
            for (pid,) in Partnership.select(Partnership.id).tuples()}


def template(partnership_id: int) -> list[TemplateItem]:
    own = (ReminderSettings.select(ReminderSettings.own_template)
           .where(ReminderSettings.partnership == partnership_id).scalar())
    if not own:
        return [TemplateItem(*item) for item in DEFAULT_TEMPLATE]
    rows = (DeadlineTemplate.select().where(DeadlineTemplate.partnership == partnership_id)
            .order_by(DeadlineTemplate.position))
    return [TemplateItem(r.kind, r.title, r.month, r.day, r.time, r.after_year_end) for r in rows]


# --------------------------------------------------------------------------- changing


def _partnership(name_or_id) -> Partnership:
    from backend.domain.partnerships import find_partnership

    return find_partnership(name_or_id)


def _checked_title(title: str) -> str:
    cleaned = texts.kept(title, "title", MAX_TITLE, "title")
    if not cleaned:
        raise InvalidInput("Give the deadline a title, e.g. “Q2 progress reports due”.",
                           field="title")
    return cleaned


def _year_for(partnership: Partnership, due_local: datetime, year_label: str | None) -> FinancialYear:
    start = fiscal.parse_year(year_label) if year_label else fiscal.year_of(due_local.date())
    year = FinancialYear.get_or_none((FinancialYear.partnership == partnership)
                                     & (FinancialYear.start_year == start))
    if year is None:
        raise NotFound(f"{partnership.name} has no {fiscal.label(start)} year yet; an admin can "
                       "open it first with `/crg year open` in Slack (or `crg year open`).",
                       field="year")
    _check_in_year(year, due_local)
    return year


def _check_in_year(year: FinancialYear, due_local: datetime) -> None:
    first = fiscal.first_day(year.start_year) - timedelta(days=92)
    last = fiscal.last_day(year.start_year) + timedelta(days=183)
    if not first <= due_local.date() <= last:
        raise InvalidInput(f"{times.show_date(due_local.date())} is too far from {year.label} "
                           "for one of its deadlines.", field="due")


def _check_future(due_utc: datetime) -> None:
    if due_utc <= times.now():
        raise InvalidInput(f"{times.show(due_utc)} is in the past; give a date still to come.",
                           field="due")


def _snapshot(d: Deadline) -> dict:
    return {"kind": d.kind, "title": d.title, "due": times.show(d.due_at), "status": d.status,
            "concerns": d.concerns, "people": d.people}


def may_add(actor: Actor, partnership_id: int) -> None:
    """Whether this person may add deadlines to the partnership: asked before the form opens
    and again when it is saved."""
    require(actor, partnership_id, doing="add deadlines")


def may_move(actor: Actor, deadline_id) -> DeadlineView:
    """The deadline, if this person may move it (before the form opens, and on save)."""
    deadline = load(deadline_id)
    require(actor, deadline.partnership_id, doing="move deadlines")
    return view(deadline)


def may_cancel(actor: Actor, deadline_id) -> DeadlineView:
    deadline = load(deadline_id)
    require(actor, deadline.partnership_id, doing="cancel deadlines")
    return view(deadline)


def add(actor: Actor, partnership_name_or_id, kind: str, title: str, due_local: datetime, *,
        year_label: str | None = None, concerns: str | None = None, people=(),
        source: str = "manual", source_key: str | None = None) -> DeadlineView:
    """A new deadline; `due_local` is the wall-clock time in the partnership's zone."""
    kind = parse_kind(kind)
    title = _checked_title(title)
    concerns = concerns or DEFAULT_CONCERNS.get(kind, "partnership")
    if concerns not in CONCERNS:
        raise InvalidInput(f"“{concerns}” is not who a deadline can concern; choose one of "
                           f"{', '.join(CONCERNS)}.", field="concerns")
    people = parse_people(people)
    due_utc = times.from_local(due_local)
    _check_future(due_utc)
    with write_transaction():
        partnership = _partnership(partnership_name_or_id)
        may_add(actor, partnership.id)
        year = _year_for(partnership, due_local, year_label)
        deadline = _create(actor, year, kind, title, due_utc, concerns, people, source, source_key)
        notes.tell_actor(actor, "deadline_added", {"deadline": deadline.id},
                         partnership_id=partnership.id)
    return view(deadline)


def _create(actor, year, kind, title, due_utc, concerns, people, source, source_key) -> Deadline:
    now = times.now()
    deadline = Deadline.create(partnership=year.partnership_id, year=year, kind=kind, title=title,
                               due_at=due_utc, concerns=concerns, people=",".join(people),
                               status="active", source=source, source_key=source_key,
                               set_at=now, created_by=actor.audit_name, created_at=now,
                               updated_at=now)
    audit.record(actor, "deadline.add", "deadline", deadline.id,
                 partnership_id=year.partnership_id, after=_snapshot(deadline))
    return deadline


def move(actor: Actor, deadline_id, due_local: datetime) -> DeadlineView:
    """A new date and time; reminders start again for the new date (those already sent stay sent)."""
    due_utc = times.from_local(due_local)
    _check_future(due_utc)
    with write_transaction():
        may_move(actor, deadline_id)
        deadline = load(deadline_id)
        if deadline.status == "cancelled":
            raise Conflict(f"Deadline #{deadline.id} “{deadline.title}” was cancelled; add a new "
                           "one instead.")
        _check_in_year(deadline.year, due_local)
        _move(actor, deadline, due_utc)
        notes.tell_actor(actor, "deadline_moved", {"deadline": deadline.id},
                         partnership_id=deadline.partnership_id)
    return view(deadline)


def _move(actor: Actor, deadline: Deadline, due_utc: datetime) -> None:
    before = _snapshot(deadline)
    deadline.due_at = due_utc
    deadline.status = "active"
    deadline.set_at = deadline.updated_at = times.now()
    deadline.save()
    audit.record(actor, "deadline.move", "deadline", deadline.id,
                 partnership_id=deadline.partnership_id, before=before, after=_snapshot(deadline))


def cancel(actor: Actor, deadline_id) -> DeadlineView:
    with write_transaction():
        may_cancel(actor, deadline_id)
        deadline = load(deadline_id)
        if deadline.status == "cancelled":
            raise Conflict(f"Deadline #{deadline.id} “{deadline.title}” is already cancelled.")
        _cancel(actor, deadline)
    return view(deadline)


def _cancel(actor: Actor, deadline: Deadline) -> None:
    before = _snapshot(deadline)
    deadline.status = "cancelled"
    deadline.updated_at = times.now()
    deadline.save()
    audit.record(actor, "deadline.cancel", "deadline", deadline.id,
                 partnership_id=deadline.partnership_id, before=before, after=_snapshot(deadline))


def create_from_template(actor: Actor, year: FinancialYear) -> list[DeadlineView]:
    """The partnership's usual deadlines for a newly opened year (those still to come), each on
    a working day (`on_a_working_day`).

    Runs inside `open_year`'s transaction; each is made once (its source key names the year
    and the template line), so running it again adds nothing.
    """
    made = []
    now = times.now()
    working = config(year.partnership_id)
    with write_transaction():
        for position, item in enumerate(template(year.partnership_id)):
            due_utc = times.from_local(on_a_working_day(item.due_local(year.start_year), working))
            key = f"template:{year.id}:{position}"
            if due_utc <= now or Deadline.get_or_none(Deadline.source_key == key):
                continue
            made.append(_create(actor, year, item.kind, item.title, due_utc,
                                DEFAULT_CONCERNS.get(item.kind, "partnership"), (), "template", key))
    return [view(d) for d in made]


def on_a_working_day(due: datetime, working: ReminderConfig) -> datetime:
    """A usual deadline that falls on a weekend, a bank holiday or a day the partnership is
    closed moves to the working day before, at the same time (business cases due on the spring
    bank holiday are due the Friday before)."""
    day = working.on_or_before(due.date())
    return datetime.combine(day, due.time())


def set_template(actor: Actor, partnership_name_or_id, items: list[TemplateItem]) -> list[TemplateItem]:
    """Replace a partnership's template (used from the next year it opens)."""
    checked = []
    for item in items:
        kind = parse_kind(item.kind)
        parse_time(item.time)
        try:
            TemplateItem(kind, item.title, item.month, item.day).due_local(2024)
        except ValueError:
            raise InvalidInput(f"{item.day}/{item.month} is not a day of the year.", field="date")
        checked.append(TemplateItem(kind, _checked_title(item.title), item.month, item.day,
                                    item.time, item.after_year_end))
    with write_transaction():
        partnership = _partnership(partnership_name_or_id)
        require(actor, partnership.id, doing="change the deadline template")
        before = [t.__dict__ for t in template(partnership.id)]
        DeadlineTemplate.delete().where(DeadlineTemplate.partnership == partnership).execute()
        settings_row = (ReminderSettings.get_or_none(ReminderSettings.partnership == partnership)
                        or ReminderSettings(partnership=partnership))
        settings_row.own_template = True  # even an empty list: then a new year starts with none
        settings_row.updated_by, settings_row.updated_at = actor.audit_name, times.now()
        settings_row.save()
        for position, item in enumerate(checked):
            DeadlineTemplate.create(partnership=partnership, position=position, kind=item.kind,
                                    title=item.title, month=item.month, day=item.day,
                                    time=item.time, after_year_end=item.after_year_end)
        audit.record(actor, "deadline.template", "partnership", partnership.id,
                     partnership_id=partnership.id, before={"template": before},
                     after={"template": [t.__dict__ for t in checked]})
    return checked


def update_settings(actor: Actor, partnership_name_or_id, *, offsets=None, send_time=None,
                    digest_weekday=None, bank_holidays=None, closed_days=None) -> ReminderConfig:
    """Change when reminders go out; anything not given stays as it is."""
    values = {}
    if offsets is not None:
        values["offsets"] = ",".join(str(o) for o in parse_offsets(offsets))
    if send_time is not None:
        hour, minute = parse_time(send_time, field="send_time")
        values["send_time"] = f"{hour:02d}:{minute:02d}"
    if digest_weekday is not None:
        values["digest_weekday"] = _weekday(digest_weekday)
    if bank_holidays is not None:
        if bank_holidays not in workdays.CALENDARS:
            raise InvalidInput(f"Bank holidays can be {' or '.join(workdays.CALENDARS)}.",
                               field="bank_holidays")
        values["bank_holidays"] = bank_holidays
    if closed_days is not None:
        values["closed_days"] = ",".join(sorted({_iso_day(d) for d in closed_days}))
    with write_transaction():
        partnership = _partnership(partnership_name_or_id)
        require(actor, partnership.id, doing="change the reminder settings")
        row = ReminderSettings.get_or_none(ReminderSettings.partnership == partnership)
        if row is None:
            row = ReminderSettings(partnership=partnership)
        before = {k: getattr(row, k) for k in values}
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_by, row.updated_at = actor.audit_name, times.now()
        row.save()
        audit.record(actor, "reminders.settings", "partnership", partnership.id,
                     partnership_id=partnership.id, before=before, after=values)
    return config_of(row)


def _weekday(value) -> int:
    text = str(value).strip().lower()
    if text in ("none", "off", "-1"):
        return -1
    for number, name in enumerate(WEEKDAYS):
        if len(text) >= 3 and name.startswith(text):
            return number
    raise InvalidInput("The digest goes out on a weekday (monday … friday) or not at all (none).",
                       field="digest_weekday")


def _iso_day(value) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return parse_due(str(value)).date().isoformat()


# --------------------------------------------------------------------------- meetings


def for_meeting(actor: Actor, year_id: int, meeting_key: str, meeting_at_local: datetime,
                cutoff_at_local: datetime | None = None,
                title: str = "Working-group meeting") -> list[DeadlineView]:
    """The cut-off and meeting deadlines of a scheduled meeting, made or moved to match.

    For the approvals work: call it whenever a meeting is scheduled or rescheduled, with a key
    that names the meeting; the same key always updates the same two deadlines.
    """
    wanted = [("wg_meeting", f"meeting:{meeting_key}:meeting", _checked_title(title),
               meeting_at_local)]
    if cutoff_at_local is not None:
        wanted.insert(0, ("proposal_cutoff", f"meeting:{meeting_key}:cutoff",
                          _checked_title(f"Proposal cut-off for: {title}"), cutoff_at_local))
    out = []
    with write_transaction():
        year = FinancialYear.get_by_id(year_id)
        require(actor, year.partnership_id, "chair", doing="schedule meetings")
        for kind, key, label, local in wanted:
            due_utc = times.from_local(local)
            existing = Deadline.get_or_none(Deadline.source_key == key)
            if existing is None:
                _check_future(due_utc)
                existing = _create(actor, year, kind, label, due_utc, "partnership", (), "meeting",
                                   key)
            elif existing.due_at != due_utc or existing.status != "active":
                _check_future(due_utc)
                _move(actor, existing, due_utc)
            out.append(view(existing))
    return out


def cancel_meeting(actor: Actor, meeting_key: str) -> int:
    """Cancel a meeting's deadlines; returns how many were still active."""
    with write_transaction():
        rows = list(Deadline.select().where(Deadline.source_key.in_(
            [f"meeting:{meeting_key}:meeting", f"meeting:{meeting_key}:cutoff"])
            & (Deadline.status == "active")))
        for row in rows:
            require(actor, row.partnership_id, "chair", doing="cancel meetings")
            _cancel(actor, row)
    return len(rows)
