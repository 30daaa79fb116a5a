"""How much the Slack front costs on top of the database work it has to do.

Sends signed `/crg pots` commands and proposal-form submissions through the real Flask app
(in-process, the fake Slack Web API on 127.0.0.1) on SQLite and on PostgreSQL, and compares the
median time per request with a floor measured in the same run: a Slack handler in the same
bolt app, reached by the same signed request, that does one read and one write in one
transaction on the same database and acks. So the ratio is what the product's own work costs
against the least any Slack request that touches the database can cost here.
Goal: at most 2x the floor.

Run: python bench/slash.py   (PostgreSQL on 127.0.0.1:5432 with trust auth, else SQLite only)
"""
import json
import os
import statistics
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg2  # noqa: E402

from backend import clock  # noqa: E402
from backend.database import connect_database, upgrade, write_transaction  # noqa: E402
from backend.settings import Settings  # noqa: E402
from backend.web import create_app  # noqa: E402
from models import AuditRecord, database  # noqa: E402
from tests.builders import open_year  # noqa: E402
from tests.slack.requests import SlackClient  # noqa: E402
from tests.slack_flows import form_values  # noqa: E402

SECRET = "bench-secret"
WARMUP, ROUNDS = 30, 300
GOAL = 2.0
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def floor_handler(app):
    """`/floor`, added to the app's own bolt listeners for this run only."""
    @app.extensions["crg_bolt"].command("/floor")
    def floor(ack):
        with write_transaction():
            AuditRecord.select().order_by(AuditRecord.id.desc()).first()
            AuditRecord.create(at=clock.now(), actor="bench", action="bench.floor", entity="bench",
                               entity_id=0)
        ack()


def timed(fn, rounds, settle=None):
    """Median seconds per call; `settle` (untimed) waits for the call's background work, so each
    request is measured alone rather than against the previous one's channel posts."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
        if settle:
            settle()
    return statistics.median(samples)


def announced():
    """The submission's channel post and DM (sent after Slack has its answer) are done."""
    from bot.background import drain

    assert drain(timeout=5), "the background posts did not finish"


def measure(url, fake):
    connect_database(url)
    upgrade()
    open_year(10**10, name=f"Bench CSP {uuid.uuid4().hex[:6]}", channels=["C_BENCH"])
    settings = Settings(database_url=url, slack_bot_token="xoxb-bench", slack_signing_secret=SECRET,
                        slack_api_url=fake.base_url)
    app = create_app(settings)
    floor_handler(app)
    http = app.test_client()
    slack = SlackClient(http, SECRET, fake=fake)
    from models import FinancialYear

    view = {"callback_id": "proposal_submit",
            "private_metadata": json.dumps({"year_id": FinancialYear.select().first().id,
                                            "channel": "C_BENCH", "proposal_id": None})}
    values = form_values(amount="100")

    def pots():
        assert slack.command("pots", channel_id="C_BENCH").status_code == 200

    def submit():
        response = slack.submit_view(view["callback_id"], values,
                                     private_metadata=view["private_metadata"])
        assert response.status_code == 200 and not response.get_data(), response.get_data()

    def floor():
        assert slack.command("", command="/floor", channel_id="C_BENCH").status_code == 200

    plan = (("floor", floor, None), ("pots", pots, None), ("submit", submit, announced))
    for _, fn, settle in plan:
        timed(fn, WARMUP, settle)
    results = {}
    for _ in range(3):  # interleave, so machine noise hits all three alike
        for name, fn, settle in plan:
            results.setdefault(name, []).append(timed(fn, ROUNDS // 3, settle))
    database.close()
    return {name: statistics.median(values) for name, values in results.items()}


def postgres_url():
    try:
        admin = psycopg2.connect(ADMIN_URL, connect_timeout=3)
    except psycopg2.OperationalError as error:
        print(f"PostgreSQL not reachable ({error.__class__.__name__}); SQLite only")
        return None, None
    admin.autocommit = True
    name = f"crg_bench_{os.getpid()}"
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    return admin, ADMIN_URL.rsplit("/", 1)[0] + "/" + name


class ExternalFake:
    """The fake Slack Web API in its own process, as Slack is: its work is not ours to time."""

    def __enter__(self):
        import subprocess

        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.slack.fake_api", "--port", "0"],
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().split()
        assert line and line[0] == "READY", line
        self.base_url = line[1]
        self.origin = self.base_url.rsplit("/api/", 1)[0]
        return self

    def response_url(self, name="r1"):
        return f"{self.origin}/response/{name}"

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)


def main():
    import logging
    logging.disable(logging.WARNING)
    worst = 0.0
    with ExternalFake() as fake, tempfile.TemporaryDirectory() as tmp:
        admin, pg = postgres_url()
        targets = [("sqlite", f"sqlite:///{tmp}/bench.db")] + ([("postgres", pg)] if pg else [])
        try:
            for kind, url in targets:
                medians = measure(url, fake)
                for name in ("pots", "submit"):
                    ratio = medians[name] / medians["floor"]
                    worst = max(worst, ratio)
                    print(f"{kind:8} {name:7} median {medians[name] * 1000:7.2f} ms   floor "
                          f"{medians['floor'] * 1000:6.2f} ms   ratio {ratio:5.2f}")
                time.sleep(1)  # let the last lazy posts finish before the database changes
                if hasattr(database.obj, "close_all"):
                    database.obj.close_all()
        finally:
            if admin:
                admin.cursor().execute(f'DROP DATABASE IF EXISTS "{pg.rsplit("/", 1)[1]}" WITH (FORCE)')
    print(f"RESULT slash_vs_floor_ratio={worst:.2f} goal={GOAL} {'ok' if worst <= GOAL else 'short'}")


if __name__ == "__main__":
    main()
