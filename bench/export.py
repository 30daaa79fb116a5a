"""Benchmark: the OPCC's all-partnerships spend sheet for 10,000 projects with 4 spend lines each.

    python bench/export.py [--projects N] [--postgres]

Seeds a throwaway database (a SQLite file; with --postgres a database it creates on the local
PostgreSQL at 127.0.0.1:5432 and drops afterwards), then runs, each in a fresh process so its
peak memory is its own:
  * the export: `crg export --all` as the service does it (queries, shaping, writing);
  * the floor: XlsxWriter, in the same constant_memory mode and page set-up as the export,
    writing the same cells (each formula with its cached value) with the same formats and row
    heights, from rows already in memory and already shaped (read, converted to pounds and
    measured before the clock starts), so it runs no query and no shaping at all. Since the
    export moved from openpyxl to XlsxWriter this is the fair floor: the library the export
    uses, doing nothing but writing;
  * the export again on a database with 1% of the projects, to show the number of SQL queries
    does not depend on the number of projects.
Each of the first two runs three times, interleaved, and the best time of each counts. Goal:
export ≤ 1.5 × floor, peak memory < 150 MB, equal query counts. The last line is
`RESULT ratio=<export/floor> goal=1.5 ok|short` (ok only when all three goals hold).

The seed writes rows directly (insert_many) rather than through the services, which would take
many minutes for 10,000 projects; it keeps the ledger consistent with the proposals, and the
export itself refuses to run if the project rows and the ledger disagree.
"""
import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PARTNERSHIPS = 12
SPEND_LINES = 4
GOAL_RATIO, GOAL_MB = 1.5, 150
ROUNDS = 3
ORGANISATIONS = ("County Council", "District Council", "Police", "Fire and Rescue", "Probation",
                 "Victim Support", "Youth Offending Service", "Community Trust")
PRIORITIES = ("Preventing Neighbourhood Crime & ASB", "Domestic Abuse", "Substance Misuse",
              "Road Safety", "Violence Against Women and Girls")


