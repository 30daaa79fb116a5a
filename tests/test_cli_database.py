"""Where the data lives on a laptop, and what `crg` says when DATABASE_URL names no usable
database: run as a person runs it, from whatever folder they are in."""
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def crg(*args, cwd, env=None, ok=True):
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(env or {})
    done = subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=120,
                          env={**environment, "PYTHONPATH": str(ROOT)})
    assert "Traceback" not in done.stderr, done.stderr
    assert (done.returncode == 0) == ok, (done.returncode, done.stdout, done.stderr)
    return done.stdout if ok else done.stderr.strip()


def test_the_default_database_is_one_file_per_person_whatever_the_folder(tmp_path):
    data = tmp_path / "data"
    here, elsewhere = tmp_path / "clone", tmp_path / "somewhere" / "else"
    here.mkdir()
    elsewhere.mkdir(parents=True)
    env = {"XDG_DATA_HOME": str(data)}
    upgraded = crg("db", "upgrade", cwd=here, env=env)
    expected = data / "crg-tracker" / "crg.db"
    assert f"Database: the SQLite file {expected}." in upgraded and expected.is_file()
    assert "Loaded the demo partnership" in crg("demo", cwd=elsewhere, env=env)
    assert "Demo Borough CSP" in crg("partnership", "list", cwd=here, env=env)
    assert not list(here.glob("*.db")) and not list(elsewhere.glob("*.db"))


def test_an_outdated_schema_says_which_database_to_upgrade(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    said = crg("pots", "Anywhere", cwd=tmp_path, env=env, ok=False)
    assert "Run `crg db upgrade` first" in said
    assert str(tmp_path / "data" / "crg-tracker" / "crg.db") in said


@pytest.mark.parametrize(("url", "words"), [
    ("postgres://tracker:s3cret@127.0.0.1:1/crg", "the connection was refused"),
    ("postgres://tracker:s3cret@no-such-host.invalid:5432/crg", "host name could not be found"),
    ("mysql://tracker:s3cret@db.example/crg", "must be a SQLite file"),
    ("crg.db", "must be a SQLite file"),
])
def test_a_database_that_cannot_be_used_is_one_sentence(tmp_path, url, words):
    for command in (("pots", "Northshire CSP"), ("db", "upgrade"), ("partnership", "list")):
        said = crg(*command, cwd=tmp_path, env={"DATABASE_URL": url}, ok=False)
        assert words in said and len(said.splitlines()) == 1, said
        assert "s3cret" not in said and "psycopg2" not in said and "Error" not in said


def test_a_sqlite_file_in_a_missing_folder_is_refused_not_created(tmp_path):
    said = crg("db", "upgrade", cwd=tmp_path,
               env={"DATABASE_URL": f"sqlite:///{tmp_path}/typo/crg.db"}, ok=False)
    assert f"there is no folder {tmp_path}/typo" in said and not (tmp_path / "typo").exists()
