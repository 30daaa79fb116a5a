"""Whole clock processes against one real PostgreSQL database and the fake Slack Web API.

Each test starts `python -m backend.cli clock` as a real process with DATABASE_URL pointing at
the test database, SLACK_API_URL at a FakeSlackAPI served from this process, and CRG_FAKE_NOW
(read only by the clock, for tests) at a moment when reminders are due.
"""
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime

import pytest

from backend.domain import deadlines, partnerships, reminders, times, years
from models import OutboxMessage, Reminder, database
from tests.builders import ADMIN
from tests.conftest import _fresh_postgres
from tests.slack.fake_api import FakeSlackAPI

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOW = times.from_local(datetime(2024, 6, 12, 9, 0))  # a Wednesday, at the send time


class SlowSlack(FakeSlackAPI):
    """Slack that takes each message at once but is slow to say so: the window in which a
    clock can die after Slack accepted a message and before it recorded that."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    def handle(self, path, query, headers, body):
        reply = super().handle(path, query, headers, body)
        if path.endswith("/chat.postMessage"):
            time.sleep(self.delay)
        return reply


def _due_everywhere(frozen_now, partnerships_count=6, deadlines_each=4):
    """Partnerships whose deadlines all have a reminder due at NOW; returns who should hear."""
    frozen_now(datetime(2024, 5, 20, 12, 0))
    for n in range(partnerships_count):
        name = f"Clock CSP {n}"
        partnerships.add_partnership(ADMIN, name, [f"C_CLOCK{n}"])
        deadlines.set_template(ADMIN, name, [])
        deadlines.update_settings(ADMIN, name, digest_weekday="none")
        year = years.open_year(ADMIN, name, "2024/25", 4_500_100)
        for k in range(deadlines_each):
            deadlines.add(ADMIN, year.partnership_id, "other", f"Deadline {n}.{k}",
                          datetime(2024, 6, 19, 17, 0), people=[f"U_P{n}{k}A", f"U_P{n}{k}B"])
    expected = reminders.plan(NOW)
    recipients = Counter(d.recipient for d in expected)
    database.close()
    return {d.key for d in expected}, set(recipients)


def _clock(url, fake, *args):
    env = {**os.environ, "DATABASE_URL": url, "SLACK_API_URL": fake.base_url,
           "SLACK_BOT_TOKEN": "xoxb-test", "ADMIN_SLACK_IDS": "U_ADMIN",
           "CRG_FAKE_NOW": NOW.isoformat()}
    return subprocess.Popen([sys.executable, "-m", "backend.cli", "clock", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    assert "Traceback" not in err, err
    return process.returncode, out, err


def _reminder_messages(fake) -> Counter:
    """How many accepted messages each recipient got (alerts to the admin left out)."""
    return Counter(c.args["channel"] for c in fake.calls_to("chat.postMessage")
                   if c.answered == "ok" and c.args["channel"] != "U_ADMIN")


@pytest.fixture
def pg(postgres_url):
    url = _fresh_postgres(postgres_url)
    yield url
    database.close()


def test_two_clocks_at_once_send_every_reminder_exactly_once(pg, frozen_now):
    keys, recipients = _due_everywhere(frozen_now)
    with SlowSlack(delay=0.05) as fake:
        first, second = _clock(pg, fake, "--once"), _clock(pg, fake, "--once")
        results = [_finish(first), _finish(second)]
        assert [code for code, _, _ in results] == [0, 0], results
        got = _reminder_messages(fake)
        assert set(got) == recipients and set(got.values()) == {1}
        assert fake.violations == []
        delivered = [int(out.split("Swept: ")[1].split()[0]) for _, out, _ in results]
        assert sum(delivered) == len(recipients)  # between them, each message once
    assert {r.key for r in Reminder.select()} == keys
    assert {m.state for m in OutboxMessage.select()} == {"delivered"}
    assert OutboxMessage.select().count() == len(recipients)


def test_a_clock_killed_mid_sweep_and_restarted_sends_each_reminder_once(pg, frozen_now):
    """SIGKILL mid-sweep, restart, and nobody's help: what was never sent is sent once; what
    Slack had taken while the clock died is found in the conversation's history by its
    metadata key and recorded, not sent again. Every reminder arrives exactly once."""
    keys, recipients = _due_everywhere(frozen_now)
    with SlowSlack(delay=0.1) as fake:
        doomed = _clock(pg, fake, "--once")
        fake.wait_for("chat.postMessage", count=8, timeout=60)
        doomed.send_signal(signal.SIGKILL)
        doomed.communicate(timeout=30)
        assert doomed.returncode == -signal.SIGKILL
        assert len(fake.calls_to("chat.postMessage")) < len(recipients), "killed too late"
        # Slack took these but the dead clock never heard so: the window being closed.
        taken_unrecorded = {m.recipient for m in OutboxMessage.select().where(
            OutboxMessage.state == "sending")}
        assert taken_unrecorded, "the kill did not land while Slack was answering"

        code, out, err = _finish(_clock(pg, fake, "--once"))
        assert code == 0, (out, err)
        got = _reminder_messages(fake)
        assert set(got) == recipients and set(got.values()) == {1}, got
        # What Slack holds, conversation by conversation: each reminder message once.
        for recipient in recipients:
            assert len(fake.posted(recipient)) == 1, recipient
        assert fake.calls_to("conversations.history")
        assert [c for c in fake.calls_to("chat.postMessage")
                if c.args["channel"] == "U_ADMIN"] == []  # nothing for the admins to do
        assert fake.violations == []
    messages = list(OutboxMessage.select())
    assert {m.state for m in messages} == {"delivered"}
    assert all(m.ts for m in messages)
    assert {r.key for r in Reminder.select()} == keys


def test_the_scheduler_sweeps_at_start_and_stops_cleanly_on_sigterm(pg, frozen_now):
    keys, recipients = _due_everywhere(frozen_now, partnerships_count=2, deadlines_each=1)
    with FakeSlackAPI() as fake:
        running = _clock(pg, fake)
        try:
            fake.wait_for("chat.postMessage", count=len(recipients), timeout=60)
        finally:
            running.send_signal(signal.SIGTERM)
        code, out, err = _finish(running, timeout=30)
        assert code == 0 and "Clock running" in out, (out, err)
        got = _reminder_messages(fake)
        assert set(got) == recipients and set(got.values()) == {1}
    assert {r.key for r in Reminder.select()} == keys