def seed(url: str, projects: int) -> None:
    """Partnerships with a 2024/25 year each, every project approved, spent in all four quarters."""
    from backend.domain.database import connect_database, upgrade, write_transaction
    from models import FinancialYear, LedgerEntry, Partnership, Pot, Priority, database

    connect_database(url)
    upgrade()
    rng = random.Random(7)
    now = datetime(2025, 4, 2, 9, 0)
    per = [projects // PARTNERSHIPS + (1 if i < projects % PARTNERSHIPS else 0)
           for i in range(PARTNERSHIPS)]
    with write_transaction():
        for index, count in enumerate(per):
            amounts = [rng.randint(2_000, 7_000) * 100 + rng.choice((0, 0, 0, 50))
                       for _ in range(count)]
            upfront_n = count * 3 // 5
            upfront_sum, tactical_sum = sum(amounts[:upfront_n]), sum(amounts[upfront_n:])
            needed = max(upfront_sum * 3 // 2, upfront_sum + tactical_sum)
            allocation = (needed // 100 + 1_000) * 100
            upfront_share = allocation * 2 // 3 // 100 * 100
            p = Partnership.create(name=f"Bench CSP {index + 1:02d}", created_at=now)
            y = FinancialYear.create(partnership=p, start_year=2024, label="2024/25",
                                     allocation_pence=allocation, upfront_pence=upfront_share,
                                     tactical_pence=allocation - upfront_share, split_rule="2/3",
                                     opened_at=now, rolled_over_at=now)
            for position, name in enumerate(PRIORITIES):
                Priority.create(year=y, name=name, position=position)
            pots = {k: Pot.create(year=y, kind=k) for k in ("upfront", "tactical")}
            rolled = upfront_share - upfront_sum
            entry = dict(memo="", reference="", actor="bench", created_at=now)
            LedgerEntry.insert_many([
                dict(pot=pots["upfront"], kind="allocation", amount_pence=upfront_share, **entry),
                dict(pot=pots["tactical"], kind="allocation",
                     amount_pence=allocation - upfront_share, **entry),
                dict(pot=pots["upfront"], kind="rollover_out", amount_pence=rolled, **entry),
                dict(pot=pots["tactical"], kind="rollover_in", amount_pence=rolled, **entry),
            ]).execute()
            _seed_projects(rng, y, pots, amounts, upfront_n, now)
    database.close()


def _seed_projects(rng, year, pots, amounts, upfront_n, now) -> None:
    from models import AuditRecord, LedgerEntry, Proposal
    from models.progress import ProgressReport

    rows = []
    for n, amount in enumerate(amounts, 1):
        decided = now - timedelta(days=300 - n % 200)
        rows.append(dict(
            year=year, number=n, pot="upfront" if n <= upfront_n else "tactical",
            status="approved", title=f"Project {n}: {rng.choice(PRIORITIES).lower()} work",
            lead_organisation=rng.choice(ORGANISATIONS), contact_name=f"Contact {n}",
            contact_slack_id=f"U{n:08d}", proposer_slack_id=f"U{n:08d}",
            description="A project of the benchmark.",
            priorities=json.dumps([rng.choice(PRIORITIES)]), amount_pence=amount,
            approved_pence=amount, planned_start=date(2024, 6, 1), planned_end=date(2025, 3, 1),
            wg_decided_at=decided - timedelta(days=20), pcc_decided_at=decided,
            created_at=decided - timedelta(days=40), updated_at=decided))
    for batch in _chunks(rows, 400):
        Proposal.insert_many(batch).execute()
    ids = dict(Proposal.select(Proposal.number, Proposal.id).where(Proposal.year == year).tuples())
    entries, audits, reports = [], [], []
    quarter_days = (date(2024, 5, 15), date(2024, 8, 15), date(2024, 11, 15), date(2025, 2, 15))
    for n, amount in enumerate(amounts, 1):
        pid, pot = ids[n], pots["upfront" if n <= upfront_n else "tactical"]
        base = dict(pot=pot, proposal=pid, actor="bench", created_at=now)
        entries.append(dict(kind="commitment", amount_pence=amount, occurred_on=None,
                            memo="PCC approval", reference="", **base))
        for day in quarter_days[:SPEND_LINES]:
            entries.append(dict(kind="spend", amount_pence=amount // 10, occurred_on=day,
                                memo="Delivery costs", reference=f"INV-{pid}-{day.month}", **base))
        at = now - timedelta(days=300 - n % 200)
        for action, before, after in (("submit", None, "submitted"),
                                      ("shortlist", "submitted", "shortlisted"),
                                      ("support", "shortlisted", "supported"),
                                      ("submit_to_opcc", "supported", "submitted_to_opcc"),
                                      ("approve", "submitted_to_opcc", "approved")):
            audits.append(dict(at=at, actor="U0CHAIR (Chris Chair)", action=f"proposal.{action}",
                               entity="proposal", entity_id=pid, partnership_id=year.partnership_id,
                               before=json.dumps({"status": before} if before else {}),
                               after=json.dumps({"status": after, "note": ""})))
        for k in range(1 + (n % 3 == 0)):
            reports.append(dict(proposal=pid, reported_on=date(2024, 9, 1 + k), period="2024/25 Q2",
                                narrative="Sessions running to plan.",
                                outputs=f"{k + 2} of 6 sessions",
                                rag=("green", "amber")[k], reporter="bench", created_at=now))
    for model, batch_rows in ((LedgerEntry, entries), (AuditRecord, audits),
                              (ProgressReport, reports)):
        for batch in _chunks(batch_rows, 400):
            model.insert_many(batch).execute()


def _chunks(rows, size):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def child_export(url: str, out: str) -> dict:
    from backend.domain.actors import command_line
    from backend.domain.database import connect_database
    from backend.domain.exports import service
    from models import database

    connect_database(url)
    queries = []
    real = database.obj.execute_sql
    database.obj.execute_sql = lambda sql, *a, **k: queries.append(sql) or real(sql, *a, **k)
    started = time.perf_counter()
    selection = service.select(command_line("bench"), year_label="2024/25", all_partnerships=True)
    service.write_spend_sheet(selection, out)
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(),
            "queries": len(queries)}


def child_floor(url: str, out: str) -> dict:
    """XlsxWriter writing the export's cells from memory, in the same constant_memory mode and
    page set-up: every value converted, every row height worked out, before the clock starts."""
    import xlsxwriter

    from backend.domain.database import connect_database
    from backend.domain.exports.data import gather
    from backend.domain.exports.workbook import sheet_rows
    from backend.domain.exports.xlsx import NUMBER_FORMATS, OPTIONS
    from models import FinancialYear

    connect_database(url)
    data = gather([y.id for y in FinancialYear.select(FinancialYear.id)])
    plan = [(title, columns, [_cells(row, columns) for row in rows])
            for title, columns, rows in sheet_rows(data)]
    years = len(data.years)
    del data

    started = time.perf_counter()
    workbook = xlsxwriter.Workbook(out, OPTIONS)
    made = {}

    def fmt(column, quoted, bold):
        key = (column.style, column.wrap, quoted, bold)
        if key not in made:
            made[key] = workbook.add_format({"valign": "top", "text_wrap": column.wrap,
                                             "quote_prefix": quoted, "bold": bold,
                                             "num_format": NUMBER_FORMATS.get(column.style, 0)})
        return made[key]

    header = workbook.add_format({"bold": True, "bg_color": "#DDE5F0", "valign": "top",
                                  "text_wrap": True, "bottom": 1})
    for title, columns, rows in plan:
        ws = workbook.add_worksheet(title)
        for i, column in enumerate(columns):
            ws.set_column(i, i, column.width)
            ws.write_string(0, i, column.header, header)
        ws.freeze_panes(1, 0)
        ws.repeat_rows(0)
        ws.set_paper(9)
        ws.set_landscape()
        ws.set_header("&L&BCrime Reduction Grant spend sheet&B&R&A")
        ws.set_footer("&CPage &P of &N")
        ws.fit_to_pages(1, 1 if title == "Summary" else 0)
        formats = {bold: [(fmt(c, False, bold), fmt(c, True, bold)) for c in columns]
                   for bold in (False, True)}
        for r, (height, bold, cells) in enumerate(rows, 1):
            if height:
                ws.set_row(r, height)
            row_formats = formats[bold]
            for col, kind, value, extra in cells:
                if kind == "s":
                    ws.write_string(r, col, value, row_formats[col][extra])
                elif kind == "f":
                    ws.write_formula(r, col, value, row_formats[col][0], extra)
                elif kind == "d":
                    ws.write_datetime(r, col, value, row_formats[col][0])
                else:
                    ws.write_number(r, col, value, row_formats[col][0])
        last = len(rows) if title != "Summary" else years
        ws.autofilter(0, 0, last, len(columns) - 1)
    workbook.close()
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), "queries": 0}


