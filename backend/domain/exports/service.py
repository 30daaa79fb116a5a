"""Which partnership-years an export covers, and who may take it: what every front calls.

A partnership's own sheet is for its finance staff, chairs and admins; the OPCC's workbook
across all partnerships only for the admins named in ADMIN_SLACK_IDS and the command line.
"""
import re
from contextlib import contextmanager
from dataclasses import dataclass

from backend.domain import fiscal, times, years
from backend.domain.actors import Actor
from backend.domain.database import is_postgres
from backend.domain.errors import NotFound
from backend.domain.exports import giving360
from backend.domain.exports.data import gather
from backend.domain.exports.workbook import write_workbook
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.permissions import refuse, require
from backend.settings import Settings
from models import database


@dataclass(frozen=True)
class Selection:
    year_ids: tuple[int, ...]
    title: str  # "Northshire CSP 2024/25", "All partnerships 2024/25"
    file_stem: str  # "crg-northshire-csp-2024-25"


def select(actor: Actor, partnership=None, year_label: str | None = None, *,
           all_partnerships: bool = False) -> Selection:
    """One partnership's year (its current one by default), or every partnership's year."""
    if all_partnerships:
        if not actor.superadmin:
            refuse(actor, None, "Only an admin named in ADMIN_SLACK_IDS or the command line can "
                                "export every partnership at once.",
                   "tried to export every partnership's spend sheet")
        start, ids = years.ids_of_every_partnership(year_label)
        label = fiscal.label(start)
        return Selection(ids, f"All partnerships {label}", f"crg-all-partnerships-{_slug(label)}")
    if partnership is None:
        raise NotFound("Say which partnership to export, or ask for all of them.")
    year = years.find_year(partnership, year_label)
    may_export(actor, year.partnership_id)
    name = year.partnership.name
    return Selection((year.id,), f"{name} {year.label}",
                     f"crg-{_slug(name)}-{_slug(year.label)}")


def may_export(actor: Actor, partnership_id: int) -> None:
    """Who may take a partnership's spend sheet and 360Giving file, from Slack, the command line
    or the finance page: its finance staff, chairs and admins."""
    require(actor, partnership_id, "finance", "chair", doing="export the spend sheet")


FILES = ("spend_sheet", "giving360")


def send_file(actor: Actor, selection: Selection, kind: str) -> None:
    """The spend sheet (`spend_sheet`) or the 360Giving file (`giving360`) of the selection, to
    the person's DM. It is made as it is sent, so it shows the ledger at that moment."""
    if kind not in FILES:
        raise ValueError(f"unknown file: {kind}")
    asked = times.to_local(times.now()).strftime("%-d %b %Y %H:%M:%S")
    notes.tell(Note(actor.id, "export", kind,
                    {"year_ids": list(selection.year_ids), "title": selection.title,
                     "file_stem": selection.file_stem, "asked": asked}, kind="upload"))


def write_spend_sheet(selection: Selection, out) -> None:
    """The OPCC spend-sheet workbook of the selection, to a path or a binary file."""
    with snapshot():
        write_workbook(gather(selection.year_ids), out, title=selection.title)


def giving360_package(selection: Selection, settings: Settings) -> dict:
    """The selection's funded projects as a 360Giving data package (a JSON-ready dict)."""
    with snapshot():
        return giving360.package(gather(selection.year_ids), settings, title=selection.title)


@contextmanager
def snapshot():
    """One read transaction that sees a single moment of the database throughout.

    An export reads the ledger, the projects and then streams the spend lines in several
    queries; a spend recorded or a project approved between two of them would make the sheet
    disagree with itself. SQLite's read transaction is a snapshot already; PostgreSQL's default
    (read committed) is not, so it is asked for repeatable read.
    """
    with database.atomic():
        if is_postgres():
            database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "export"
