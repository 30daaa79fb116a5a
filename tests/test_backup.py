"""`crg backup` / `crg restore`: a backup restores into an empty database of either kind, exactly.

"Exactly" is checked row by row on every table, with each value's Python type, so a pence amount
that came back as a float, a datetime that lost its microseconds or a boolean that came back as 1
fails here.
"""
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime

import pytest

from backend.cli.demo import load_demo
from backend.domain import backup, partnerships
from backend.domain.actors import command_line
from backend.domain.database import connect_database, schema_version
from backend.domain.errors import Conflict, InvalidInput, SchemaOutdated
from models import Partnership, database
from models.migrations import head_version
from tests.conftest import ADMIN_URL, _admin_connection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATOR = command_line("tester")


@pytest.fixture
def empty_database(request, tmp_path):
    """Makes brand-new databases with no tables at all: `empty_database("sqlite"|"postgres")`."""
    made, pools = [], []

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path}/restored-{uuid.uuid4().hex[:6]}.db"
        request.getfixturevalue("postgres_url")  # skips (or fails when required) like the rest
        name = f"crg_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = _admin_connection()
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        made.append(name)
        return ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    make.pools = pools
    yield make
    if not database.is_closed():
        database.close()
    for pool in pools:
        pool.close_all()
    for name in made:
        admin = _admin_connection()
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def bind(url: str, empty_database):
    """Point the models at `url` (remembering PostgreSQL pools so the fixture can close them)."""
    if not database.is_closed():
        database.close()
    db = connect_database(url)
    if hasattr(db, "close_all"):
        empty_database.pools.append(db)
    return db


def snapshot() -> dict:
    """Every row of every table, each value tagged with its type."""
    tables = {}
    for model in backup.backed_up_models():
        fields = model._meta.sorted_fields
        rows = model.select(*fields).order_by(*model._meta.get_primary_keys()).tuples()
        tables[model._meta.table_name] = [tuple((type(v).__name__, v) for v in row) for row in rows]
    return tables


def fill_with_demo(frozen_now):
    frozen_now(datetime(2024, 5, 1, 9, 0, 0, 123456))
    load_demo(OPERATOR, "Demo Borough CSP")
    # A second partnership at a whole second (no microseconds) and a name JSON must escape.
    frozen_now(datetime(2024, 5, 1, 9, 0, 0))
    partnerships.add_partnership(OPERATOR, 'Ynys Môn "North" CSP', ["C0YNYS01"])


@pytest.mark.parametrize("target", ["sqlite", "postgres"])
def test_a_backup_restores_exactly_into_an_empty_database(db, target, tmp_path, frozen_now,
                                                          empty_database):
    fill_with_demo(frozen_now)
    before = snapshot()
    assert sum(map(len, before.values())) > 100 and before["ledger_entry"]
    path = tmp_path / "crg-backup.json"
    path.write_text(backup.to_json(backup.dump()), encoding="utf-8")

    bind(empty_database(target), empty_database)
    assert database.get_tables() == []
    summary = backup.restore(backup.parse(path.read_text(encoding="utf-8")))

    assert schema_version() == head_version() and summary.schema_version == head_version()
    assert snapshot() == before  # every row of every table (schema_version's history included)
    assert summary.rows == sum(map(len, before.values()))
    # The restored database carries on: new rows get fresh ids (PostgreSQL's sequences moved).
    added = partnerships.add_partnership(OPERATOR, "After Restore CSP", [])
    assert added.id == max(p.id for p in Partnership.select() if p.name != "After Restore CSP") + 1


def test_money_is_written_as_integers_and_times_to_the_microsecond(db, frozen_now):
    fill_with_demo(frozen_now)
    data = json.loads(backup.to_json(backup.dump()))
    assert data["format"] == "crg-backup" and data["format_version"] == backup.FORMAT_VERSION
    assert data["schema_version"] == head_version()
    ledger = next(t for t in data["tables"] if t["name"] == "ledger_entry")
    amounts = [row[ledger["columns"].index("amount_pence")] for row in ledger["rows"]]
    assert amounts and all(type(a) is int for a in amounts)
    audit = next(t for t in data["tables"] if t["name"] == "audit_record")
    stamps = [row[audit["columns"].index("at")] for row in audit["rows"]]
    assert any("." in s for s in stamps) and "2024-05-01T09:00:00" in stamps
    names = [t["name"] for t in data["tables"]]
    assert names.index("partnership") < names.index("financial_year") < names.index("pot") \
        < names.index("ledger_entry")
    assert set(names) == set(database.get_tables())


def test_restore_refuses_a_database_that_holds_data_and_changes_nothing(db, frozen_now):
    fill_with_demo(frozen_now)
    data = backup.parse(backup.to_json(backup.dump()))
    before = snapshot()
    with pytest.raises(Conflict, match="not empty .* Nothing was changed"):
        backup.restore(data)
    assert snapshot() == before


def test_restore_refuses_other_schemas_formats_and_files_that_are_not_backups(db):
    data = backup.parse(backup.to_json(backup.dump()))
    with pytest.raises(SchemaOutdated, match="schema version 99"):
        backup.restore({**data, "schema_version": 99})
    with pytest.raises(InvalidInput, match="format version 2"):
        backup.parse(json.dumps({**data, "format_version": 2}))
    with pytest.raises(InvalidInput, match="not valid JSON"):
        backup.parse('{"format": "crg-backup", ')
    with pytest.raises(InvalidInput, match="not a CRG backup"):
        backup.parse('{"partnerships": []}')
    renamed = [{**t, "name": "partnerships"} if t["name"] == "partnership" else t
               for t in data["tables"]]
    with pytest.raises(InvalidInput, match="missing tables: partnership; unknown tables: "
                                           "partnerships"):
        backup.restore({**data, "tables": renamed})
    assert Partnership.select().count() == 0


def test_the_commands_round_trip_and_refuse_in_one_sentence(tmp_path):
    def crg(url, *args, ok=True):
        done = subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT,
                              env={**os.environ, "DATABASE_URL": url}, capture_output=True,
                              text=True, timeout=60)
        assert "Traceback" not in done.stderr, done.stderr
        assert (done.returncode == 0) == ok, (done.returncode, done.stdout, done.stderr)
        return done.stdout if ok else done.stderr.strip()

    source, target = f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    file = str(tmp_path / "backup.json")
    crg(source, "db", "upgrade")
    crg(source, "partnership", "add", "Northshire CSP")
    assert "Backed up" in crg(source, "backup", file)
    assert "Restored" in crg(target, "restore", file)
    assert json.loads(crg(target, "backup", "-"))["tables"] == json.load(open(file))["tables"]
    refusal = crg(target, "restore", file, ok=False)
    assert "not empty" in refusal and len(refusal.splitlines()) == 1
    assert crg(target, "restore", str(tmp_path / "nope.json"), ok=False) == (
        f"{tmp_path / 'nope.json'} cannot be read: No such file or directory.")
