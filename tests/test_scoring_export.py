"""The spend sheet's Scoring sheet, read back: every closed round's scores, who gave them and
when, each figure compared with the scoring results; nothing from a round still open."""
import io
from datetime import timedelta

import openpyxl

from backend.domain import meetings, people, times
from backend.domain.actors import Actor, command_line
from backend.domain.exports import service
from backend.domain.scoring import results, rounds, scores
from tests.builders import ADMIN, open_year, submit

MEM1, MEM2 = Actor("U0MEM1", "Mo"), Actor("U0MEM2", "Meg")


def _sheet(name, shown_as=None):
    """The Scoring sheet's rows; with a dict `shown_as`, each column's number formats too."""
    selection = service.select(command_line("tests"), name, "2024/25")
    out = io.BytesIO()
    service.write_spend_sheet(selection, out)
    out.seek(0)
    ws = openpyxl.load_workbook(out)["Scoring"]
    headers = [c.value for c in ws[1]]
    rows = [row for row in ws.iter_rows(min_row=2) if row[0].value and row[1].value]
    for header, cells in zip(headers, zip(*rows)) if shown_as is not None else ():
        shown_as[header] = {c.number_format for c in cells if c.value is not None}
    return [dict(zip(headers, (c.value for c in row))) for row in rows]


def test_the_scoring_sheet_lists_who_scored_what_when(db):
    year = open_year(3_000_000, name="Scoring CSP")
    for actor in (MEM1, MEM2):
        people.grant(ADMIN, year.partnership_id, actor.id, "member")
    held = times.to_local(times.now()).replace(tzinfo=None) + timedelta(days=10)
    meetings.schedule(ADMIN, year.id, held, held - timedelta(days=3), "=April meeting")
    walks, signs = (submit(year, "9,000", title="Walks"), submit(year, "8,000", title="+Signs"))
    r = rounds.open_round(ADMIN, year.id)

    def typed(*values):
        return {rule.id: str(v) for rule, v in zip(r.rules, values)}

    scores.score(MEM1, r.id, walks, typed(5, 4, 4, 4, 3), "=cmd|' /C calc'!A0")
    scores.score(MEM2, r.id, walks, typed(2, 2, 2, 2, 2))
    scores.declare_conflict(MEM2, r.id, signs, "I work there")
    assert _sheet("Scoring CSP") == []  # open: nothing shows
    rounds.close_round(ADMIN, r.id)

    formats = {}
    rows = _sheet("Scoring CSP", formats)
    # Exact values, shown to two places by the cell (halves up, as Slack shows them).
    assert formats["Mean"] == formats["Member's score"] == {"0.00"}
    _, ranking = results.ranking(r.id)
    expected = []
    for line in results.closed_sheets_of_years([year.id]):
        g = line.given
        expected.append({
            "Partnership": "Scoring CSP", "Year": "2024/25", "Meeting": "=April meeting",
            "Reference": f"CRG-2024/25-{line.number:03d}", "Project": line.title,
            "Rank": None if line.standing.rank is None else str(line.standing.rank),
            "Mean": None if line.standing.mean is None else float(line.standing.mean),
            "Member": f"{g.member} (name not known yet)",
            "Scores": "; ".join(f"{n} {v}" for n, v in g.values) or None,
            "Member's score": None if g.weighted is None else float(g.weighted),
            "Conflict": "Declared" if g.conflict else None, "Comment": g.comment or None,
            "First scored": times.to_local(g.scored_at).replace(tzinfo=None),
            "Last changed": times.to_local(g.updated_at).replace(tzinfo=None)})
    for row, wanted in zip(rows, expected):  # a spreadsheet keeps times to about a millisecond
        for key in ("First scored", "Last changed"):
            assert abs(row.pop(key) - wanted.pop(key)) < timedelta(milliseconds=5)
    assert rows == expected
    assert [(row["Reference"], row["Member"][:6], row["Mean"], row["Member's score"])
            for row in rows] == [("CRG-2024/25-001", "U0MEM1", 3.0, 4.0),
                                 ("CRG-2024/25-001", "U0MEM2", 3.0, 2.0),
                                 ("CRG-2024/25-002", "U0MEM2", None, None)]
    assert rows[0]["Scores"].startswith("Fit with the Community Safety Agreement priorities 5;")
    assert rows[0]["Comment"] == "=cmd|' /C calc'!A0"  # kept as text, never a formula
    assert rows[2]["Conflict"] == "Declared" and rows[2]["Comment"] == "I work there"
    assert ranking.standings[0].proposal_id == walks
