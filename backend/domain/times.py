"""Time: stored as naive UTC everywhere, shown in the partnership's zone (Europe/London).

`now()` is the one source of the current time so tests can freeze it, and so `crg demo` can
write a past year's history with the dates it would have had (`as_of`).
"""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from backend.domain.errors import InvalidInput

_zone = ZoneInfo("Europe/London")


def set_zone(name: str) -> None:
    """Set from the TIMEZONE setting at start-up; every displayed time uses it."""
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone


_as_of: ContextVar[datetime | None] = ContextVar("crg_as_of", default=None)


def _wall_clock() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def now() -> datetime:
    return _as_of.get() or _wall_clock()


def real_now() -> datetime:
    """The wall clock, even inside `as_of`."""
    return _wall_clock()


@contextmanager
def as_of(moment: datetime):
    """Run the block as if it were `moment` (naive UTC), never later than the wall clock: for
    `crg demo`, which makes a made-up history through the real services, dated as it would have
    happened. The app itself never uses it."""
    token = _as_of.set(min(moment, _wall_clock()))
    try:
        yield
    finally:
        _as_of.reset(token)


def today_local() -> date:
    return to_local(now()).date()


def to_local(utc_naive: datetime) -> datetime:
    return utc_naive.replace(tzinfo=timezone.utc).astimezone(_zone)


def from_local(local_naive: datetime) -> datetime:
    """A wall-clock time in the partnership's zone, as the naive UTC value we store."""
    return local_naive.replace(tzinfo=_zone).astimezone(timezone.utc).replace(tzinfo=None)


def show(utc_naive: datetime | None) -> str:
    if utc_naive is None:
        return ""
    return to_local(utc_naive).strftime("%-d %b %Y %H:%M")


def show_weekday(utc_naive: datetime) -> str:
    """Mon 31 Mar 2025 17:00: a moment people must not mistake for another day."""
    return to_local(utc_naive).strftime("%a %-d %b %Y %H:%M")


def show_date(d: date | None) -> str:
    return d.strftime("%-d %b %Y") if d else ""


def parse_day(text: str | None, field: str = "date") -> date | None:
    """A date typed as 2024-09-30 or 30/09/2024; None when not given."""
    if text is None:
        return None
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    raise InvalidInput(f"“{text}” is not a date: write it like 2024-09-30 or 30/09/2024.",
                       field=field)

