"""How much the Slack front costs on top of the database work it has to do.

Sends signed `/crg pots` commands and proposal-form submissions through the real Flask app
(in-process, the fake Slack Web API on 127.0.0.1) on SQLite and on PostgreSQL, and compares the
median time per request with a floor measured in the same run: a Slack handler in the same
bolt app, reached by the same signed request, that does one read and one write in one
transaction on the same database and acks. So the ratio is what the product's own work costs
against the least any Slack request that touches the database can cost here.
Goal: at most 1.5x the floor, the outbox included (it costs the submission one more statement
in its transaction).

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

from backend.domain import times  # noqa: E402
from backend.domain.database import connect_database, upgrade, write_transaction  # noqa: E402
from backend.settings import Settings  # noqa: E402
from backend.web.app import create_app  # noqa: E402
from models import AuditRecord, database  # noqa: E402
from tests.builders import open_year  # noqa: E402
from tests.slack.requests import SlackClient, slash_command, view_submission  # noqa: E402
from tests.slack_flows import form_values  # noqa: E402

SECRET = "bench-secret"
WARMUP, ROUNDS, BLOCK = 30, 300, 25
GOAL = 1.5
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def floor_handler(app):
    """`/floor`, added to the app's own bolt listeners for this run only."""
    @app.extensions["crg_bolt"].command("/floor")
    def floor(ack):
        with write_transaction():
            AuditRecord.select().order_by(AuditRecord.id.desc()).first()
            AuditRecord.create(at=times.now(), actor="bench", action="bench.floor", entity="bench",
                               entity_id=0)
        ack()


def timed(send, plan, rounds, block=BLOCK):
    """Median seconds per request of each kind in `plan`. The kinds take turns in short blocks,
    so machine noise over the run hits every kind alike, while each kind is measured in its own
    steady state rather than just after another kind's work. Only sending a ready-made body and
    reading the whole answer is timed: building Slack's payload is the test harness's work, not
    the app's, and what the app does after answering is not Slack's wait. A kind's `settle`
    (untimed) waits for the request's background work, so each request is measured alone
    rather than against the previous one's channel posts."""
    samples = {name: [] for name, _, _ in plan}
    for _ in range(max(1, rounds // block)):
        for name, make_body, settle in plan:
            for _ in range(block):
                body = make_body()
                start = time.perf_counter()
                response = send(body)
                samples[name].append(time.perf_counter() - start)
                response.close()  # as a server does once the answer is sent: after-answer work
                if settle:
                    settle()
    return {name: statistics.median(values) for name, values in samples.items()}


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

    def send(body):
        """The answer as Slack receives it: its status and every byte of its body. The response
        is closed after timing, as a server closes it once sent; only then does the app start
        what it does after answering (sending the outbox's messages)."""
        response = slack.post(body, buffered=False)
        answer = response.get_data()
        # A command's answer, or an empty 200 that closes the modal (no inline errors).
        assert response.status_code == 200, answer
        assert b"errors" not in answer, answer
        return response

    plan = (
        ("floor", lambda: slash_command("", command="/floor", channel_id="C_BENCH",
                                            response_url=fake.response_url()), None),
        ("pots", lambda: slash_command("pots", channel_id="C_BENCH",
                                           response_url=fake.response_url()), None),
        # A fresh view id each time, as for a new modal: each one is a new proposal.
        ("submit", lambda: view_submission(view["callback_id"], values,
                                           private_metadata=view["private_metadata"]), announced),
    )
    timed(send, plan, WARMUP)
    medians = timed(send, plan, ROUNDS)
    database.close()
    return medians


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
            # Without Slack's one-post-a-second-per-channel limit: the bench sends hundreds of
            # proposals a minute into one channel, and times the answers, not the posts (the
            # limit itself is tested in tests/test_outbox.py).
            [sys.executable, "-m", "tests.slack.fake_api", "--port", "0", "--post-rate", "off"],
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
