"""Each partnership's scoring criteria: what its working group scores proposals against.

A partnership starts with the criteria its papers name (DEFAULTS, each 0–5, weight 1); its admins
add, retire and weigh them and set the scale, every change audited. A round keeps the criteria as
they were when it opened, so a change applies from the next round and never re-ranks a round
already scored. A retired criterion is kept (never deleted) because earlier scores point at it.
"""
import re
from dataclasses import dataclass

from backend.domain import audit, texts, times
from backend.domain.actors import Actor
from backend.domain.database import locked, write_transaction
from backend.domain.errors import InvalidInput, NotFound
from backend.domain.permissions import require
from models import Partnership, ScoringCriterion

DEFAULTS = (
    "Fit with the Community Safety Agreement priorities",
    "Evidence of need",
    "Value for money",
    "Deliverability within the year",
    "Sustainability and legacy",
)
DEFAULT_SCALE = (0, 5)
HIGHEST_SCALE = 10  # a score is one typed whole number; 0–10 is as fine as anyone scores
HIGHEST_WEIGHT = 10
_WHOLE = re.compile(r"-?[0-9]{1,6}")


@dataclass(frozen=True)
class CriterionView:
    id: int
    number: int  # 1, 2, 3... as listed: what `/crg scoring weight 2 3` names
    name: str
    low: int
    high: int
    weight: int


def whole_number(text, field: str, low: int, high: int, what: str) -> int:
    """A whole number typed by a person (or given by a front), within [low, high], or a refusal
    against `field` that says the range."""
    value = str(text if text is not None else "").strip()
    if not value:
        raise InvalidInput(f"Give the {what}: a whole number from {low} to {high}.", field=field)
    if not _WHOLE.fullmatch(value):
        raise InvalidInput(f"The {what} must be a whole number from {low} to {high}, not "
                           f"“{value[:20]}”.", field=field)
    number = int(value)
    if not low <= number <= high:
        raise InvalidInput(f"The {what} must be from {low} to {high}; {number} is outside the "
                           "scale.", field=field)
    return number


def _active(partnership_id: int):
    return (ScoringCriterion.select()
            .where((ScoringCriterion.partnership == partnership_id)
                   & ScoringCriterion.retired_at.is_null())
            .order_by(ScoringCriterion.position, ScoringCriterion.id))


def _views(rows) -> list[CriterionView]:
    return [CriterionView(c.id, n, c.name, c.scale_min, c.scale_max, c.weight)
            for n, c in enumerate(rows, start=1)]


def current(partnership_id: int) -> list[CriterionView]:
    """The criteria a round opened now would use (the defaults, until an admin changes them)."""
    stored = list(_active(partnership_id))
    if stored or ScoringCriterion.select().where(
            ScoringCriterion.partnership == partnership_id).exists():
        return _views(stored)
    low, high = DEFAULT_SCALE
    return [CriterionView(0, n, name, low, high, 1) for n, name in enumerate(DEFAULTS, start=1)]


def ensure(partnership_id: int) -> list[CriterionView]:
    """The criteria, stored (the defaults written the first time): inside a write transaction."""
    if not ScoringCriterion.select().where(
            ScoringCriterion.partnership == partnership_id).exists():
        low, high = DEFAULT_SCALE
        for position, name in enumerate(DEFAULTS, start=1):
            ScoringCriterion.create(partnership=partnership_id, position=position, name=name,
                                    scale_min=low, scale_max=high, weight=1)
    return _views(_active(partnership_id))


def may_edit(actor: Actor, partnership_id: int) -> None:
    require(actor, partnership_id, doing="change the scoring criteria")


def _changing(actor: Actor, partnership_id: int, change) -> list[CriterionView]:
    """Run `change(criteria)` on the stored criteria under the partnership's lock, audited."""
    with write_transaction():
        if not list(locked(Partnership.select().where(Partnership.id == partnership_id))):
            raise NotFound("That partnership does not exist.")
        may_edit(actor, partnership_id)
        before = ensure(partnership_id)
        change(before)
        after = _views(_active(partnership_id))
        audit.record(actor, "scoring.criteria", "partnership", partnership_id,
                     partnership_id=partnership_id,
                     before={"criteria": [_said(c) for c in before]},
                     after={"criteria": [_said(c) for c in after]})
    return after


def _said(c: CriterionView) -> str:
    return f"{c.name} ({c.low}–{c.high}, weight {c.weight})"


def _numbered(criteria: list[CriterionView], number) -> CriterionView:
    chosen = whole_number(number, "number", 1, max(len(criteria), 1), "criterion's number")
    return criteria[chosen - 1]


def add(actor: Actor, partnership_id: int, name: str, weight="1") -> list[CriterionView]:
    name = texts.kept(name, "name", texts.TITLE, "criterion")
    if not name:
        raise InvalidInput("Name the criterion, e.g. “Partnership working”.", field="name")
    weight = whole_number(weight, "weight", 1, HIGHEST_WEIGHT, "weight")

    def change(criteria):
        if any(c.name.lower() == name.lower() for c in criteria):
            raise InvalidInput(f"“{name}” is already a criterion.", field="name")
        low, high = (criteria[0].low, criteria[0].high) if criteria else DEFAULT_SCALE
        ScoringCriterion.create(partnership=partnership_id, position=len(criteria) + 1,
                                name=name, scale_min=low, scale_max=high, weight=weight)
    return _changing(actor, partnership_id, change)


def retire(actor: Actor, partnership_id: int, number) -> list[CriterionView]:
    def change(criteria):
        chosen = _numbered(criteria, number)
        if len(criteria) == 1:
            raise InvalidInput("That is the last criterion: add another before removing it.",
                               field="number")
        ScoringCriterion.update(retired_at=times.now()).where(
            ScoringCriterion.id == chosen.id).execute()
    return _changing(actor, partnership_id, change)


def set_weight(actor: Actor, partnership_id: int, number, weight) -> list[CriterionView]:
    weight = whole_number(weight, "weight", 1, HIGHEST_WEIGHT, "weight")

    def change(criteria):
        chosen = _numbered(criteria, number)
        ScoringCriterion.update(weight=weight).where(ScoringCriterion.id == chosen.id).execute()
    return _changing(actor, partnership_id, change)


def set_scale(actor: Actor, partnership_id: int, low, high) -> list[CriterionView]:
    """Every criterion scored from `low` to `high` (one scale, so the means compare)."""
    low = whole_number(low, "scale", 0, HIGHEST_SCALE - 1, "lowest score")
    high = whole_number(high, "scale", low + 1, HIGHEST_SCALE, "highest score")

    def change(criteria):
        ScoringCriterion.update(scale_min=low, scale_max=high).where(
            (ScoringCriterion.partnership == partnership_id)
            & ScoringCriterion.retired_at.is_null()).execute()
    return _changing(actor, partnership_id, change)
