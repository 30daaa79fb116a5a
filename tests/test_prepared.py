"""Prepared queries give exactly what the same peewee query gives, on both databases."""
import itertools
from datetime import date, datetime

from peewee import CharField, DatabaseError, DateTimeField, IntegerField, Model, fn

from backend.domain import proposals
from backend.domain.prepared import Prepared, PreparedInsert, slot
from models import AuditRecord, FinancialYear, Partnership, Proposal, database
from tests.builders import open_year, submit


def test_rows_and_scalar_match_peewee_with_constants_and_slots(db):
    year = open_year()
    first = submit(year, amount="10")
    submit(year, amount="20", pot="upfront")
    Proposal.update(status="supported").where(Proposal.id == first).execute()
    built = []

    def build():
        built.append(1)
        return (Proposal.select(Proposal.pot, fn.SUM(Proposal.amount_pence))
                .where((Proposal.year == slot("year")) & Proposal.status.in_(("supported", "x")))
                .group_by(Proposal.pot))

    prepared = Prepared(build)
    expected = list(Proposal.select(Proposal.pot, fn.SUM(Proposal.amount_pence))
                    .where((Proposal.year == year.id) & Proposal.status.in_(("supported", "x")))
                    .group_by(Proposal.pot).tuples())
    for _ in range(3):
        assert prepared.rows(year=year.id) == expected == [("upfront", 1000)]
    assert prepared.rows(year=year.id + 1000) == []
    assert len(built) == 1, "the SQL is built once per kind of database, not per run"
    count = Prepared(lambda: Proposal.select(fn.COUNT(Proposal.id)).where(Proposal.year == slot("y")))
    assert count.scalar(y=year.id) == 2
    missing = Prepared(lambda: Proposal.select(Proposal.id).where(Proposal.submission_key == slot("k")))
    assert missing.scalar(k="no such key") is None


def test_slots_convert_values_as_their_field_stores_them(db):
    year = open_year()
    proposal_id = submit(year, planned_start=date(2024, 6, 1))
    on_date = Prepared(lambda: Proposal.select(Proposal.id)
                       .where(Proposal.planned_start == slot("day", Proposal.planned_start)))
    assert on_date.scalar(day=date(2024, 6, 1)) == proposal_id
    assert on_date.scalar(day="2024-06-01") == proposal_id  # stored as the field would store it
    assert on_date.scalar(day=date(2024, 6, 2)) is None


def test_objects_are_models_with_their_joins_attached(db):
    year = open_year(name="Northshire CSP")
    query = Prepared(lambda: FinancialYear.select(FinancialYear, Partnership).join(Partnership)
                     .where(FinancialYear.id == slot("year")))
    (found,) = query.objects(year=year.id)
    assert isinstance(found, FinancialYear) and found.id == year.id
    assert found.label == year.label and found.allocation_pence == year.allocation_pence
    assert "partnership" in found.__rel__, "the joined partnership came with the year"
    assert found.partnership.name == "Northshire CSP"
    assert query.objects(year=year.id + 1000) == []


def test_objects_after_another_statement_read_what_it_changed(db):
    """Run straight after `first` (in one round trip on PostgreSQL), the query sees the
    database as `first` left it, and gives back its own rows only."""
    year = open_year(name="Northshire CSP")
    first = Prepared(lambda: FinancialYear.update(label=slot("label"))
                     .where(FinancialYear.id == slot("year")))
    query = Prepared(lambda: FinancialYear.select(FinancialYear, Partnership).join(Partnership)
                     .where(FinancialYear.id == slot("year")))
    with database.atomic():
        (found,) = query.objects_after(first, year=year.id, label="2030/31")
    assert found.label == "2030/31" and found.partnership.name == "Northshire CSP"


def test_insert_stores_what_create_stores(db):
    year = open_year()
    at = datetime(2024, 5, 1, 9, 30, 15, 123456)
    values = dict(at=at, actor="Alice (U1)", action="test.prepared", entity="proposal",
                  entity_id=7, partnership_id=None, after='{"a": 1}')
    made = PreparedInsert(AuditRecord).create(**values)
    usual = AuditRecord.create(**values)
    assert made.id and made.id != usual.id and made.before == "{}"
    stored, reference = AuditRecord.get_by_id(made.id), AuditRecord.get_by_id(usual.id)
    assert {k: v for k, v in stored.__data__.items() if k != "id"} == \
        {k: v for k, v in reference.__data__.items() if k != "id"}
    assert stored.at == at and stored.partnership_id is None and stored.before == "{}"
    year_row = FinancialYear.get_by_id(year.id)
    proposal = PreparedInsert(Proposal).create(
        year=year_row, number=99, status="submitted", title="T", lead_organisation="L", contact_name="Pat", pot="upfront",
        amount_pence=1, proposer_slack_id="U1", created_at=at, updated_at=at)
    assert proposal.year is year_row, "the instance keeps the related objects it was given"
    assert Proposal.get_by_id(proposal.id).planned_spend == "{}"
    assert proposals.get(proposal.id).ref == "CRG-2024/25-099"


class Stamped(Model):
    """A table only this test has (so not one of the app's models): a callable default must be
    called afresh for every row."""

    label = CharField()
    serial = IntegerField(default=itertools.count(1).__next__)
    made = DateTimeField(null=True)

    class Meta:
        database = database


def test_insert_calls_callable_defaults_for_every_row(db):
    database.create_tables([Stamped])
    try:
        insert = PreparedInsert(Stamped)
        rows = [insert.create(label=name) for name in ("a", "b", "c")]
        serials = [Stamped.get_by_id(r.id).serial for r in rows]
        assert serials == sorted(serials) and len(set(serials)) == 3
        assert [Stamped.get_by_id(r.id).label for r in rows] == ["a", "b", "c"]
    finally:
        database.drop_tables([Stamped])


