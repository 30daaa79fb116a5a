"""The OPCC monitoring return as a workbook: one row per funded project, totals per pot, per
partnership and, in the OPCC's version, across every partnership (`workbooks`)."""
from backend.domain.exports.layout import Column
from backend.domain.exports.xlsx import Formula
from backend.domain.papers import workbooks
from backend.domain.papers.monitoring import MonitoringReturn, ReturnRow
from backend.domain.papers.workbooks import Group, Sheet, value_of

LEAD = (Column("Partnership", 16, wrap=True), Column("Year", 8), Column("Reference", 17),
        Column("Title", 25, wrap=True), Column("Lead organisation", 15, wrap=True),
        Column("Pot", 8.5), Column("Approved", 11, "gbp"), Column("Planned to date", 11, "gbp"),
        Column("Spent to date", 11, "gbp"), Column("Variance", 11, "gbp"),
        Column("Variance %", 9, "percent"), Column("Explanation of variance", 28, wrap=True),
        Column("RAG", 8))
TAIL = (Column("Latest progress", 30, wrap=True), Column("Reported on", 11, "date"),
        Column("Conditions outstanding", 24, wrap=True))
MONEY = ("Approved", "Planned to date", "Spent to date")


def columns(measures: tuple[str, ...]) -> tuple[Column, ...]:
    return LEAD + tuple(Column(m.capitalize(), 11, "number", wrap=True) for m in measures) + TAIL


def variance(values: list, row: int, at: dict) -> dict[str, Formula]:
    """Spent less planned, and that as a share of planned (0 where nothing was planned)."""
    index = {h: i for i, h in enumerate(at)}
    planned = value_of(values[index["Planned to date"]])
    spent = value_of(values[index["Spent to date"]])
    p, s, v = at["Planned to date"], at["Spent to date"], at["Variance"]
    return {"Variance": Formula(f"{s}{row}-{p}{row}", spent - planned),
            "Variance %": Formula(f"IF({p}{row}=0,0,{v}{row}/{p}{row})",
                                  (spent - planned) / planned if planned else 0)}


def _values(row: ReturnRow, measures: tuple[str, ...]) -> list:
    p = row.project
    return ([p.partnership, p.year_label, p.ref, p.title, p.lead_organisation,
             p.pot.capitalize(), p.approved, p.planned, p.spent, None, None, row.explanation,
             (p.rag or "not reported").capitalize()]
            + [row.measures.get(m, 0) for m in measures] + [row.narrative, row.reported_on,
                                                       "; ".join(row.outstanding) or "None"])


def write_monitoring(ret: MonitoringReturn, out) -> None:
    groups = [Group(y.partnership, y.label,
                    {kind: [_values(r, ret.measures) for r in ret.rows[y.year_id]
                            if r.project.pot == kind] for kind in workbooks.POTS})
              for y in ret.years]
    sheet = Sheet("Return", columns(ret.measures), groups, variance,
                  MONEY + tuple(m.capitalize() for m in ret.measures),
                  (f"{ret.period_label} monitoring return: planned and spent to "
                   f"{ret.as_at:%-d %B %Y}. {workbooks.generated()}.",
                   "Variance is spent less planned to date (negative: behind the planned "
                   "profile); the explanation is the one given with the latest progress "
                   "report. Totals are formulas over the project rows."))
    workbooks.write([sheet], out, ret.title, "monitoring return",
                    f"{ret.period_label} return as at {ret.as_at:%-d %b %Y}")
