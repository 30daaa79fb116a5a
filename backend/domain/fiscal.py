"""Financial years (1 April - 31 March, written 2024/25) and their quarters."""
import re
from datetime import date

from backend.domain.errors import InvalidInput

_LABEL = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$", re.ASCII)


def parse_year(text) -> int:
    """The starting calendar year of a label: '2024/25', '2024-25' or '2024/2025' -> 2024."""
    cleaned = str(text or "").strip()
    match = _LABEL.match(cleaned)
    if match:
        start, end = int(match.group(1)), match.group(2)
        expected = (start + 1) % 100 if len(end) == 2 else start + 1
        if int(end) == expected:
            return _in_range(start, cleaned)
    raise InvalidInput(f"“{cleaned or 'nothing'}” is not a financial year: write it like 2024/25.",
                       field="year")


def _in_range(start: int, shown: str) -> int:
    if not 2000 <= start <= 2100:
        raise InvalidInput(f"{shown} is outside the years this tracker handles.", field="year")
    return start


def label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def first_day(start_year: int) -> date:
    return date(start_year, 4, 1)


def last_day(start_year: int) -> date:
    return date(start_year + 1, 3, 31)


def year_of(day: date) -> int:
    """The financial year a day falls in."""
    return day.year if day.month >= 4 else day.year - 1


def quarter_of(day: date) -> int:
    """Q1 is April-June ... Q4 is January-March."""
    return (day.month - 4) % 12 // 3 + 1