def test_peewee_still_offers_what_prepared_queries_lean_on():
    """`Prepared.objects` turns rows into models with peewee's private `_get_cursor_wrapper`,
    and `PreparedInsert` sets `_pk` and clears `_dirty`. pyproject.toml pins peewee's major
    version for this; if an upgrade removes them, this test names what broke: rewrite those two
    methods on peewee's public API (or drop the prepared form of those queries) before upgrading."""
    import peewee

    assert int(peewee.__version__.split(".")[0]) == 4, peewee.__version__
    assert callable(getattr(peewee.Select, "_get_cursor_wrapper", None))
    row = Partnership(name="x")
    row._pk = 7
    assert row.id == 7 and isinstance(row._dirty, set)


def _kept_on_server() -> list[str]:
    """What this connection has PREPAREd (PostgreSQL)."""
    return [row[0] for row in database.execute_sql(
        "SELECT statement FROM pg_prepared_statements").fetchall()]


def _on_server_query():
    """Slots of several types, and fixed values that must be written into the PREPARE as SQL
    (a pattern holding '%', a text with a quote, a boolean)."""
    return Prepared(lambda: (
        Proposal.select(Proposal.id, Proposal.title)
        .where((Proposal.year == slot("year")) & (Proposal.pot == slot("pot"))
               & (Proposal.title.contains("50%") | (Proposal.title == "Pat's 'plan'"))
               & (Proposal.amount_pence >= slot("least")) & (Proposal.status != "x")
               & (Proposal.submission_key.is_null(False) | True))
        .order_by(Proposal.id)), on_server=True)


def test_on_server_query_gives_what_the_plain_one_gives_and_is_prepared_once(db):
    year = open_year()
    wanted = [submit(year, title="Save 50% of call-outs", amount="10"),
              submit(year, title="Pat's 'plan'", amount="20")]
    submit(year, title="Save 50% elsewhere", amount="9.99")
    submit(year, title="Other", amount="30")
    query = _on_server_query()
    plain = Prepared(query._build)
    with database.atomic():  # one connection throughout, as a request has
        for _ in range(7):  # past the five runs after which PostgreSQL may plan generically
            got = query.rows(year=year.id, pot="upfront", least=1000)
            assert got == plain.rows(year=year.id, pot="upfront", least=1000)
            assert [row[0] for row in got] == wanted
        assert query.rows(year=year.id, pot="tactical", least=0) == []
        if db == "postgres":
            kept = [text for text in _kept_on_server() if "Pat" in text]
            assert len(kept) == 1, "prepared once on the connection, then only executed"
            assert "$1" in kept[0] and "'Pat''s ''plan'''" in kept[0] and "'%50\\%%'" in kept[0]


def test_a_submission_reads_with_its_plan_kept_on_postgresql(db):
    year = open_year()
    submit(year)
    submit(year)
    if db == "postgres":
        assert any('"existing_id"' in text for text in _kept_on_server())


def test_prepared_statements_false_in_the_address_keeps_no_plans(postgres_url):
    from backend.domain.database import connect_database

    connect_database(postgres_url + "?prepared_statements=false&connect_timeout=5")
    try:
        assert database.obj.crg_prepared is False
        assert "prepared_statements" not in str(database.connection().dsn)
        with database.atomic():
            database.execute_sql("DEALLOCATE ALL")
            _on_server_query().rows(year=1, pot="tactical", least=0)
            assert _kept_on_server() == []
    finally:
        database.close()
        database.obj.close_all()
    connect_database(postgres_url)
    assert database.obj.crg_prepared is True
    database.obj.close_all()


def test_a_statement_lost_behind_a_pooler_turns_plans_off_and_says_how(db, caplog):
    """Behind PgBouncer in transaction mode a statement prepared on one server connection is
    unknown on the next. The request that finds it gone fails as a database error would; the
    log says what to add to DATABASE_URL; the process prepares nothing from then on."""
    if db != "postgres":
        return
    query = _on_server_query()
    with database.atomic():
        query.rows(year=1, pot="tactical", least=0)
    database.execute_sql("DEALLOCATE ALL")  # as if the pooler gave us another server connection
    try:
        with caplog.at_level("ERROR", logger="crg.database"):
            try:
                with database.atomic():
                    query.rows(year=1, pot="tactical", least=0)
                raise AssertionError("the lost statement went unnoticed")
            except DatabaseError as error:
                assert "does not exist" in str(error)
        (said,) = [r.crg_fields["problem"] for r in caplog.records
                   if r.getMessage() == "prepared_statements_off"]
        assert "add ?prepared_statements=false to DATABASE_URL" in said
        assert database.obj.crg_prepared is False
        with database.atomic():
            assert query.rows(year=1, pot="tactical", least=0) == []
            assert _kept_on_server() == []
    finally:
        database.obj.crg_prepared = True


def test_a_submission_that_finds_its_statement_lost_is_saved_all_the_same(db):
    """The person whose submission meets the lost statement is not the one who pays for it: the
    submission runs again, without kept plans, and is saved once."""
    if db != "postgres":
        return
    year = open_year(1_000_000)
    submit(year, "1,000", title="First")  # prepares the submission's read on this connection
    database.execute_sql("DEALLOCATE ALL")  # another server connection, as behind the pooler
    try:
        submit(year, "2,000", title="Second")
        assert database.obj.crg_prepared is False
        assert [p.title for p in Proposal.select().order_by(Proposal.number)] == ["First", "Second"]
        assert AuditRecord.select().where(AuditRecord.action == "proposal.submit").count() == 2
    finally:
        database.obj.crg_prepared = True
