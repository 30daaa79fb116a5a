"""`crg scoring`: a partnership's shortlisting exercise on the command line: its criteria, who
has scored the open round (never what), and the last closed round's ranking with the running
total against the pot and where the money runs out. Read only: scoring itself is done in Slack.
"""
from backend.cli.common import actor
from backend.domain import directory, proposals, years
from backend.domain.errors import NotFound
from backend.domain.money import format_pence
from backend.domain.scoring import criteria, results, rounds
from backend.domain.scoring.words import figures, money_line, place


def register(subparsers) -> None:
    shown = subparsers.add_parser("scoring", help="the shortlisting exercise: criteria, who has "
                                  "scored, and the last closed ranking")
    shown.add_argument("partnership")
    shown.add_argument("year", nargs="?", metavar="YEAR", help="e.g. 2024/25 (default: the "
                       "partnership's current year)")
    shown.set_defaults(func=cmd_scoring, needs_schema=True)


def cmd_scoring(args, settings) -> None:
    year = years.find_year(args.partnership, args.year)
    print(f"Scoring criteria of {year.partnership.name}:")
    for c in criteria.current(year.partnership_id):
        print(f"  {c.number}. {c.name} ({c.low}–{c.high}, weight {c.weight})")
    for r in results.of_year(year.id, "open"):
        _, rows = rounds.progress(actor(), r.id)
        known = directory.names(row.member for row in rows)
        print(f"\nScoring is open for {r.meeting_title}:")
        for row in rows:
            left = f", {row.to_do} still to score" if row.to_do else ", done"
            print(f"  {directory.with_id(row.member, known)}: {row.scored} scored, "
                  f"{row.conflicts} conflicts{left}")
    try:
        r, ranking = results.ranking(results.last_closed_of_year(year.id).id)
    except NotFound:
        print(f"\nNo scoring round has closed in {year.label} yet.")
        return
    print(f"\nRanking for {r.meeting_title} (closed):")
    for s in ranking.standings:
        if s is ranking.first_over:
            print("  — the money runs out here —")
        p = proposals.get(s.proposal_id)
        print(f"  {place(s)}. {p.ref} {p.title} · {format_pence(s.amount_pence)} · "
              f"{figures(s, r)} · running total {format_pence(s.cumulative_pence)}")
    print(money_line(ranking))
