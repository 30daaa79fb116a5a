"""The year-end return: per project its approved, spent and unspent amount and final status;
per pot the uncommitted money; the underspend to hand back to the OPCC and which projects it
comes from; and closing the year once it is made.

Read through the spend sheet's own reader (`exports.data.gather`, checked against the ledger
before anything is written), so the return and the spend sheet agree to the penny.
"""
from backend.domain import closure
from backend.domain.actors import Actor
from backend.domain.exports.data import ExportData, ProjectRow, YearRow, gather
from backend.domain.exports.layout import Column
from backend.domain.exports.xlsx import Formula
from backend.domain.papers import workbooks
from backend.domain.papers.workbooks import Group, Sheet, value_of
from backend.domain.pots import year_figures
from backend.domain.workflow import STATUS_LABELS
from backend.domain.years import find_year

PROJECTS = (Column("Partnership", 16, wrap=True), Column("Year", 8), Column("Reference", 17),
            Column("Title", 25, wrap=True), Column("Lead organisation", 15, wrap=True),
            Column("Pot", 8.5), Column("Approved", 11, "gbp"), Column("Spent", 11, "gbp"),
            Column("Unspent (returned)", 11, "gbp"), Column("Final status", 16, wrap=True),
            Column("RAG", 8), Column("Latest progress", 30, wrap=True))
POTS = (Column("Partnership", 16, wrap=True), Column("Year", 8), Column("Pot", 10),
        Column("Allocated", 12, "gbp"), Column("Approved to projects", 12, "gbp"),
        Column("Spent", 12, "gbp"), Column("Uncommitted", 12, "gbp"),
        Column("Approved but unspent", 12, "gbp"), Column("Underspend to return", 12, "gbp"))


def _unspent(values: list, row: int, at: dict) -> dict[str, Formula]:
    index = {h: i for i, h in enumerate(at)}
    approved, spent = (value_of(values[index[h]]) for h in ("Approved", "Spent"))
    return {"Unspent (returned)": Formula(f"{at['Approved']}{row}-{at['Spent']}{row}",
                                          approved - spent)}


def _pot_figures(values: list, row: int, at: dict) -> dict[str, Formula]:
    index = {h: i for i, h in enumerate(at)}
    allocated, approved, spent = (value_of(values[index[h]]) for h in (
        "Allocated", "Approved to projects", "Spent"))
    a, c, s = at["Allocated"], at["Approved to projects"], at["Spent"]
    return {"Uncommitted": Formula(f"{a}{row}-{c}{row}", allocated - approved),
            "Approved but unspent": Formula(f"{c}{row}-{s}{row}", approved - spent),
            "Underspend to return": Formula(f"{a}{row}-{s}{row}", allocated - spent)}


def _project(p: ProjectRow) -> list:
    return [p.partnership, p.year_label, p.ref, p.title, p.lead_organisation, p.pot.capitalize(),
            p.approved_pence, p.spent, None, STATUS_LABELS.get(p.status, p.status),
            p.latest.rag.capitalize() if p.latest else "Not reported",
            p.latest.summary if p.latest else "No progress reported yet."]


def _pots(y: YearRow) -> list[list]:
    return [[y.partnership, y.label, kind.capitalize(), pot.allocated, pot.committed, pot.spent,
             None, None, None] for kind, pot in y.figures.pots.items()]


def sheets(data: ExportData) -> list[Sheet]:
    groups = [Group(y.partnership, y.label,
                    {kind: [_project(p) for p in data.projects
                            if p.year_id == y.id and p.pot == kind]
                     for kind in workbooks.POTS}) for y in data.years]
    pots = [Group(y.partnership, y.label, {"": _pots(y)}) for y in data.years]
    return [Sheet("Projects", PROJECTS, groups, _unspent, ("Approved", "Spent"),
                  ("Unspent is approved less spent: the money each project hands back. "
                   f"{workbooks.generated()}.",)),
            Sheet("Pots", POTS, pots, _pot_figures,
                  ("Allocated", "Approved to projects", "Spent"),
                  ("The underspend to return is what was allocated less what was spent: the "
                   "pots' uncommitted money and the projects' unspent money.",))]


def write_year_end(year_ids, out, title: str) -> None:
    workbooks.write(sheets(gather(year_ids)), out, title, "year-end return", "Year-end return")


def close_year(actor: Actor, partnership, year_label: str | None = None) -> closure.Closed:
    """Close a partnership's year after its year-end return (admins; after 31 March)."""
    year = find_year(partnership, year_label)
    return closure.close(actor, year, year_figures(year).underspend)
