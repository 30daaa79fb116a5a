"""`crg export` and `crg export360`: the OPCC spend sheet and the 360Giving file, to a file.

The command line acts as an admin; these only parse, call one service and write the outcome.
"""
import json

from backend.cli.common import actor, check_folder
from backend.domain.errors import InvalidInput
from backend.domain.exports import service


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
    check_folder(path)
    service.write_spend_sheet(selection, path)
    print(f"Wrote the spend sheet for {selection.title} to {path}.")


def cmd_export360(args, settings) -> None:
    selection = _selection(args)
    text = json.dumps(service.giving360_package(selection, settings), indent=2, ensure_ascii=False)
    path = args.out or f"{selection.file_stem}-360giving.json"
    if path == "-":
        print(text)
        return
    check_folder(path)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    print(f"Wrote the 360Giving package for {selection.title} to {path}.")
