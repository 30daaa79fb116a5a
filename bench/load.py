"""Load: can one web dyno answer Slack in time at 50 requests a second?

Starts gunicorn with the Procfile's options (WEB_CONCURRENCY=2, as Heroku sets it on a basic
dyno) on a free port of 127.0.0.1, serving the real app against a throwaway PostgreSQL database,
with the fake Slack Web API in a process of its own (the app's channel posts, DMs and ephemeral
answers go there, as they would go to Slack). Then sends a paced, open-loop burst of signed
Slack requests: by default 50 a second for 20 seconds, 1,000 in all, from a pool of 16 threads:

- 40% `/crg pots`, 30% `/crg list`, from partners in the working group's channel;
- 30% decision button clicks by a chair on 100 proposals made beforehand: Shortlist, then
  Support, then clicks on buttons already used (refused with "already supported", which is a
  right answer, given in an ephemeral message).

Each request is due at its scheduled moment whatever happened to the ones before, and its
latency is counted from that moment to the last byte of the answer, so a slow answer cannot hide
the queue behind it (if all 16 senders are waiting, the delay in leaving counts too; the
senders' own lag is printed, as a check that they were not the bottleneck). An error is anything but a 200, an answer that reports an unexpected
error, or no answer within 10 s. The burst is bounded in count and in time (a request whose
moment is more than 10 s past is counted as an error, not sent).

The floor, in the same run: the same burst against `bench/bare_bolt_app.py`, a bolt app that
checks the signature and acks, served by the same gunicorn command. Printed for both: p50, p99
and max latency, errors and throughput; their throughput ratio at the offered rate; and, as a
second view, the capacity of each (a closed loop of 8 clients, at most 600 requests or 10 s).

Goal: p99 < 100 ms at 50 requests a second with no errors. The last line is
`RESULT load_p99_ms=<p99> goal=100 ok|short` (ok only with no errors either).

Run: python bench/load.py [--rate 50] [--seconds 20] [--workers 2] [--samples FILE.csv]
(PostgreSQL on 127.0.0.1:5432 with trust auth; CRG_BENCH_POSTGRES_URL names another admin URL.)
"""
import argparse
import http.client
import itertools
import json
import math
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg2

from backend.domain import fiscal, partnerships, people, proposals, times, years
from backend.domain.actors import Actor, command_line
from backend.domain.database import connect_database
from models import database
from tests.builders import draft
from tests.processes import FakeSlackProcess, Gunicorn, throwaway_database
from tests.slack.requests import block_action, sign, slash_command

