"""An export costs the same number of SQL queries for 10 projects as for 100, on both databases."""
import io
from contextlib import contextmanager
from datetime import date

from backend.domain import conditions, decisions, progress, spend
from backend.domain.actors import command_line
from backend.domain.exports import service
from backend.settings import Settings
from models import database
from tests.builders import ADMIN, open_year, submit, to_opcc


@contextmanager
def count_queries():
    """Every SQL statement run inside the block, in order."""
    seen = []
    real = database.obj.execute_sql

    def counting(sql, *args, **kwargs):
        seen.append(sql)
        return real(sql, *args, **kwargs)

    database.obj.execute_sql = counting
    try:
        yield seen
    finally:
        del database.obj.execute_sql


def _partnership_with(projects: int, name: str) -> None:
    year = open_year(projects * 300_000, name=name)
    pids = [submit(year, "1,000", title=f"Project {n}") for n in range(projects)]
    for n, pid in enumerate(pids):
        to_opcc(pid)
        decisions.approve(ADMIN, pid)
        spend.record(ADMIN, pid, 10_000, date(2024, 7, 1), "Delivery")
        if n % 3 == 0:
            progress.record(ADMIN, pid, narrative="On track", rag="green", on=date(2024, 8, 1))
        if n % 2 == 0:  # the Conditions sheet reads each with its project's reference
            conditions.add_to_project(ADMIN, pid, "Quarterly report", "", "year_end")


def _queries_to_export(name: str) -> int:
    selection = service.select(command_line("tests"), name, "2024/25")
    with count_queries() as queries:
        service.write_spend_sheet(selection, io.BytesIO())
        service.giving360_package(selection, Settings())
    return len(queries)


def test_query_count_does_not_grow_with_projects(db):
    _partnership_with(10, "Small CSP")
    _partnership_with(100, "Large CSP")
    small, large = _queries_to_export("Small CSP"), _queries_to_export("Large CSP")
    assert small == large
    assert small <= 20
