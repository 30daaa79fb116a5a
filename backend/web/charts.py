"""The cumulative spend chart, drawn as plain SVG on the server.

Plain SVG rather than matplotlib or pygal: the chart is three lines and a few labels, and
drawing them here keeps every label under our control, which the rule below needs (pygal's
output also expects its own JavaScript, which the page's Content-Security-Policy forbids).

The rule: no figure is drawn that is not also in the table beside the chart. The SVG's only
money labels are the allocation (the table's last row), the planned total (its March row) and
the spent to date (its "as at" row), and its only other text is the months (the table's row
headers). The chart has a text alternative (`description`) made of the same figures.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from backend.domain import fiscal, times
from backend.domain.forecast.figures import MonthPoint
from backend.domain.money import format_pence

WIDTH, HEIGHT = 860, 380
LEFT, RIGHT, TOP, BOTTOM = 20, 650, 30, 330  # the plot area; labels go right of RIGHT
MONTHS = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    planned_path: str
    spent_path: str
    allocation_y: float
    month_ticks: tuple[Label, ...]
    labels: tuple[Label, ...]  # the money labels: allocation, planned total, spent to date
    title: str
    description: str


def _x(start_year: int, day: date) -> float:
    first = fiscal.first_day(start_year) - timedelta(days=1)  # the line starts at 0 before 1 April
    span = (fiscal.last_day(start_year) - first).days
    return round(LEFT + (RIGHT - LEFT) * (day - first).days / span, 1)


def _path(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(points))


def row_label(point: MonthPoint) -> str:
    """How the table names a point: "April 2024", or "November 2024 so far (to 15 Nov)"."""
    if point.on == point.month_end:
        return point.month_end.strftime("%B %Y")
    return f"{point.month_end:%B %Y} so far (to {point.on:%-d %b})"


def cumulative_chart(name: str, start_year: int, months: tuple[MonthPoint, ...],
                     allocation: int) -> Chart:
    """Planned and spent, cumulative by month, against the allocation."""
    top_value = max([allocation, *(m.planned for m in months),
                     *(m.spent or 0 for m in months)]) or 1
    scale = (BOTTOM - TOP) / (top_value * 1.04)

    def y(value: int) -> float:
        return round(BOTTOM - value * scale, 1)

    start = (LEFT, float(BOTTOM))
    planned = [start] + [(_x(start_year, m.on), y(m.planned)) for m in months]
    known = [m for m in months if m.spent is not None]
    spent = [start] + [(_x(start_year, m.on), y(m.spent)) for m in known]
    labels = [Label(RIGHT + 10, y(allocation) + 5, f"Allocation {format_pence(allocation)}")]
    final = months[-1]
    labels.append(Label(RIGHT + 10, y(final.planned) + 5, f"Planned {format_pence(final.planned)}"))
    if known:
        last = known[-1]
        labels.append(Label(_x(start_year, last.on) + 8, y(last.spent) + 18,
                            f"Spent {format_pence(last.spent)}"))
    labels = _apart(labels)
    ticks = tuple(Label(_x(start_year, m.month_end), BOTTOM + 22, MONTHS[i])
                  for i, m in enumerate(months))
    label = fiscal.label(start_year)
    said = (f"Cumulative spend for {name} {label}, month by month from April to March: planned "
            f"spend rises to {format_pence(final.planned)} by {times.show_date(final.on)}, "
            f"against an allocation of {format_pence(allocation)}.")
    if known:
        last = known[-1]
        said += (f" By {times.show_date(last.on)}, {format_pence(last.spent)} had been spent "
                 f"against {format_pence(last.planned)} planned.")
    else:
        said += " Nothing has been spent yet."
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, _path(planned),
                 _path(spent) if known else "", y(allocation), ticks, tuple(labels),
                 f"Planned and actual spend, {name} {label}", said + " The table below the "
                 "chart has every figure.")


def _apart(labels: list[Label], gap: float = 18) -> list[Label]:
    """Right-hand labels nudged down so that none overlaps another."""
    placed: list[Label] = []
    for label in sorted(labels, key=lambda l: l.y):
        y = label.y
        for other in placed:
            if abs(other.x - label.x) < 120 and y - other.y < gap:
                y = other.y + gap
        placed.append(Label(label.x, min(y, HEIGHT - 5), label.text))
    return placed
