"""`crg deadline …`: a thin front over `backend.domain.deadlines`."""
import json

from backend.cli.common import actor
from backend.domain import deadlines, directory, partnerships
from backend.domain.deadlines import KINDS, TemplateItem
from backend.domain.errors import InvalidInput


def _line(d) -> str:
    who = f"; concerns {d.concerns_label}" if d.concerns != "partnership" else ""
    people = f"; also {', '.join(directory.label(p) for p in d.people)}" if d.people else ""
    return f"#{d.id}  {d.due_shown}  {d.kind_label}: {d.title} ({d.year_label}{who}{people})"


def cmd_add(args, settings):
    d = deadlines.add(actor(), args.partnership, args.kind, args.title,
                      deadlines.parse_due(args.due), year_label=args.year,
                      concerns=args.concerns, people=args.person or ())
    print(f"Added {_line(d)}")


def cmd_list(args, settings):
    partnership = partnerships.find_partnership(args.partnership)
    found = deadlines.upcoming(partnership.id, days=args.days, include_past_days=args.past)
    if args.json:
        print(json.dumps([{"id": d.id, "kind": d.kind, "title": d.title, "year": d.year_label,
                           "due": d.due_local.isoformat(), "concerns": d.concerns,
                           "people": list(d.people), "source": d.source} for d in found], indent=2))
        return
    if not found:
        print(f"Nothing coming up for {partnership.name}.")
    for d in found:
        print(_line(d))


def cmd_move(args, settings):
    d = deadlines.move(actor(), args.id, deadlines.parse_due(args.due))
    print(f"Moved {_line(d)}")


def cmd_cancel(args, settings):
    d = deadlines.cancel(actor(), args.id)
    print(f"Cancelled #{d.id} {d.kind_label}: {d.title}.")


def cmd_settings(args, settings):
    cfg = deadlines.update_settings(actor(), args.partnership, offsets=args.offsets,
                                    send_time=args.at, digest_weekday=args.digest_day,
                                    bank_holidays=args.bank_holidays, closed_days=args.closed)
    digest = ("no weekly digest" if cfg.digest_weekday < 0 else
              f"digest on {deadlines.WEEKDAYS[cfg.digest_weekday].capitalize()}s")
    closed = ", ".join(sorted(d.isoformat() for d in cfg.closed_days)) or "none"
    print(f"Reminders {', '.join(str(o) for o in cfg.offsets)} days before, at "
          f"{cfg.send_time_shown} on working days ({cfg.bank_holidays} bank holidays; also "
          f"closed: {closed}); {digest}.")


def _template_line(position: int, t: TemplateItem) -> str:
    after = " (after the year end)" if t.after_year_end else ""
    return f"{position + 1}. {t.day:02d}/{t.month:02d} {t.time}{after}  {KINDS[t.kind]}: {t.title}"


def cmd_template(args, settings):
    partnership = partnerships.find_partnership(args.partnership)
    items = deadlines.template(partnership.id)
    changed = False
    if args.reset:
        items = [TemplateItem(*t) for t in deadlines.DEFAULT_TEMPLATE]
        changed = True
    if args.remove:
        if not 1 <= args.remove <= len(items):
            raise InvalidInput(f"The template has lines 1 to {len(items)}.", field="remove")
        del items[args.remove - 1]
        changed = True
    if args.add:
        kind, day, time, title = args.add
        try:
            month_day = day.replace("/", "-").split("-")
            month, dom = int(month_day[0]), int(month_day[1])
        except (ValueError, IndexError):
            raise InvalidInput(f"“{day}” is not a day of the year: write it like 03-31.", field="date")
        items.append(TemplateItem(kind, title, month, dom, time, args.after_year_end))
        changed = True
    if changed:
        items = deadlines.set_template(actor(), partnership.id, items)
        print(f"The template of {partnership.name} now has {len(items)} deadlines "
              "(used when a year is opened):")
    for position, item in enumerate(items):
        print(_template_line(position, item))


def register(sub) -> None:
    dl = sub.add_parser("deadline", help="deadlines and reminders").add_subparsers(
        dest="d_command", required=True)
    add = dl.add_parser("add", help="add a deadline")
    add.add_argument("partnership")
    add.add_argument("kind", help=", ".join(KINDS))
    add.add_argument("due", help="local date and time, e.g. '2025-03-31 17:00'")
    add.add_argument("title")
    add.add_argument("--year", help="the financial year it belongs to (default: the due date's)")
    add.add_argument("--concerns", choices=tuple(deadlines.CONCERNS),
                     help="who owes something (default by kind)")
    add.add_argument("--person", action="append", metavar="SLACK_USER_ID",
                     help="someone who also gets a DM (repeat)")
    add.set_defaults(func=cmd_add, needs_schema=True)

    listed = dl.add_parser("list", help="what is coming up")
    listed.add_argument("partnership")
    listed.add_argument("--days", type=int, help="only the next N days")
    listed.add_argument("--past", type=int, default=0, metavar="DAYS",
                        help="also those due in the last DAYS days")
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(func=cmd_list, needs_schema=True)

    move = dl.add_parser("move", help="move a deadline to a new date and time")
    move.add_argument("id")
    move.add_argument("due")
    move.set_defaults(func=cmd_move, needs_schema=True)

    cancel = dl.add_parser("cancel", help="cancel a deadline (no more reminders)")
    cancel.add_argument("id")
    cancel.set_defaults(func=cmd_cancel, needs_schema=True)

    sets = dl.add_parser("settings", help="when a partnership's reminders go out")
    sets.add_argument("partnership")
    sets.add_argument("--offsets", help="days before, e.g. 14,7,1,0 (0 is on the day)")
    sets.add_argument("--at", help="send time on working days, e.g. 09:00")
    sets.add_argument("--digest-day", help="monday … friday, or none")
    sets.add_argument("--bank-holidays", choices=("england-and-wales", "none"))
    sets.add_argument("--closed", action="append", metavar="DATE",
                      help="a day the partnership is closed (repeat; replaces the list)")
    sets.set_defaults(func=cmd_settings, needs_schema=True)

    tpl = dl.add_parser("template", help="show or change the deadlines a new year starts with")
    tpl.add_argument("partnership")
    tpl.add_argument("--add", nargs=4, metavar=("KIND", "MM-DD", "HH:MM", "TITLE"))
    tpl.add_argument("--after-year-end", action="store_true",
                     help="with --add: an April-December date after the year ends")
    tpl.add_argument("--remove", type=int, metavar="LINE")
    tpl.add_argument("--reset", action="store_true", help="back to the default template")
    tpl.set_defaults(func=cmd_template, needs_schema=True)
