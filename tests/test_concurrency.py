"""Two processes approving against one pot at once never over-commit it (real PostgreSQL)."""
import multiprocessing
import threading

from backend.domain import decisions
from backend.domain.database import connect_database
from backend.domain.errors import Conflict, InsufficientFunds
from backend.domain.pots import year_figures
from models import FinancialYear, Proposal, database
from tests.builders import ADMIN, open_year, submit, to_opcc
from tests.conftest import _fresh_postgres

THREADS = 4


def _approver(url, ids, results):
    """One process: several threads, each trying to approve every proposal in its own order."""
    connect_database(url)

    def work(order):
        for pid in order:
            try:
                decisions.approve(ADMIN, pid, expected_status="submitted_to_opcc")
                results.put(("approved", pid, ""))
            except (Conflict, InsufficientFunds) as refusal:
                results.put((type(refusal).__name__, pid, refusal.message))
            except Exception as error:  # reported, so the test shows it rather than hanging
                results.put(("error", pid, repr(error)))
        database.close()

    threads = [threading.Thread(target=work, args=(ids if i % 2 == 0 else ids[::-1],))
               for i in range(THREADS)]
    [t.start() for t in threads]
    [t.join() for t in threads]


def _drain(queue):
    import queue as queue_module

    found = []
    while True:
        try:
            found.append(queue.get(timeout=2))
        except queue_module.Empty:
            return found


def test_processes_and_threads_never_over_commit_a_pot(postgres_url):
    url = _fresh_postgres(postgres_url)
    year = open_year(3_000_000)  # upfront pot £20,000
    ids = [submit(year, "2,500") for _ in range(12)]  # £30,000 asked for
    for pid in ids:
        to_opcc(pid)
    database.close()
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    workers = [ctx.Process(target=_approver, args=(url, ids if n == 0 else ids[::-1], results))
               for n in range(2)]
    [w.start() for w in workers]
    [w.join(timeout=120) for w in workers]
    assert all(w.exitcode == 0 for w in workers)
    outcomes = _drain(results)
    assert len(outcomes) == 2 * THREADS * len(ids)

    assert [o for o in outcomes if o[0] == "error"] == []
    approvals = [pid for kind, pid, _ in outcomes if kind == "approved"]
    assert len(approvals) == len(set(approvals)) == 8  # each once, and exactly what fits
    for kind, pid, message in outcomes:
        if kind == "InsufficientFunds":
            assert "has £0 available" in message or "available, so £2,500" in message
        elif kind == "Conflict":
            assert "already approved" in message
    pots = year_figures(FinancialYear.get_by_id(year.id)).pots
    assert pots["upfront"].committed == 2_000_000 and pots["upfront"].available == 0
    assert Proposal.select().where(Proposal.status == "approved").count() == 8


def test_threads_on_either_database_never_over_commit(db):
    year = open_year(900_000)  # upfront £6,000
    ids = [submit(year, "1,000") for _ in range(9)]
    for pid in ids:
        to_opcc(pid)
    barrier = threading.Barrier(3)
    won = []

    def work(order):
        barrier.wait()
        for pid in order:
            try:
                decisions.approve(ADMIN, pid)
                won.append(pid)
            except (Conflict, InsufficientFunds):
                pass
        database.close()

    threads = [threading.Thread(target=work, args=(o,)) for o in (ids, ids[::-1], ids[3:] + ids[:3])]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(won) == len(set(won)) == 6
    assert year_figures(FinancialYear.get_by_id(year.id)).pots["upfront"].available == 0


def test_submissions_racing_for_the_year_each_number_after_the_one_before(db):
    """Each submission reads the year's last number and the pot once it holds the year's lock,
    so one that waited for another's commit reads what that one wrote: every number once, no
    submission lost to a clash (a read made before the wait would repeat a number)."""
    year = open_year(900_000)
    barrier = threading.Barrier(4)
    made, failed = [], []

    def work():
        barrier.wait()
        for _ in range(8):
            try:
                made.append(submit(year, "10"))
            except Exception as error:  # noqa: BLE001 - the test shows any, rather than hanging
                failed.append(repr(error))
        database.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert failed == []
    numbers = sorted(p.number for p in Proposal.select().where(Proposal.year == year.id))
    assert numbers == list(range(1, 33)) and len(set(made)) == 32
