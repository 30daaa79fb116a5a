"""The audit trail: who changed what, when, and what it looked like before and after.

Written inside the same transaction as the change itself, so a change without its record (or a
record without its change) cannot exist.
"""
import functools
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from backend.domain import times
from backend.domain.actors import Actor
from backend.domain.database import (
    Batch,
    gather,
    in_write_transaction,
    locked,
    on_commit,
    on_end,
    write_transaction,
)
from backend.domain.prepared import insert_statements
from models import AuditRecord


def _dump(values: dict | None) -> str:
    return json.dumps(values or {}, sort_keys=True, default=str)


def record(actor: Actor, action: str, entity: str, entity_id: int, *, partnership_id=None,
           before: dict | None = None, after: dict | None = None) -> None:
    """Keep the record with the change: it is written as the change's transaction commits."""
    _keep(dict(at=times.now(), actor=actor.audit_name, action=action, entity=entity,
               entity_id=entity_id, partnership_id=partnership_id, before=_dump(before),
               after=_dump(after)))


def _keep(row: dict) -> None:
    if in_write_transaction():
        gather("audit", row)
        return
    with write_transaction():
        gather("audit", row)


def _write(rows: list[dict], committing: bool, batch: Batch) -> None:
    """The transaction's records go in with its last statements (its messages), in one round
    trip: a change and its record still commit together, or not at all."""
    for sql, params in insert_statements(AuditRecord, rows):
        batch.add(sql, params)


on_commit("audit", _write)


def forget(actor: Actor, model, stale, entity: str, before_of) -> int:
    """Delete the rows of `model` matching `stale` in one transaction, each removal audited
    (`before_of(row)`: what the record keeps of it, and its partnership); how many went. The
    rows are locked first on PostgreSQL, so two clocks tidying at once remove and audit each
    once (the second finds nothing left)."""
    with write_transaction():
        gone = list(locked(model.select().where(stale).order_by(model.id)))
        if gone:
            model.delete().where(model.id.in_([row.id for row in gone])).execute()
        for row in gone:
            before, partnership_id = before_of(row)
            record(actor, f"{entity}.prune", entity, row.id, partnership_id=partnership_id,
                   before=before)
    return len(gone)


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

# What a refused attempt was about (a proposal, a clock message...), set around a service call
# by `about`: its record is then kept with that thing's history. Otherwise the partnership.
_subject: ContextVar[tuple[str, object] | None] = ContextVar("crg_audit_subject", default=None)


def about(entity: str, partnership_of):
    """Keep the records of refused attempts inside the wrapped service with `entity`, the thing
    the service works on (its second argument, after the actor)."""
    def wrap(service):
        @functools.wraps(service)
        def guarded(actor, entity_id, *args, **kwargs):
            token = _subject.set((entity, (entity_id, partnership_of)))
            try:
                return service(actor, entity_id, *args, **kwargs)
            finally:
                _subject.reset(token)
        return guarded
    return wrap


def denied(actor: Actor, attempted: str, refused: str, partnership_id: int | None) -> None:
    """Record a refused attempt, in plain words: what the person tried ("tried to grant
    themselves admin") and the sentence they were told. It is written whatever becomes of the
    transaction the refusal rolls back (see `database.on_end`)."""
    subject = _subject.get()
    entity, entity_id = "partnership", partnership_id or 0
    if subject is not None:
        entity, (raw_id, partnership_of) = subject[0], subject[1]
        entity_id = raw_id if isinstance(raw_id, int) and 0 <= raw_id < 2**31 else 0
        partnership_id = partnership_id or _safely(partnership_of, entity_id)
    item = dict(at=times.now(), actor=actor.audit_name, entity=entity, entity_id=entity_id,
                partnership_id=partnership_id,
                after={"attempted": attempted, "refused": refused})
    if in_write_transaction():
        gather("denials", item)
    else:
        _write_denials([item])


def _safely(partnership_of, entity_id):
    try:
        return partnership_of(entity_id)
    except Exception:  # noqa: BLE001 - a forged id names nothing: the record keeps no partnership
        return None


def _write_denials(items: list[dict]) -> None:
    with write_transaction():
        for item in items:
            _keep(dict(at=item["at"], actor=item["actor"], action=DENIED, entity=item["entity"],
                       entity_id=item["entity_id"], partnership_id=item["partnership_id"],
                       before=_dump(None), after=_dump(item["after"])))


on_end("denials", _write_denials)
