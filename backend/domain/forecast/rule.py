"""The forecasting rule itself: plain arithmetic on whole pence, with no database.

THE RULE, in the one sentence shown on the dashboard and in `/crg forecast`:

    A project is forecast to spend what it has spent so far plus the rest of its profile at the
    pace it has kept so far (spent to date ÷ planned to date), never more than it was approved.

Worked through (`forecast_year_end`):
- pace = spent to date ÷ planned to date; a project not yet due to have spent anything keeps
  pace 1 (nothing shows it is slow);
- rest of the profile = approved − planned to date;
- forecast = spent + rest × pace, rounded down to the penny once, then kept between the spent
  to date and the approved amount. A project at or ahead of its profile is forecast to spend its
  whole approval; one at half pace, half of what is left; one that has spent nothing of what it
  should have, nothing more.

Why this rule: it is the one the issue asked for, a finance officer can redo it with a
calculator from the three figures on the page, and it errs on the side a partnership needs to
hear early (a slow project's unspent money shows as likely to come back, while there is still
time to move it to tactical projects).

"Planned to date" is the profile of the quarters already over plus a third of the current
quarter's amount for each of its months already over, rounded down to the penny. Every
figure here is an integer number of pence; the arithmetic is exact (whole numbers, with one
division rounded down for each figure, the same as working in fractions and rounding once), so
the figures on the page reproduce exactly by hand.
"""
from dataclasses import dataclass
from datetime import date, timedelta

RULE = ("A project is forecast to spend what it has spent so far plus the rest of its profile at "
        "the pace it has kept so far (spent to date ÷ planned to date), never more than it was "
        "approved.")
BEHIND_RULE = ("A project is behind when what it has spent trails what was planned by then by "
               "more than {percent}% of the planned amount and by at least {minimum}.")
QUARTERS = (1, 2, 3, 4)


def quarter_bounds(start_year: int, quarter: int) -> tuple[date, date]:
    """The first and last day of a financial quarter: Q1 is April-June ... Q4 January-March."""
    first_month = 4 + 3 * (quarter - 1)
    year = start_year + (first_month - 1) // 12
    first = date(year, (first_month - 1) % 12 + 1, 1)
    after = date(year + (first.month + 3 > 12), (first.month + 2) % 12 + 1, 1)
    return first, after - timedelta(days=1)


def quarter_ends(start_year: int) -> list[date]:
    return [quarter_bounds(start_year, q)[1] for q in QUARTERS]


def month_ends(start_year: int) -> list[date]:
    """The last day of each month of the financial year, April to March."""
    ends = []
    for month in range(4, 16):
        year, shown = start_year + (month - 1) // 12, (month - 1) % 12 + 1
        following = date(year + (shown == 12), shown % 12 + 1, 1)
        ends.append(following - timedelta(days=1))
    return ends


def months_ended(start_year: int, on: date) -> int:
    """How many months of the financial year have ended by the end of `on` (0 to 12)."""
    if on < date(start_year, 4, 30):
        return 0
    if on >= date(start_year + 1, 3, 31):
        return 12
    index = (on.year - start_year) * 12 + on.month - 4  # April is 0
    return index + (on == _month_end(on))


def _month_end(day: date) -> date:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def cumulative_plan(quarters: tuple[int, int, int, int]) -> tuple[int, ...]:
    """The profile's planned spend by the end of each month, April (index 0) to March (11)."""
    q1, q2, q3, q4 = quarters
    a, b, c = q1, q1 + q2, q1 + q2 + q3
    return (q1 // 3, q1 * 2 // 3, a, a + q2 // 3, a + q2 * 2 // 3, b, b + q3 // 3,
            b + q3 * 2 // 3, c, c + q4 // 3, c + q4 * 2 // 3, c + q4)


def planned_to_date(quarters: tuple[int, int, int, int], start_year: int, on: date) -> int:
    """What the profile planned to be spent by the end of `on`, rounded down to the penny.

    Whole months count: each quarter's amount is spread evenly over its three months, and a
    month counts once it has ended. So a project is not held, part-way through a month, to spend
    it pro rata (invoices come monthly or at a quarter's end), and the figure at a month's end
    is the same from its last day until the next month ends. At most one quarter is part-way
    through, so the one division rounds down once.
    """
    ended = months_ended(start_year, on)
    return cumulative_plan(quarters)[ended - 1] if ended else 0


def forecast_year_end(approved: int, spent: int, planned: int) -> int:
    """Year-end spend by RULE from the approved amount and the spent and planned to date."""
    rest = max(approved - planned, 0)
    # spent + rest x (spent / planned), rounded down once: the same as with Fractions, in
    # whole numbers (spent is whole, so only the product's division is rounded).
    raw = spent + (rest * spent // planned if planned > 0 else rest)
    return max(spent, min(approved, raw))


def variance_percent(spent: int, planned: int) -> int | None:
    """(spent − planned) as a whole percentage of planned, halves away from zero; None when
    nothing was planned yet (a percentage of nothing means nothing)."""
    if planned <= 0:
        return None
    whole, rest = divmod(abs(spent - planned) * 100, planned)
    magnitude = whole + (2 * rest >= planned)  # a half rounds away from zero
    return magnitude if spent >= planned else -magnitude


@dataclass(frozen=True)
class Margin:
    """When a project counts as behind its profile: both tests must hold.

    Why two: a percentage alone would flag a £2,000 project for one late £100 invoice; an amount
    alone would never notice a large project slipping by a few percent a month until thousands
    had slipped. The defaults (25% and £250) say "a quarter of what was planned, and more than
    small change": at a quarter's end that is roughly a month of delivery lost.
    """

    percent: int = 25
    minimum_pence: int = 25_000

    def is_behind(self, spent: int, planned: int) -> bool:
        shortfall = planned - spent
        return shortfall >= self.minimum_pence and shortfall * 100 > self.percent * planned


DEFAULT_MARGIN = Margin()
