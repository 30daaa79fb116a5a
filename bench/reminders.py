"""How long one clock sweep takes over 100,000 deadlines of which about 1% are due.

Run as `python bench/reminders.py` (needs PostgreSQL on 127.0.0.1:5432; CRG_BENCH_POSTGRES_URL
names another admin URL). It makes a throwaway database, a fake Slack Web API in a child
process on 127.0.0.1, and drops both at the end.

The data: 50 partnerships, each with years of history. 1,000 deadlines have their 7-day reminder
due at the sweep's moment (a Wednesday, 09:00 London), a tenth of them naming a person who gets
a DM: 50 channel messages and 100 DMs. The other deadlines lie in past years (history
accumulates; what is near `now` does not grow with it) and in later years. The weekly digest is
switched off: this times reminders.

Printed: the floor (the same 150 messages posted straight to the fake, no database), the sweep
over 100,000 deadlines (median of 3, the reminder tables emptied between runs), the same over
10,000 deadlines with the same 1,000 due, and their ratio.
"""
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402

from backend.domain import times  # noqa: E402
from backend.domain.database import connect_database, upgrade  # noqa: E402
from backend.domain.outbox.owners import Owner  # noqa: E402
from backend.settings import Settings  # noqa: E402
from jobs.clock import clock_client  # noqa: E402
from jobs.sweep import sweep  # noqa: E402
from models import Channel, FinancialYear, Partnership, database  # noqa: E402
from models import Deadline, OutboxMessage, Reminder, ReminderSettings  # noqa: E402

ADMIN_URL = os.environ.get("CRG_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PARTNERSHIPS = 50
DUE = 1_000
WITH_PERSON = 10  # every tenth due deadline names a person
NOW = times.from_local(datetime(2026, 6, 10, 9, 0))  # a Wednesday
GOAL_SECONDS = 1.0
GOAL_RATIO = 1.5
RUNS = 3


def start_fake():
    process = subprocess.Popen([sys.executable, "-m", "tests.slack.fake_api", "--port", "0"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().split()
    if not line or line[0] != "READY":
        process.kill()
        raise SystemExit("the fake Slack Web API did not start")
    return process, line[1]


def build(total: int) -> None:
    now = NOW
    rng = random.Random(7)
    partnerships = []
    for n in range(PARTNERSHIPS):
        p = Partnership.create(name=f"Bench CSP {n}", created_at=now)
        Channel.create(partnership=p, slack_channel_id=f"CBENCH{n:04d}", is_working_group=True)
        ReminderSettings.create(partnership=p, digest_weekday=-1)
        years = {start: FinancialYear.create(
            partnership=p, start_year=start, label=f"{start}/{(start + 1) % 100:02d}",
            allocation_pence=3_000_000, upfront_pence=2_000_000, tactical_pence=1_000_000,
            split_rule="2/3", opened_at=now).id for start in range(2000, 2031)}
        partnerships.append((p.id, years))
    rows = []
    due_at = times.from_local(datetime(2026, 6, 17, 17, 0))  # 7 days on: its reminder is due
    for i in range(DUE):
        pid, years = partnerships[i % PARTNERSHIPS]
        rows.append(_row(pid, years[2026], f"Due deadline {i}", due_at,
                         f"UBENCH{i:05d}" if i % WITH_PERSON == 0 else ""))
    for i in range(total - DUE):
        pid, years = partnerships[i % PARTNERSHIPS]
        if i % 10 == 0:  # later years
            start = rng.randrange(2027, 2031)
        else:  # history
            start = rng.randrange(2000, 2026)
        day = datetime(start, 4, 1) + timedelta(days=rng.randrange(365), hours=rng.randrange(8, 18))
        rows.append(_row(pid, years[start], f"Old deadline {i}", times.from_local(day), ""))
    with database.atomic():
        for start in range(0, len(rows), 2000):
            Deadline.insert_many(rows[start:start + 2000]).execute()
    database.execute_sql("ANALYZE")


def _row(pid, year_id, title, due_at, person):
    created = NOW - timedelta(days=60)
    return dict(partnership=pid, year=year_id, kind="other", title=title, due_at=due_at,
                concerns="partnership", people=person, status="active", source="manual",
                set_at=created, created_by="bench", created_at=created, updated_at=created)


def reset() -> None:
    Reminder.delete().execute()
    OutboxMessage.delete().execute()
    database.execute_sql("ANALYZE reminder")


def time_sweeps(settings) -> tuple[float, int]:
    client = clock_client(settings)
    owner = Owner().start()
    times, delivered = [], 0
    try:
        for _ in range(RUNS):
            reset()
            started = time.perf_counter()
            result = sweep(client, settings, NOW, owner)
            times.append(time.perf_counter() - started)
            delivered = result.delivered
    finally:
        owner.close()
    return statistics.median(times), delivered


def floor(settings, messages: int) -> float:
    client = clock_client(settings)
    started = time.perf_counter()
    for i in range(messages):
        client.chat_postMessage(channel=f"CFLOOR{i:04d}", text="floor",
                                blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}])
    return time.perf_counter() - started


def main() -> None:
    name = f"crg_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg2.connect(ADMIN_URL, connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    fake, api_url = start_fake()
    try:
        connect_database(ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
        upgrade()
        settings = Settings(slack_bot_token="xoxb-bench", slack_api_url=api_url)
        started = time.perf_counter()
        build(100_000)
        print(f"built 100,000 deadlines in {time.perf_counter() - started:.1f} s", flush=True)
        big, delivered = time_sweeps(settings)
        floor_s = floor(settings, delivered)
        print(f"floor: {delivered} messages posted straight to the fake: {floor_s:.3f} s")
        print(f"sweep over 100,000 deadlines: {big:.3f} s ({delivered} messages)", flush=True)
        (Deadline.delete().where(Deadline.id.in_(
            Deadline.select(Deadline.id).where(Deadline.title.startswith("Old"))
            .order_by(Deadline.id).limit(90_000)))).execute()
        database.execute_sql("ANALYZE deadline")
        small, delivered_small = time_sweeps(settings)
        print(f"sweep over {Deadline.select().count():,} deadlines: {small:.3f} s "
              f"({delivered_small} messages)")
        ratio = big / small
        print(f"ratio 100,000 / 10,000: {ratio:.2f} (goal <= {GOAL_RATIO})")
        ok = big < GOAL_SECONDS and ratio <= GOAL_RATIO and delivered == delivered_small
        print(f"RESULT sweep_100k_s={big:.3f} goal={GOAL_SECONDS} {'ok' if ok else 'short'}")
    finally:
        database.close()
        if database.obj is not None and hasattr(database.obj, "close_all"):
            database.obj.close_all()
        fake.terminate()
        fake.wait(timeout=10)
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
