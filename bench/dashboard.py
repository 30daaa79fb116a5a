"""Benchmark: the finance dashboard's pages on a big database, against a floor page.

    python bench/dashboard.py [--projects N] [--requests N] [--postgres]

Seeds a throwaway database (a SQLite file; with --postgres a database it creates on the local
PostgreSQL at 127.0.0.1:5432 and drops afterwards) with 12 partnerships x 5 years (2020/21 to
2024/25) x 60 funded projects, each with a profile, four quarters of spend and progress
reports. Then, in this process, through the real app (`create_app`, Flask's test client: no
network at all, so the time is the server's), it times two pages as an admin named in
ADMIN_SLACK_IDS sees them, as at 31 December 2024:
  * the OPCC's view across the 12 partnerships' 2024/25 (`/finance/all/2024`);
  * one partnership's 2024/25 page (`/finance/<id>/2024`).
Each page's floor is a page on the same app that runs the very SQL statements the page ran
(captured from a warm-up request: so the same number of queries, fetching the same rows) and
renders, with the same template engine, a plain table of the rows the page shows (taken from
the page's HTML before the clock starts). No page can do less and show the same.

Each page and its floor are requested 50 times, interleaved; the median of each counts. A
database seeded with 5 projects per partnership-year shows the number of queries does not
depend on the number of projects. Goal: each page ≤ 1.5 x its floor, equal query counts. The
last line is `RESULT ratio=<the worse page's ratio> goal=1.5 ok|short`.
"""
import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PARTNERSHIPS, YEARS, PROJECTS = 12, (2020, 2021, 2022, 2023, 2024), 60
GOAL_RATIO = 1.5
ADMIN = "U0BENCHADMIN"
AS_AT = "2024-12-31"
ORGANISATIONS = ("County Council", "District Council", "Police", "Fire and Rescue", "Probation",
                 "Victim Support", "Youth Offending Service", "Community Trust")
PRIORITIES = ("Preventing Neighbourhood Crime & ASB", "Domestic Abuse", "Substance Misuse",
              "Road Safety", "Violence Against Women and Girls")


