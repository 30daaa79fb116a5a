"""`crg progress` and `crg spend`: progress reports and spend on funded projects.

The command line acts as an admin; these only parse, call one service and print the outcome.
"""
from backend.cli.common import actor, parse_day
from backend.domain import directory, partnerships, progress, proposals, spend
from backend.domain.errors import InvalidInput
from backend.domain.money import ACCEPTED_FORMS, format_pence, parse_amount
from backend.domain.papers import measures


def register(subparsers) -> None:
    reports = subparsers.add_parser("progress", help="progress reports of funded projects")
    sub = reports.add_subparsers(dest="progress_command", required=True)
    add = sub.add_parser("report", help="record a progress report")
    _project_arguments(add)
    add.add_argument("--rag", required=True, help="red, amber or green")
    add.add_argument("--narrative", required=True, help="how the project is going, briefly")
    add.add_argument("--outputs", default="",
                     help='e.g. "2 of 6 sessions delivered, 80+ attendees"')
    add.add_argument("--period", default="", help="the period it reports on (default: the "
                     "quarter of its date, e.g. 2024/25 Q2)")
    add.add_argument("--date", help="the report's date, 2024-09-30 or 30/09/2024 (default today)")
    add.add_argument("--measure", action="append", default=[], metavar="NAME=NUMBER",
                     help='one of the partnership\'s measures, e.g. "sessions delivered=2" '
                          "(again for each)")
    add.add_argument("--explanation", default="", help="why spend is behind its planned "
                     "profile (required when it is behind by the partnership's percentage)")
    add.set_defaults(func=cmd_progress_report, needs_schema=True)
    show = sub.add_parser("show", help="a project's progress reports, newest first")
    _project_arguments(show)
    show.set_defaults(func=cmd_progress_show, needs_schema=True)

    money = subparsers.add_parser("spend", help="spend on approved projects")
    sub = money.add_subparsers(dest="spend_command", required=True)
    record = sub.add_parser("record", help="record money spent on an approved project")
    _project_arguments(record)
    record.add_argument("amount", help=ACCEPTED_FORMS)
    record.add_argument("--date", required=True, help="when it was spent: 2024-09-30 or 30/09/2024")
    record.add_argument("--for", dest="memo", required=True, help="what it was spent on")
    record.add_argument("--invoice", default="", help="the invoice or claim reference")
    record.set_defaults(func=cmd_spend_record, needs_schema=True)
    reverse = sub.add_parser("reverse", help="correct a spend line by a reversing entry")
    reverse.add_argument("line", type=int, help="the spend line's number (from the Spend sheet)")
    reverse.add_argument("--reason", required=True)
    reverse.set_defaults(func=cmd_spend_reverse, needs_schema=True)
    leads = sub.add_parser("leads", help="let project leads record their own project's spend")
    leads.add_argument("partnership")
    leads.add_argument("choice", choices=("on", "off"), metavar="on|off")
    leads.set_defaults(func=cmd_spend_leads, needs_schema=True)


def _project_arguments(parser) -> None:
    parser.add_argument("partnership")
    parser.add_argument("ref", metavar="REF", help="e.g. CRG-2024/25-007")


def _project(args) -> proposals.ProposalView:
    return proposals.find(partnerships.find_partnership(args.partnership).id, args.ref)


def cmd_progress_report(args, settings) -> None:
    project = _project(args)
    counted = {}
    for item in args.measure:
        name, equals, number = item.partition("=")
        if not equals:
            raise InvalidInput(f"Write each measure as NAME=NUMBER, e.g. \"sessions "
                               f"delivered=2\", not “{item}”.")
        counted[name.strip().lower()] = number
    report = measures.report(actor(), project.id, narrative=args.narrative, rag=args.rag,
                             outputs=args.outputs, period=args.period, on=parse_day(args.date),
                             measures=counted, explanation=args.explanation)
    print(f"Recorded progress on {project.ref} for {report.period}: {report.summary}")


def cmd_progress_show(args, settings) -> None:
    project = _project(args)
    reports = progress.reports_for(project.id)
    if not reports:
        print(f"{project.ref} has no progress reports yet.")
    known = directory.names(directory.people_in(r.reporter for r in reports))
    for report in reports:
        print(f"{report.period}  {report.summary}  "
              f"(by {directory.describe_actor(report.reporter, known)})")


def cmd_spend_record(args, settings) -> None:
    project = _project(args)
    line = spend.record(actor(), project.id, parse_amount(args.amount),
                        parse_day(args.date), args.memo, args.invoice)
    print(f"Recorded spend line {line.id}: {format_pence(line.amount_pence)} on {project.ref} "
          f"in Q{line.quarter}.")


def cmd_spend_reverse(args, settings) -> None:
    line = spend.reverse(actor(), args.line, args.reason)
    print(f"Reversed spend line {line.reversal_of} with line {line.id} "
          f"({format_pence(line.amount_pence)}).")


def cmd_spend_leads(args, settings) -> None:
    found = partnerships.find_partnership(args.partnership)
    allowed = spend.allow_leads_to_record_spend(actor(), found.id, args.choice == "on")
    print(f"In {found.name}, project leads {'may now' if allowed else 'may no longer'} record "
          "their own project's spend.")
