"""A change's audit records and its messages are written as it commits, together: one round
trip to PostgreSQL, and all of them or none of them with the change."""
import pytest

from backend.domain import audit
from backend.domain.database import write_transaction
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from models import AuditRecord, OutboxMessage, database
from tests.builders import ADMIN, open_year, submit


@pytest.fixture
def sent(monkeypatch):
    """Every message sent to the database, as its SQL."""
    messages = []
    real = type(database.obj).execute_sql

    def execute_sql(self, sql, params=None, *args, **kwargs):
        messages.append(sql)
        return real(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(type(database.obj), "execute_sql", execute_sql)
    return messages


def test_records_and_messages_go_in_one_round_trip_on_postgresql(db, sent):
    year = open_year()
    before = AuditRecord.select().count()
    with write_transaction():
        for number in range(3):
            audit.record(ADMIN, "test.batch", "year", year.id, after={"n": number})
        notes.tell(Note("C_WG", "test", text="one"))
        notes.tell(Note("C_WG", "test", text="two"))
        sent.clear()
    audit_sent = [sql for sql in sent if 'INSERT INTO "audit_record"' in sql]
    outbox_sent = [sql for sql in sent if 'INSERT INTO "outbox_message"' in sql]
    if db == "postgres":
        assert audit_sent == outbox_sent and len(audit_sent) == 1, sent
        assert audit_sent[0].index("audit_record") < audit_sent[0].index("outbox_message")
    else:  # SQLite takes one statement a call, and has no round trip to save
        assert len(audit_sent) == len(outbox_sent) == 1 and audit_sent != outbox_sent
    assert AuditRecord.select().count() == before + 3
    assert [m.text for m in OutboxMessage.select().order_by(OutboxMessage.id)] == ["one", "two"]
    assert [r.after for r in AuditRecord.select().where(AuditRecord.action == "test.batch")
            .order_by(AuditRecord.id)] == ['{"n": 0}', '{"n": 1}', '{"n": 2}']


def test_records_alone_and_many_records_are_all_written(db):
    """Without a message the records go by themselves; more than one statement's worth on
    SQLite (which limits the values a statement takes) are written in several."""
    year = open_year()
    before = AuditRecord.select().count()
    with write_transaction():
        for number in range(250):
            audit.record(ADMIN, "test.many", "year", year.id, after={"n": number})
    kept = [r.after for r in AuditRecord.select().where(AuditRecord.action == "test.many")
            .order_by(AuditRecord.id)]
    assert kept == [f'{{"n": {n}}}' for n in range(250)]
    assert AuditRecord.select().count() == before + 250


def test_a_change_that_fails_leaves_neither_record_nor_message(db):
    year = open_year()
    proposal_id = submit(year)
    records, messages = AuditRecord.select().count(), OutboxMessage.select().count()
    with pytest.raises(RuntimeError):
        with write_transaction():
            audit.record(ADMIN, "test.failed", "proposal", proposal_id)
            notes.tell(Note("C_WG", "test", text="never"))
            raise RuntimeError("the change failed")
    assert AuditRecord.select().count() == records
    assert OutboxMessage.select().count() == messages


def test_a_record_outside_any_transaction_is_written_at_once(db):
    year = open_year()
    audit.record(ADMIN, "test.alone", "year", year.id)
    assert AuditRecord.select().where(AuditRecord.action == "test.alone").count() == 1
