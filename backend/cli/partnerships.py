"""`crg partnership`, `crg year` and `crg pots`: setting partnerships up and reading their pots."""
import json

from backend.cli.common import actor
from backend.domain import fiscal, partnerships, rounds, times, years
from backend.domain.money import ACCEPTED_FORMS, format_pence, parse_amount
from backend.domain.papers import year_end
from backend.domain.pots import YearFigures, year_figures


def register(sub) -> None:
    part = sub.add_parser("partnership", help="partnerships").add_subparsers(dest="p_command",
                                                                            required=True)
    add = part.add_parser("add", help="add a partnership")
    add.add_argument("name")
    add.add_argument("--channel", action="append", metavar="CHANNEL_ID",
                     help="a Slack channel id; the first is the working-group channel")
    add.set_defaults(func=cmd_partnership_add, needs_schema=True)
    part.add_parser("list", help="list partnerships").set_defaults(func=cmd_partnership_list,
                                                                   needs_schema=True)
    chan = part.add_parser("channel", help="link a Slack channel to a partnership")
    chan.add_argument("partnership")
    chan.add_argument("channel", metavar="CHANNEL_ID")
    chan.add_argument("--working-group", action="store_true")
    chan.set_defaults(func=cmd_partnership_channel, needs_schema=True)

    year = sub.add_parser("year", help="financial years").add_subparsers(dest="y_command",
                                                                         required=True)
    opened = year.add_parser("open", help="open a financial year with its allocation")
    opened.add_argument("partnership")
    opened.add_argument("year", help="e.g. 2024/25")
    opened.add_argument("--allocation", required=True, help=ACCEPTED_FORMS)
    opened.add_argument("--split", default="2/3", help="upfront share (default 2/3)")
    opened.add_argument("--priority", action="append", help="a CSA priority (repeat); default: "
                        "last year's list")
    opened.set_defaults(func=cmd_year_open, needs_schema=True)
    close = year.add_parser("close-upfront", help="open the tactical pot once upfront is decided")
    close.add_argument("partnership")
    close.add_argument("year")
    close.set_defaults(func=cmd_year_close_upfront, needs_schema=True)
    ended = year.add_parser("close", help="close a year after its year-end return: afterwards "
                                          "only an admin's reversals of spend, with a reason")
    ended.add_argument("partnership")
    ended.add_argument("year")
    ended.set_defaults(func=cmd_year_close, needs_schema=True)

    pots = sub.add_parser("pots", help="show a year's pots and year-end figures")
    pots.add_argument("partnership")
    pots.add_argument("year", nargs="?")
    pots.add_argument("--json", action="store_true")
    pots.set_defaults(func=cmd_pots, needs_schema=True)


def cmd_partnership_add(args, settings):
    info = partnerships.add_partnership(actor(), args.name, args.channel or [])
    plural = "s" if len(info.channels) > 1 else ""
    channels = f" with channel{plural} {', '.join(info.channels)}" if info.channels else ""
    print(f"Added partnership {info.name}{channels}.")


def cmd_partnership_list(args, settings):
    found = partnerships.list_partnerships()
    if not found:
        print("No partnerships yet: add one with `crg partnership add NAME`.")
    for p in found:
        print(f"{p.name}  years: {', '.join(p.years) or '-'}  channels: {', '.join(p.channels) or '-'}")


def cmd_partnership_channel(args, settings):
    info = partnerships.add_channel(actor(), args.partnership, args.channel, args.working_group)
    print(f"{args.channel} now belongs to {info.name}.")


def cmd_year_open(args, settings):
    allocation = parse_amount(args.allocation, field="allocation")
    info = years.open_year(actor(), args.partnership, args.year, allocation,
                           split_rule=args.split, priorities=args.priority)
    print(f"Opened {info.label} for {info.partnership}: allocation {format_pence(allocation)}, "
          f"upfront {format_pence(info.upfront_pence)}, tactical {format_pence(info.tactical_pence)}.")


def cmd_year_close_upfront(args, settings):
    year = years.find_year(args.partnership, args.year)
    amount = rounds.close_upfront_round(actor(), year.id)
    print(f"The upfront round for {year.label} is closed; {format_pence(amount)} rolled into the "
          f"tactical pot, which is now open.")


def cmd_year_close(args, settings):
    done = year_end.close_year(actor(), args.partnership, args.year)
    print(f"{done.label} is closed, with {format_pence(done.underspend)} to return to the OPCC; "
          "from now on only an admin can correct its spend, by a reversal with a reason.")


def cmd_pots(args, settings):
    figures = year_figures(years.find_year(args.partnership, args.year))
    print(json.dumps(figures_json(figures), indent=2) if args.json else render_figures(figures))


def figures_json(f: YearFigures) -> dict:
    pots = {kind: {"allocated_pence": p.allocated, "committed_pence": p.committed,
                   "available_pence": p.available, "spent_pence": p.spent,
                   "earmarked_pence": p.earmarked, "locked": p.locked}
            for kind, p in f.pots.items()}
    return {"partnership": f.partnership, "year": f.label, "allocation_pence": f.allocation,
            "upfront_share_pence": f.upfront_share, "tactical_share_pence": f.tactical_share,
            "rolled_over_pence": f.rolled_over, "pots": pots,
            "year_end": {"uncommitted_pence": f.uncommitted,
                         "committed_unspent_pence": f.committed_unspent,
                         "underspend_pence": f.underspend}}


def render_figures(f: YearFigures) -> str:
    rows = [("Pot", "Allocated", "Committed", "Available", "Spent", "Earmarked")]
    for kind, p in f.pots.items():
        name = kind.capitalize() + (" (locked)" if p.locked else "")
        rows.append((name, *(format_pence(v) for v in (p.allocated, p.committed, p.available,
                                                        p.spent, p.earmarked))))
    totals = [sum(getattr(p, a) for p in f.pots.values())
              for a in ("allocated", "committed", "available", "spent", "earmarked")]
    rows.append(("Total", *(format_pence(v) for v in totals)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    table = "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                for i, (c, w) in enumerate(zip(r, widths))) for r in rows)
    rolled = f", {format_pence(f.rolled_over)} rolled over from upfront" if f.rolled_over else ""
    running = times.today_local() <= fiscal.last_day(fiscal.parse_year(f.label))
    return (f"{f.partnership}: {f.label}\n"
            f"Allocation {format_pence(f.allocation)} (upfront {format_pence(f.upfront_share)}, "
            f"tactical {format_pence(f.tactical_share)}{rolled})\n\n{table}\n\n"
            f"Year end{' so far' if running else ''}: uncommitted "
            f"{format_pence(f.uncommitted)}, committed but unspent "
            f"{format_pence(f.committed_unspent)}, underspend to return to the OPCC "
            f"{format_pence(f.underspend)}.")
