"""Each partnership's margin for calling a project behind its profile (see `rule.Margin`)."""
from backend.domain import audit, times
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.errors import InvalidInput
from backend.domain.forecast.rule import DEFAULT_MARGIN, Margin
from backend.domain.money import MAX_PENCE, format_pence
from backend.domain.permissions import require
from models import ForecastSettings


def _margin(row: ForecastSettings | None) -> Margin:
    return Margin(row.behind_percent, row.behind_minimum_pence) if row else DEFAULT_MARGIN


def margin_of(partnership_id: int) -> Margin:
    return _margin(ForecastSettings.get_or_none(ForecastSettings.partnership == partnership_id))


def margins_of(partnership_ids) -> dict[int, Margin]:
    """Every partnership's margin in one query (the default where none is set)."""
    ids = list(partnership_ids)
    stored = {row.partnership_id: _margin(row) for row in
              ForecastSettings.select().where(ForecastSettings.partnership.in_(ids))} if ids else {}
    return {pid: stored.get(pid, DEFAULT_MARGIN) for pid in ids}


def parse_percent(text) -> int:
    cleaned = str(text if text is not None else "").strip().rstrip("%").strip()
    if not cleaned.isdigit() or not 1 <= int(cleaned) <= 100:
        raise InvalidInput(f"“{text}” is not a percentage I can use: give a whole number from 1 "
                           "to 100, like 25.", field="percent")
    return int(cleaned)


def set_margin(actor: Actor, partnership_id: int, *, percent: int | None = None,
               minimum_pence: int | None = None) -> Margin:
    """Change when the partnership's projects count as behind (admins); audited, and so is a
    refused attempt."""
    if percent is not None and not 1 <= percent <= 100:
        raise InvalidInput("The percentage must be from 1 to 100.", field="percent")
    if minimum_pence is not None and not 0 <= minimum_pence <= MAX_PENCE:
        raise InvalidInput("The minimum must be an amount from £0.", field="minimum")
    with write_transaction():
        require(actor, partnership_id, doing="change when a project counts as behind its profile")
        row = ForecastSettings.get_or_none(ForecastSettings.partnership == partnership_id)
        before = _margin(row)
        after = Margin(before.percent if percent is None else percent,
                       before.minimum_pence if minimum_pence is None else minimum_pence)
        if row is None:
            row = ForecastSettings(partnership=partnership_id)
        row.behind_percent, row.behind_minimum_pence = after.percent, after.minimum_pence
        row.updated_by, row.updated_at = actor.audit_name, times.now()
        row.save()
        audit.record(actor, "forecast.margin", "partnership", partnership_id,
                     partnership_id=partnership_id,
                     before={"percent": before.percent,
                             "minimum": format_pence(before.minimum_pence)},
                     after={"percent": after.percent, "minimum": format_pence(after.minimum_pence)})
    return after
