"""Working days: Monday to Friday, less bank holidays and the days a partnership says it is closed.

Reminders go out on working days only. The England and Wales bank holidays are computed (the
fixed rules, with substitute days and Easter), so nothing has to be downloaded or kept up to
date by hand; one-off holidays (a coronation, a jubilee) go into a partnership's closed days.
"""
from datetime import date, timedelta
from functools import lru_cache

CALENDARS = ("england-and-wales", "none")


def easter_sunday(year: int) -> date:
    """The Gregorian Easter Sunday (the anonymous Meeus/Jones/Butcher algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _first_monday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=day.weekday())


@lru_cache(maxsize=64)
def england_and_wales(year: int) -> frozenset[date]:
    """The usual bank holidays of a year (a holiday on a weekend moves to the next weekday)."""
    easter = easter_sunday(year)
    days = {easter - timedelta(days=2), easter + timedelta(days=1), _first_monday(year, 5),
            _last_monday(year, 5), _last_monday(year, 8)}
    new_year = date(year, 1, 1)
    days.add(new_year if new_year.weekday() < 5 else new_year + timedelta(days=7 - new_year.weekday()))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Mon 27 and Tue 28
        days |= {date(year, 12, 27), date(year, 12, 28)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Mon 26, Christmas substitute Tue 27
        days |= {boxing, date(year, 12, 27)}
    elif christmas.weekday() == 4:  # Friday: Boxing Day on Saturday moves to Monday 28
        days |= {christmas, date(year, 12, 28)}
    else:
        days |= {christmas, boxing}
    return frozenset(days)


def is_working_day(day: date, calendar: str = "england-and-wales",
                   closed: frozenset[date] = frozenset()) -> bool:
    if day.weekday() >= 5 or day in closed:
        return False
    return not (calendar == "england-and-wales" and day in england_and_wales(day.year))


def on_or_before(day: date, calendar: str = "england-and-wales",
                 closed: frozenset[date] = frozenset()) -> date:
    """The working day itself, or the last one before it."""
    while not is_working_day(day, calendar, closed):
        day -= timedelta(days=1)
    return day


def after(day: date, calendar: str = "england-and-wales",
          closed: frozenset[date] = frozenset()) -> date:
    """The first working day after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day, calendar, closed):
        day += timedelta(days=1)
    return day