def _cells(row, columns) -> tuple:
    """One row of the export as the floor writes it: (row height, bold, [(column, kind, value,
    extra)]), with pence in pounds, text through the same guard and heights worked out."""
    from datetime import date

    from backend.domain.exports import fit
    from backend.domain.exports.data import pounds
    from backend.domain.exports.workbook import Note, TotalRow
    from backend.domain.exports.xlsx import Formula, as_text

    if type(row) is Note:
        return None, False, [(0, "s", as_text(row)[0], False)]
    cells, lines = [], 1
    for col, (value, column) in enumerate(zip(row, columns)):
        money = column.style == "gbp"
        if value is None:
            continue
        if isinstance(value, str):
            text, quoted = as_text(value)
            cells.append((col, "s", text, quoted))
            if column.wrap:
                lines = max(lines, fit.lines(value, column.width))
        elif type(value) is Formula:
            cells.append((col, "f", value.text, pounds(value.value) if money else value.value))
        elif isinstance(value, date):
            cells.append((col, "d", value, None))
        else:
            cells.append((col, "n", pounds(value) if money else value, None))
    return fit.row_points(lines), type(row) is TotalRow, cells


def _run_child(kind: str, url: str, out: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", kind, url, out], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        sys.exit(f"the {kind} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="use 127.0.0.1:5432, not SQLite")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url, out = args.child
        print(json.dumps((child_export if kind == "export" else child_floor)(url, out)))
        return

    with tempfile.TemporaryDirectory() as folder:
        big = _Database(args.postgres, folder, "big")
        small = _Database(args.postgres, folder, "small")
        try:
            started = time.perf_counter()
            seed(big.url, args.projects)
            seed(small.url, max(PARTNERSHIPS, args.projects // 100))
            print(f"seeded {args.projects:,} projects with {SPEND_LINES} spend lines each in "
                  f"{PARTNERSHIPS} partnerships ({'PostgreSQL' if args.postgres else 'SQLite'}) "
                  f"in {time.perf_counter() - started:.1f} s", flush=True)
            runs = {"export": [], "floor": []}
            for _ in range(ROUNDS):  # interleaved, best of each: a busy machine slows both alike
                for kind in runs:
                    runs[kind].append(_run_child(kind, big.url, f"{folder}/{kind}.xlsx"))
            export, floor = (min(runs[k], key=lambda r: r["seconds"]) for k in ("export", "floor"))
            export["peak_mb"] = max(r["peak_mb"] for r in runs["export"])
            size = os.path.getsize(f"{folder}/export.xlsx")
            few = _run_child("export", small.url, f"{folder}/small.xlsx")
        finally:
            big.drop()
            small.drop()
    ratio = export["seconds"] / floor["seconds"]
    for kind, done in runs.items():
        print(f"{kind} runs: " + ", ".join(f"{r['seconds']:.2f} s" for r in done))
    print(f"export: {export['seconds']:.2f} s, peak {export['peak_mb']:.0f} MB, "
          f"{export['queries']} SQL queries ({size / 1e6:.1f} MB workbook)")
    print(f"floor (XlsxWriter constant_memory, same cells, no queries): {floor['seconds']:.2f} s, "
          f"peak {floor['peak_mb']:.0f} MB")
    print(f"queries with {max(PARTNERSHIPS, args.projects // 100):,} projects: {few['queries']}")
    ok = ratio <= GOAL_RATIO and export["peak_mb"] < GOAL_MB and few["queries"] == export["queries"]
    print(f"RESULT ratio={ratio:.2f} goal={GOAL_RATIO} {'ok' if ok else 'short'}")


if __name__ == "__main__":
    main()
