"""`crg return`: the OPCC monitoring return and the year-end return (.xlsx) to a file, and the
progress measures a partnership's reports count.

`crg return PARTNERSHIP [YEAR] [--period mid-year|year-end] [--out FILE]`;
`crg return --all [YEAR] ...` for the OPCC; `crg return --final ...` for the year-end return
(after 31 March);
`crg return measures PARTNERSHIP "sessions delivered, people reached" [--explain-behind PERCENT]`.
"""
from backend.cli.common import actor, check_folder
from backend.domain.errors import InvalidInput
from backend.domain.papers import service, settings


def register(subparsers) -> None:
    ret = subparsers.add_parser(
        "return", help="the OPCC monitoring return or the year-end return (.xlsx); "
                       "`return measures`: what the partnership's progress reports count")
    ret.add_argument("target", nargs="*", metavar="PARTNERSHIP [YEAR]",
                     help="a partnership and optionally a year; with --all only the year; or "
                          "measures PARTNERSHIP \"NAME, NAME\"")
    ret.add_argument("--period", help="mid-year or year-end (default: year-end once the year "
                                      "is over)")
    ret.add_argument("--final", action="store_true", dest="year_end",
                     help="the year-end return: spent, unspent and the underspend to hand back")
    ret.add_argument("--all", action="store_true", dest="all_partnerships",
                     help="every partnership's return in one workbook, for the OPCC")
    ret.add_argument("--out", metavar="FILE", help="where to write it")
    ret.add_argument("--explain-behind", type=int, dest="explain_behind", metavar="PERCENT",
                     help="with measures: a report must say why when spend is this far behind "
                          "its planned profile (-1: never)")
    ret.set_defaults(func=cmd_return, needs_schema=True)


def cmd_return(args, settings_) -> None:
    target = list(args.target)
    if target and target[0].lower() == "measures":
        if len(target) != 3:
            raise InvalidInput('Write it as `crg return measures PARTNERSHIP "sessions delivered,'
                               ' people reached"`.')
        chosen = settings.set_measures(actor(), target[1], target[2], args.explain_behind)
        behind = (f"; a report must say why when spend is more than "
                  f"{chosen.explain_behind_percent}% behind its planned profile"
                  if chosen.explain_behind_percent is not None else "")
        print(f"{target[1]}'s progress reports count: {', '.join(chosen.measures) or 'nothing'}"
              f"{behind}.")
        return
    kind = "year_end_return" if args.year_end else "monitoring_return"
    if args.all_partnerships:
        if len(target) > 1:
            raise InvalidInput("With --all, give only the year.")
        request = service.ask_return(actor(), year_label=target[0] if target else None,
                                     period=args.period, kind=kind, every=True)
    else:
        if not target or len(target) > 2:
            raise InvalidInput("Give a partnership and optionally a year, or use --all.")
        request = service.ask_return(actor(), target[0], target[1] if len(target) > 1 else None,
                                     args.period, kind=kind)
    path = args.out or f"{request.file_stem}.xlsx"
    check_folder(path)
    service.write(request, path)
    what = "year-end return" if args.year_end else "monitoring return"
    print(f"Wrote the {what} for {request.title} to {path}.")