def seed(url: str, projects: int) -> None:
    """Every partnership-year with `projects` approved projects, spent in all four quarters.

    Rows are written directly (insert_many), keeping the ledger consistent with the projects.
    """
    from backend.domain.database import connect_database, upgrade, write_transaction
    from models import FinancialYear, LedgerEntry, Partnership, Pot, Priority, database

    connect_database(url)
    upgrade()
    rng = random.Random(11)
    now = datetime(2025, 1, 6, 9, 0)
    with write_transaction():
        for index in range(PARTNERSHIPS):
            p = Partnership.create(name=f"Bench CSP {index + 1:02d}", created_at=now)
            for start in YEARS:
                amounts = [rng.randint(2_000, 9_000) * 100 for _ in range(projects)]
                upfront_n = projects * 3 // 5
                upfront_sum = sum(amounts[:upfront_n])
                allocation = (max(upfront_sum * 3 // 2, sum(amounts)) // 100 + 2_000) * 100
                upfront_share = allocation * 2 // 3 // 100 * 100
                y = FinancialYear.create(partnership=p, start_year=start,
                                         label=f"{start}/{(start + 1) % 100:02d}",
                                         allocation_pence=allocation, upfront_pence=upfront_share,
                                         tactical_pence=allocation - upfront_share,
                                         split_rule="2/3", opened_at=now, rolled_over_at=now)
                for position, name in enumerate(PRIORITIES):
                    Priority.create(year=y, name=name, position=position)
                pots = {k: Pot.create(year=y, kind=k) for k in ("upfront", "tactical")}
                rolled = upfront_share - upfront_sum
                entry = dict(memo="", reference="", actor="bench", created_at=now)
                LedgerEntry.insert_many([
                    dict(pot=pots["upfront"], kind="allocation", amount_pence=upfront_share,
                         **entry),
                    dict(pot=pots["tactical"], kind="allocation",
                         amount_pence=allocation - upfront_share, **entry),
                    dict(pot=pots["upfront"], kind="rollover_out", amount_pence=rolled, **entry),
                    dict(pot=pots["tactical"], kind="rollover_in", amount_pence=rolled, **entry),
                ]).execute()
                _projects(rng, y, pots, amounts, upfront_n, now)
    database.close()


def _projects(rng, year, pots, amounts, upfront_n, now) -> None:
    from models import AuditRecord, LedgerEntry, Proposal
    from models.progress import ProgressReport

    start = year.start_year
    rows = []
    for n, amount in enumerate(amounts, 1):
        shares = [rng.randint(1, 4) for _ in range(4)]
        quarters = [amount * s // sum(shares) for s in shares]
        quarters[-1] += amount - sum(quarters)
        decided = datetime(start, 5, 20, 10, 0)
        rows.append(dict(
            year=year, number=n, pot="upfront" if n <= upfront_n else "tactical",
            status="approved", title=f"Project {n}: {rng.choice(PRIORITIES).lower()} work",
            lead_organisation=rng.choice(ORGANISATIONS), contact_name=f"Contact {n}",
            contact_slack_id=f"U{n:08d}", proposer_slack_id=f"U{n:08d}",
            description="A project of the benchmark.",
            priorities=json.dumps([rng.choice(PRIORITIES)]), amount_pence=amount,
            approved_pence=amount, planned_start=date(start, 6, 1),
            planned_end=date(start + 1, 3, 1),
            planned_spend=json.dumps({f"Q{q + 1}": v for q, v in enumerate(quarters)}),
            wg_decided_at=decided - timedelta(days=20), pcc_decided_at=decided,
            created_at=decided - timedelta(days=40), updated_at=decided))
        rows[-1]["_quarters"] = quarters
    ids = {}
    for batch in _chunks(rows, 300):
        Proposal.insert_many([{k: v for k, v in r.items() if k != "_quarters"}
                              for r in batch]).execute()
    ids = dict(Proposal.select(Proposal.number, Proposal.id).where(Proposal.year == year).tuples())
    entries, audits, reports = [], [], []
    days = (date(start, 6, 15), date(start, 9, 15), date(start, 12, 15), date(start + 1, 3, 15))
    for row in rows:
        n, pid = row["number"], ids[row["number"]]
        pot = pots["upfront" if n <= upfront_n else "tactical"]
        base = dict(pot=pot, proposal=pid, actor="bench", created_at=now)
        entries.append(dict(kind="commitment", amount_pence=row["amount_pence"],
                            occurred_on=None, memo="PCC approval", reference="", **base))
        pace = rng.choice((1, 1, 1, 0.9, 0.6, 0.3))  # some projects fall behind
        for day, planned in zip(days, row["_quarters"]):
            entries.append(dict(kind="spend", amount_pence=max(1, int(planned * pace)),
                                occurred_on=day, memo="Delivery costs",
                                reference=f"INV-{pid}-{day.month}", **base))
        for action, before, after in (("submit", None, "submitted"),
                                      ("support", "submitted", "supported"),
                                      ("submit_to_opcc", "supported", "submitted_to_opcc"),
                                      ("approve", "submitted_to_opcc", "approved")):
            audits.append(dict(at=row["pcc_decided_at"], actor="U0CHAIR (Chris Chair)",
                               action=f"proposal.{action}", entity="proposal", entity_id=pid,
                               partnership_id=year.partnership_id,
                               before=json.dumps({"status": before} if before else {}),
                               after=json.dumps({"status": after, "note": ""})))
        for k, month in enumerate((9, 12)):
            reports.append(dict(proposal=pid, reported_on=date(start, month, 20),
                                period=f"{year.label} Q{2 + k}", narrative="Sessions running.",
                                outputs=f"{k + 2} of 6 sessions",
                                rag=rng.choice(("green", "green", "amber", "red")),
                                reporter="bench", created_at=now))
    for model, batch_rows in ((LedgerEntry, entries), (AuditRecord, audits),
                              (ProgressReport, reports)):
        for batch in _chunks(batch_rows, 300):
            model.insert_many(batch).execute()


def _chunks(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


class _Rows(HTMLParser):
    """The text of every table row of a page: what the floor must show too."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


FLOOR = """<!doctype html><html lang="en"><head><title>Floor</title></head><body><main>
<table>{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table></main></body></html>"""


class Bench:
    """The real app on a database, an admin signed in, and a floor route beside the pages."""

    def __init__(self, url: str):
        from flask import render_template_string

        from backend.domain import login_links
        from backend.domain.actors import Actor
        from backend.domain.database import connect_database
        from backend.settings import Settings
        from backend.web.app import create_app
        from models import Partnership, database

        connect_database(url)
        self.database = database
        self.app = create_app(Settings(database_url=url, admin_slack_ids=(ADMIN,)))
        self.floors: dict[str, tuple[list, list]] = {}

        def floor(name):
            statements, rows = self.floors[name]
            for sql, params in statements:
                database.execute_sql(sql, params).fetchall()
            return render_template_string(FLOOR, rows=rows)

        self.app.add_url_rule("/bench-floor/<name>", "bench_floor", floor)
        self.client = self.app.test_client()
        first = Partnership.select().order_by(Partnership.name).first()
        token = login_links.issue(Actor(ADMIN, superadmin=True), first.id)
        assert self.client.get(f"/finance/login/{token}").status_code == 303
        self.pages = {"OPCC view (12 partnerships)": f"/finance/all/2024?on={AS_AT}",
                      "one partnership's page": f"/finance/{first.id}/2024?on={AS_AT}"}

    def capture(self, path: str) -> tuple[list, str]:
        """The SQL a request runs (statement and parameters, in order) and its HTML."""
        seen = []
        real = self.database.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            seen.append((sql, params))
            return real(sql, params, *args, **kwargs)

        self.database.obj.execute_sql = counting
        try:
            response = self.client.get(path)
        finally:
            del self.database.obj.execute_sql
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return seen, response.get_data(as_text=True)

    def prepare_floor(self, name: str, path: str) -> int:
        statements, html = self.capture(path)
        parser = _Rows()
        parser.feed(html)
        self.floors[name] = (statements, parser.rows)
        return len(statements)

    def time(self, path: str) -> float:
        started = time.perf_counter()
        response = self.client.get(path)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        return elapsed


class _Database:
    """A throwaway database: a SQLite file in a temporary folder, or one on the local PostgreSQL."""

    def __init__(self, postgres: bool, folder: str, name: str):
        self.postgres = postgres
        self.name = f"crg_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}_{name}"
        if postgres:
            self.admin = "postgresql://postgres@127.0.0.1:5432/postgres"
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = f"postgresql://postgres@127.0.0.1:5432/{self.name}"
        else:
            self.url = f"sqlite:///{folder}/{name}.db"

    def _admin(self, sql: str) -> None:
        import psycopg2

        conn = psycopg2.connect(self.admin, connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.close()

    def drop(self) -> None:
        if self.postgres:
            from models import database

            if not database.is_closed():
                database.close()
            if hasattr(database.obj, "close_all"):
                database.obj.close_all()
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def query_counts(url: str) -> dict[str, int]:
    bench = Bench(url)
    return {name: len(bench.capture(path)[0]) for name, path in bench.pages.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=PROJECTS,
                        help="funded projects per partnership-year (default 60)")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--postgres", action="store_true", help="use 127.0.0.1:5432, not SQLite")
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)  # the request log would time the console, not the server

    with tempfile.TemporaryDirectory() as folder:
        small = _Database(args.postgres, folder, "small")
        big = _Database(args.postgres, folder, "big")
        try:
            seed(small.url, 5)
            few = query_counts(small.url)
            if small.postgres:
                small.drop()
            started = time.perf_counter()
            seed(big.url, args.projects)
            print(f"seeded {PARTNERSHIPS} partnerships x {len(YEARS)} years x {args.projects} "
                  f"projects ({'PostgreSQL' if args.postgres else 'SQLite'}) in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
            bench = Bench(big.url)
            results, ok = {}, True
            for name, path in bench.pages.items():
                queries = bench.prepare_floor(name, path)
                floor_path = "/bench-floor/" + re.sub(r"\W", "", name)
                bench.floors[re.sub(r"\W", "", name)] = bench.floors.pop(name)
                for _ in range(3):  # warm both up
                    bench.time(path), bench.time(floor_path)
                page_times, floor_times = [], []
                for _ in range(args.requests):
                    page_times.append(bench.time(path))
                    floor_times.append(bench.time(floor_path))
                page, floor = statistics.median(page_times), statistics.median(floor_times)
                results[name] = page / floor
                same = few[name] == queries
                ok = ok and same and page / floor <= GOAL_RATIO
                print(f"{name}: median {page * 1000:.1f} ms, floor {floor * 1000:.1f} ms "
                      f"(ratio {page / floor:.2f}); {queries} SQL queries, {few[name]} with 5 "
                      f"projects per year{'' if same else ' (NOT the same)'}", flush=True)
        finally:
            big.drop()
            if not small.postgres:
                small.drop()
    worst = max(results.values())
    print(f"RESULT ratio={worst:.2f} goal={GOAL_RATIO} {'ok' if ok else 'short'}")


if __name__ == "__main__":
    main()
