"""Time: stored as naive UTC everywhere, shown in the partnership's zone (Europe/London).

`now()` is the one source of the current time so tests can freeze it.
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

_zone = ZoneInfo("Europe/London")


def set_zone(name: str) -> None:
    """Set from the TIMEZONE setting at start-up; every displayed time uses it."""
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


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