ADMIN_URL = os.environ.get("CRG_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-load-secret"
CHANNEL, CHAIR = "C0LOADWG", "U0LOADCHAIR"
PARTNERS = tuple(f"U0LOADP{n}" for n in range(1, 6))
PROPOSALS = 100
GOAL_P99_MS = 100.0
SENDER_THREADS = 16
TIMEOUT_S = 10.0  # no answer by then is an error; Slack itself gives up after 3 s
CAPACITY_CLIENTS, CAPACITY_COUNT, CAPACITY_SECONDS = 8, 600, 10.0
NOT_SENT = "not sent: past the time limit"


# -- what is sent -------------------------------------------------------------------------------

def set_up(url: str) -> list[int]:
    """A partnership with its channel, this year's pots, a chair and proposals to decide on."""
    connect_database(url)
    operator = command_line("bench")
    partnerships.add_partnership(operator, "Load CSP", [CHANNEL])
    year = years.open_year(operator, "Load CSP",
                                  fiscal.label(fiscal.year_of(times.today_local())), 100_000_000)
    people.grant(operator, year.partnership_id, CHAIR, "chair")
    ids = []
    for n in range(PROPOSALS):
        who = Actor(PARTNERS[n % len(PARTNERS)], f"Partner {n % len(PARTNERS)}")
        made, _ = proposals.submit(who, year.id, draft("1,000", title=f"Load project {n + 1}",
                                                        planned_start=None, planned_end=None))
        ids.append(made.id)
    database.close()
    database.obj.close_all()
    return ids


class Traffic:
    """The mix of requests, in order: each call to `next()` is one signed request."""

    CLICKS = (("shortlist", "submitted"), ("support", "shortlisted"), ("support", "shortlisted"))

    def __init__(self, proposal_ids: list[int], fake: FakeSlackProcess):
        self.ids, self.fake = proposal_ids, fake
        self.sent, self.clicks = itertools.count(), itertools.count()

    def next(self) -> tuple[str, str, dict]:
        n = next(self.sent)
        user = PARTNERS[n % len(PARTNERS)]
        slot = n % 10
        if slot < 4:
            kind, body = "pots", slash_command("pots", user_id=user, channel_id=CHANNEL)
        elif slot < 7:
            kind, body = "list", slash_command("list", user_id=user, channel_id=CHANNEL)
        else:
            k = next(self.clicks)
            action, status = self.CLICKS[min(k // len(self.ids), len(self.CLICKS) - 1)]
            value = json.dumps({"p": self.ids[k % len(self.ids)], "s": status})
            kind = "click"
            body = block_action(f"decide_{action}", value, user_id=CHAIR, channel_id=CHANNEL,
                                response_url=self.fake.response_url(f"load{k}"))
        return kind, body, sign(body, SECRET)


# -- sending ------------------------------------------------------------------------------------

@dataclass
class Sample:
    kind: str
    due: float  # when it was meant to leave
    left: float  # when it did
    done: float
    error: str | None

    @property
    def latency_ms(self) -> float:
        return (self.done - self.due) * 1000


def send(port: int, kind: str, body: str, headers: dict, due: float) -> Sample:
    left = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
        response = conn.getresponse()
        answer = response.read()
        error = None
        if response.status != 200:
            error = f"HTTP {response.status}: {answer[:120]!r}"
        elif b"nothing was saved" in answer:
            error = f"unexpected error answered: {answer[:160]!r}"
    except (OSError, http.client.HTTPException) as failure:
        error = f"no answer: {failure!r}"
    finally:
        conn.close()
    return Sample(kind, due, left, time.perf_counter(), error)


def burst(port: int, requests: list, rate: float | None, threads: int,
          time_limit: float) -> tuple[list[Sample], float]:
    """Send pre-signed `requests`: paced at `rate` a second (open loop), or as fast as `threads`
    clients can (rate None). Returns the samples and the burst's first moment."""
    samples: list[Sample | None] = [None] * len(requests)
    order = itertools.count()
    start = time.perf_counter() + 0.05
    stop_at = start + (len(requests) / rate if rate else 0) + time_limit

    def client():
        while (i := next(order)) < len(requests):
            kind, body, headers = requests[i]
            due = start + i / rate if rate else time.perf_counter()
            if due - time.perf_counter() > 0:
                time.sleep(due - time.perf_counter())
            if time.perf_counter() > stop_at:
                samples[i] = Sample(kind, due, due, due, NOT_SENT)
                continue
            samples[i] = send(port, kind, body, headers, due)

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    [w.start() for w in workers]
    [w.join(timeout=stop_at - time.perf_counter() + TIMEOUT_S + 5) for w in workers]
    return [s or Sample("?", 0, 0, 0, "never finished") for s in samples], start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


@dataclass
class Summary:
    sent: int
    errors: list[str]
    p50: float
    p99: float
    worst: float
    throughput: float
    by_kind: dict
    sender_lag_ms: float  # p99 of how late requests left: the sender's own floor

    def line(self, name: str) -> str:
        kinds = "  ".join(f"{k} p50 {v[0]:.1f} p99 {v[1]:.1f}" for k, v in sorted(self.by_kind.items()))
        return (f"{name:6} {self.sent} sent, {len(self.errors)} errors; latency p50 {self.p50:.1f} ms, "
                f"p99 {self.p99:.1f} ms, max {self.worst:.1f} ms; {self.throughput:.1f} req/s "
                f"(sender lag p99 {self.sender_lag_ms:.1f} ms)\n         by kind (ms): {kinds}")


def summarise(samples: list[Sample], start: float, unsent_are_errors: bool = True) -> Summary:
    """The figures of a burst. In the paced burst a request left unsent because the burst fell
    10 s behind is an error; the capacity run simply stops at its time limit."""
    if not unsent_are_errors:
        samples = [s for s in samples if not (s.error or "").startswith(NOT_SENT)]
    good = [s for s in samples if s.error is None]
    latencies = [s.latency_ms for s in good]
    by_kind = {}
    for kind in {s.kind for s in good}:
        mine = [s.latency_ms for s in good if s.kind == kind]
        by_kind[kind] = (percentile(mine, 50), percentile(mine, 99))
    end = max((s.done for s in good), default=start)
    return Summary(len(samples), [s.error for s in samples if s.error], percentile(latencies, 50),
                   percentile(latencies, 99), max(latencies, default=float("nan")),
                   len(good) / (end - start) if end > start else 0.0, by_kind,
                   percentile([(s.left - s.due) * 1000 for s in good], 99))


def measure(server: Gunicorn, traffic, rate: float, seconds: float,
            record=None) -> tuple[Summary, Summary]:
    """Warm up, then the paced burst, then the capacity run."""
    server.wait_until(server.healthy, 30, "gunicorn to serve")
    warm = [traffic.next() for _ in range(40)]
    burst(server.port, warm, None, 4, 20)
    paced = [traffic.next() for _ in range(int(rate * seconds))]
    samples, start = burst(server.port, paced, rate, SENDER_THREADS, TIMEOUT_S)
    if record:
        record(samples, start)
    summary = summarise(samples, start)
    flat_out = [traffic.next() for _ in range(CAPACITY_COUNT)]
    capacity = summarise(*burst(server.port, flat_out, None, CAPACITY_CLIENTS, CAPACITY_SECONDS),
                         unsent_are_errors=False)
    return summary, capacity


# -- the run ------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="requests a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the burst")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--samples", help="write every paced request (app, then floor) to this "
                        "CSV file: name, kind, due offset s, latency ms, error")
    options = parser.parse_args()
    try:
        psycopg2.connect(ADMIN_URL, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        print(f"PostgreSQL is not reachable at {ADMIN_URL}: {str(error).strip()}")
        print(f"RESULT load_p99_ms=nan goal={GOAL_P99_MS:g} short")
        return
    print(f"{options.rate:g} requests/s for {options.seconds:g} s "
          f"({int(options.rate * options.seconds)} requests), gunicorn WEB_CONCURRENCY="
          f"{options.workers} --threads 4, on 127.0.0.1")
    with tempfile.TemporaryDirectory(prefix="crg-load-") as tmp, \
            throwaway_database(ADMIN_URL, "crg_bench_load") as url:
        tmp = Path(tmp)
        ids = set_up(url)
        fake = FakeSlackProcess(tmp / "slack-calls.jsonl")
        env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-load",
               "SLACK_API_URL": fake.base_url, "ADMIN_SLACK_IDS": "U0LOADADMIN"}
        results, rows = {}, []
        try:
            for name, app, traffic in (("app", "backend.web.wsgi:app", Traffic(ids, fake)),
                                       ("floor", "bench.bare_bolt_app:app",
                                        Traffic(list(range(1, PROPOSALS + 1)), fake))):
                server = Gunicorn(url, tmp / f"{name}.log", app=app, env=env,
                                  workers=options.workers)
                try:
                    results[name] = measure(
                        server, traffic, options.rate, options.seconds,
                        lambda samples, start, name=name: rows.extend(
                            f"{name},{s.kind},{s.due - start:.4f},{s.latency_ms:.2f},{s.error or ''}"
                            for s in samples))
                finally:
                    server.stop()
                if "Traceback" in server.log():
                    print(f"{name}: tracebacks in the log:\n{server.log()[-3000:]}")
        finally:
            fake.stop()
    if options.samples:
        Path(options.samples).write_text("\n".join(rows) + "\n")
    (app, app_capacity), (floor, floor_capacity) = results["app"], results["floor"]
    print(app.line("app"))
    print(floor.line("floor"))
    for error in sorted(set(app.errors + floor.errors))[:10]:
        print(f"  error: {error}")
    print(f"throughput ratio app/floor at {options.rate:g} req/s offered: "
          f"{app.throughput / floor.throughput:.2f}")
    print(f"capacity ({CAPACITY_CLIENTS} clients flat out): app {app_capacity.throughput:.0f} "
          f"req/s (p50 {app_capacity.p50:.1f} ms, {len(app_capacity.errors)} errors), floor "
          f"{floor_capacity.throughput:.0f} req/s (p50 {floor_capacity.p50:.1f} ms); ratio "
          f"{app_capacity.throughput / floor_capacity.throughput:.2f}")
    ok = app.p99 < GOAL_P99_MS and not app.errors
    print(f"RESULT load_p99_ms={app.p99:.1f} goal={GOAL_P99_MS:g} {'ok' if ok else 'short'}")


if __name__ == "__main__":
    main()
