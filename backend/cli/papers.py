"""`crg paper`: the Working Group update paper (.docx) to a file, and how a partnership's papers
are written (its own template, who signs them).

`crg paper PARTNERSHIP [YEAR] [--as-at DATE] [--meeting DATE] --out FILE`;
`crg paper template PARTNERSHIP FILE` (or `--default` to go back to the tracker's own);
`crg paper signatories PARTNERSHIP --chair NAME --deputy NAME [--classification TEXT]`.
The command line acts as an admin; these only parse, call one service and write the outcome.
"""
from backend.cli.common import actor, check_folder, parse_day
from backend.domain.errors import InvalidInput
from backend.domain.papers import service, settings

USAGE = ("Write it as `crg paper PARTNERSHIP [YEAR] --out FILE`, `crg paper template "
         "PARTNERSHIP FILE` or `crg paper signatories PARTNERSHIP --chair NAME --deputy NAME`.")


def register(subparsers) -> None:
    paper = subparsers.add_parser(
        "paper", help="the Working Group update paper (.docx); `paper template`, "
                      "`paper signatories`: how the partnership's papers are written")
    paper.add_argument("target", nargs="+", metavar="PARTNERSHIP [YEAR]",
                       help="a partnership and optionally a year (default: its current one); or "
                            "template PARTNERSHIP FILE; or signatories PARTNERSHIP")
    paper.add_argument("--as-at", dest="as_at", help="the figures as at this day (default today)")
    paper.add_argument("--meeting", help="the date of the partnership's meeting it goes to")
    paper.add_argument("--out", metavar="FILE", help="where to write it (default: a name made "
                       "from the partnership and year, in this folder)")
    paper.add_argument("--default", action="store_true",
                       help="with template: go back to the tracker's own template")
    paper.add_argument("--chair", help="with signatories: the Working Group's chair")
    paper.add_argument("--deputy", help="with signatories: its deputy chair")
    paper.add_argument("--classification", help="with signatories: e.g. For Information")
    paper.set_defaults(func=cmd_paper, needs_schema=True)


def cmd_paper(args, settings_) -> None:
    first, rest = args.target[0].lower(), args.target[1:]
    if first == "template" and rest:
        return _template(args, rest)
    if first == "signatories" and len(rest) == 1:
        chosen = settings.set_signatories(actor(), rest[0], args.chair or "", args.deputy or "",
                                          args.classification)
        print(f"Papers are now signed by {chosen.chair or 'nobody named'} (chair) and "
              f"{chosen.deputy_chair or 'nobody named'} (deputy chair), classified "
              f"“{chosen.classification}”.")
        return None
    if len(args.target) > 2:
        raise InvalidInput(USAGE)
    request = service.ask_update(actor(), args.target[0],
                                 args.target[1] if len(args.target) > 1 else None,
                                 as_at=parse_day(args.as_at), meeting_on=parse_day(args.meeting))
    path = args.out or f"{request.file_stem}.docx"
    check_folder(path)
    service.write(request, path)
    print(f"Wrote the Working Group update for {request.title} to {path}.")
    return None


def _template(args, rest: list[str]) -> None:
    if args.default and len(rest) == 1:
        settings.set_template(actor(), rest[0], None)
        print(f"{rest[0]}'s papers use the tracker's own template again.")
        return
    if len(rest) != 2:
        raise InvalidInput("Write it as `crg paper template PARTNERSHIP FILE` (a .docx), or "
                           "`crg paper template PARTNERSHIP --default`.")
    partnership, path = rest
    try:
        with open(path, "rb") as template:
            body = template.read(settings.MAX_TEMPLATE_BYTES + 1)
    except OSError as failure:
        raise InvalidInput(f"I could not read {path}: {failure.strerror}.") from None
    settings.set_template(actor(), partnership, body, path.rsplit("/", 1)[-1])
    print(f"{partnership}'s papers now start from {path}.")
