"""The audit trail: who changed what, when, and what it looked like before and after.

Written inside the same transaction as the change itself, so a change without its record (or a
record without its change) cannot exist.
"""
import functools
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from backend.domain import times
from backend.domain.actors import Actor
from backend.domain.errors import NotAllowed
from backend.domain.prepared import PreparedInsert
from models import AuditRecord


def _dump(values: dict | None) -> str:
    return json.dumps(values or {}, sort_keys=True, default=str)


_INSERT = PreparedInsert(AuditRecord)


def record(actor: Actor, action: str, entity: str, entity_id: int, *, partnership_id=None,
           before: dict | None = None, after: dict | None = None) -> None:
    _INSERT.create(at=times.now(), actor=actor.audit_name, action=action, entity=entity,
                   entity_id=entity_id, partnership_id=partnership_id,
                   before=_dump(before), after=_dump(after))


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor: str
    action: str
    before: dict
    after: dict


def history(entity: str, entity_id: int) -> list[HistoryLine]:
    rows = (AuditRecord.select()
            .where((AuditRecord.entity == entity) & (AuditRecord.entity_id == entity_id))
            .order_by(AuditRecord.at, AuditRecord.id))
    return [HistoryLine(r.at, r.actor, r.action, json.loads(r.before), json.loads(r.after))
            for r in rows]


DENIED = "denied"  # the action of the record of a refused attempt


def denials_recorded(entity: str, partnership_of):
    """Record every permission refusal of a service call, then let the refusal through.

    The refused call's own transaction is rolled back with everything in it, so the record of
    the attempt (a forged or replayed button, say) is written in a transaction of its own.
    The wrapped service takes (actor, entity_id, ...).
    """
    from backend.domain.database import write_transaction

    def wrap(service):
        @functools.wraps(service)
        def guarded(actor, entity_id, *args, **kwargs):
            try:
                return service(actor, entity_id, *args, **kwargs)
            except NotAllowed as refusal:
                attempt = service.__name__ + "".join(f" {a}" for a in args if isinstance(a, str))
                with write_transaction():
                    record(actor, DENIED, entity, entity_id,
                           partnership_id=partnership_of(entity_id),
                           after={"attempted": attempt, "refused": refusal.message})
                raise
        return guarded
    return wrap


@contextmanager
def denials_of(actor: Actor, attempted: str, entity: str, entity_id: int = 0,
               partnership_id: int | None = None):
    """Record a permission refusal raised inside the block, then let it through.

    For services that take no entity id first (setting up a partnership, which has none yet),
    where `denials_recorded` does not fit. Use it outside the service's own transaction, which
    the refusal rolls back with everything in it.
    """
    from backend.domain.database import write_transaction

    try:
        yield
    except NotAllowed as refusal:
        with write_transaction():
            record(actor, DENIED, entity, entity_id, partnership_id=partnership_id,
                   after={"attempted": attempted, "refused": refusal.message})
        raise
