"""`crg export`, `crg export360`, `crg progress` and `crg spend`: the command line's way in.

The command line acts as an admin; these only parse, call one service and print the outcome.
"""
import json
import os
from datetime import date, datetime

from backend import partnerships, progress, proposals, spend
from backend.cli import actor
from backend.errors import InvalidInput
from backend.exports import service
from backend.money import ACCEPTED_FORMS, format_pence, parse_amount


def register(subparsers) -> None:
    for name, func, what in (("export", cmd_export, "the OPCC spend-sheet workbook (.xlsx)"),
                             ("export360", cmd_export360,
                              "the funded projects as a 360Giving data package (.json)")):
        sheet = subparsers.add_parser(name, help=what)
        sheet.add_argument("target", nargs="*", metavar="PARTNERSHIP [YEAR]",
                           help="a partnership and optionally a year (default: its current one); "
                                "with --all only the year")
        sheet.add_argument("--all", action="store_true", dest="all_partnerships",
                           help="every partnership's year in one file, for the OPCC")
        sheet.add_argument("--out", metavar="FILE", help="where to write it (default: a name "
                           "made from the partnership and year, in this folder); - for stdout")
        sheet.set_defaults(func=func, needs_schema=True)

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
    leads.add_argument("choice", choices=("on", "off"))
    leads.set_defaults(func=cmd_spend_leads, needs_schema=True)


def _project_arguments(parser) -> None:
    parser.add_argument("partnership")
    parser.add_argument("ref", metavar="REF", help="e.g. CRG-2024/25-007")


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    raise InvalidInput(f"“{text}” is not a date: write it like 2024-09-30 or 30/09/2024.",
                       field="date")


def _selection(args) -> service.Selection:
    target = list(args.target)
    limit = 1 if args.all_partnerships else 2
    if len(target) > limit:
        raise InvalidInput("Give a partnership and a year (or, with --all, only a year).")
    if args.all_partnerships:
        return service.select(actor(), year_label=target[0] if target else None,
                              all_partnerships=True)
    if not target:
        raise InvalidInput("Say which partnership to export, or use --all for every partnership.")
    return service.select(actor(), target[0], target[1] if len(target) > 1 else None)


def cmd_export(args, settings) -> None:
    selection = _selection(args)
    path = args.out or f"{selection.file_stem}.xlsx"
    if path == "-":
        raise InvalidInput("A workbook cannot go to standard output; give --out FILE.")
    _check_folder(path)
    service.write_spend_sheet(selection, path)
    print(f"Wrote the spend sheet for {selection.title} to {path}.")


def cmd_export360(args, settings) -> None:
    selection = _selection(args)
    text = json.dumps(service.giving360_package(selection, settings), indent=2, ensure_ascii=False)
    path = args.out or f"{selection.file_stem}-360giving.json"
    if path == "-":
        print(text)
        return
    _check_folder(path)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    print(f"Wrote the 360Giving package for {selection.title} to {path}.")


def _check_folder(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidInput(f"There is no folder {folder} to write {os.path.basename(path)} into.")


def _project(args) -> proposals.ProposalView:
    return proposals.find(partnerships.find_partnership(args.partnership).id, args.ref)


def cmd_progress_report(args, settings) -> None:
    project = _project(args)
    report = progress.record(actor(), project.id, narrative=args.narrative, rag=args.rag,
                             outputs=args.outputs, period=args.period, on=_date(args.date))
    print(f"Recorded progress on {project.ref} for {report.period}: {report.summary}")


def cmd_progress_show(args, settings) -> None:
    project = _project(args)
    reports = progress.reports_for(project.id)
    if not reports:
        print(f"{project.ref} has no progress reports yet.")
    for report in reports:
        print(f"{report.period}  {report.summary}  (by {report.reporter})")


def cmd_spend_record(args, settings) -> None:
    project = _project(args)
    line = spend.record(actor(), project.id, parse_amount(args.amount), _date(args.date), args.memo,
                        args.invoice)
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
