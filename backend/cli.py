"""The `crg` command line, for administrators and scripts: a thin front over the services.

Every refusal is one plain sentence on stderr with a non-zero exit; an unexpected failure gives a
short reference (and the traceback only with --debug), never a wall of Python.
"""
import argparse
import getpass
import importlib
import json
import logging
import sys
import uuid

from backend import clock, decisions, partnerships
from backend.actors import command_line
from backend.database import (
    check_schema,
    connect_database,
    schema_version,
    upgrade,
    wait_for_database,
)
from backend.logging_setup import configure_logging
from backend.errors import DomainError
from backend.money import ACCEPTED_FORMS, format_pence, parse_amount
from backend.pots import YearFigures, year_figures
from backend.settings import Settings

log = logging.getLogger("crg.cli")


def actor():
    try:
        return command_line(getpass.getuser())
    except Exception:  # no login name in some containers; the audit still says "command line"
        return command_line()


def cmd_serve(args, settings):
    from backend.web import create_app

    app = create_app(settings)
    print(f"Serving the CRG tracker on http://{args.host}:{args.port} "
          f"(database: {_safe_url(settings.database_url)})", flush=True)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


def _safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://…@{rest.split('@', 1)[1]}"


def cmd_db_upgrade(args, settings):
    applied = upgrade()
    if applied:
        print("Applied: " + ", ".join(applied) + f". The schema is now at version {schema_version()}.")
    else:
        print(f"The schema is already up to date (version {schema_version()}).")


def cmd_db_version(args, settings):
    from models.migrations import head_version

    print(f"schema version {schema_version()} (this release: {head_version()})")


def cmd_partnership_add(args, settings):
    info = partnerships.add_partnership(actor(), args.name, args.channel or [])
    channels = f" with channels {', '.join(info.channels)}" if info.channels else ""
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
    info = partnerships.open_year(actor(), args.partnership, args.year, allocation,
                                  split_rule=args.split, priorities=args.priority)
    print(f"Opened {info.label} for {info.partnership}: allocation {format_pence(allocation)}, "
          f"upfront {format_pence(info.upfront_pence)}, tactical {format_pence(info.tactical_pence)}.")


def cmd_year_close_upfront(args, settings):
    year = partnerships.find_year(args.partnership, args.year)
    amount = decisions.close_upfront_round(actor(), year.id)
    print(f"The upfront round for {year.label} is closed; {format_pence(amount)} rolled into the "
          f"tactical pot, which is now open.")


def cmd_pots(args, settings):
    figures = year_figures(partnerships.find_year(args.partnership, args.year))
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
    return (f"{f.partnership}: {f.label}\n"
            f"Allocation {format_pence(f.allocation)} (upfront {format_pence(f.upfront_share)}, "
            f"tactical {format_pence(f.tactical_share)}{rolled})\n\n{table}\n\n"
            f"Year end: uncommitted {format_pence(f.uncommitted)}, committed but unspent "
            f"{format_pence(f.committed_unspent)}, underspend to return to the OPCC "
            f"{format_pence(f.underspend)}.")


def cmd_demo(args, settings):
    from backend.demo import load_demo

    name = load_demo(actor(), args.name)
    print(f"Loaded the demo partnership “{name}”. Try: crg pots \"{name}\"")
    print(render_figures(year_figures(partnerships.find_year(name))))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crg", description="Crime Reduction Grant tracker.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web backend (Slack endpoint) on this machine")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    serve.set_defaults(func=cmd_serve, needs_schema=True, long_running=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="bring the schema up to date").set_defaults(func=cmd_db_upgrade)
    db.add_parser("version", help="show the schema version").set_defaults(func=cmd_db_version)

    part = sub.add_parser("partnership", help="partnerships").add_subparsers(dest="p_command", required=True)
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

    year = sub.add_parser("year", help="financial years").add_subparsers(dest="y_command", required=True)
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

    pots = sub.add_parser("pots", help="show a year's pots and year-end figures")
    pots.add_argument("partnership")
    pots.add_argument("year", nargs="?")
    pots.add_argument("--json", action="store_true")
    pots.set_defaults(func=cmd_pots, needs_schema=True)

    demo = sub.add_parser("demo", help="load a made-up partnership with proposals in every state")
    demo.add_argument("--name", default="Demo Borough CSP")
    demo.set_defaults(func=cmd_demo, needs_schema=True)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


# Other areas add their own subcommands: each module has `register(subparsers)` and sets
# `func(args, settings)` (and `needs_schema=True` where the database must be current).
COMMAND_MODULES: tuple[str, ...] = ("backend.backup_commands", "bot.socket_mode",
                                    "jobs.commands", "backend.exports.commands",
                                    "backend.people_commands")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    long_running = getattr(args, "long_running", False)
    configure_logging(logging.DEBUG if args.debug else
                      logging.INFO if long_running else logging.WARNING)
    clock.set_zone(settings.timezone)
    if getattr(args, "port", None) is None and hasattr(args, "port"):
        args.port = settings.port
    try:
        connect_database(settings.database_url)
        # A process meant to stay up waits for a database that is still starting, saying so
        # once per try, instead of crashing and being restarted in a loop.
        if long_running and not wait_for_database(attempts=30, delay=2.0):
            print(f"The database at {_safe_url(settings.database_url)} did not answer; check "
                  "DATABASE_URL and that the database is running.", file=sys.stderr)
            return 1
        if getattr(args, "needs_schema", False):
            check_schema()
        args.func(args, settings)
        return 0
    except DomainError as refusal:
        print(refusal.message, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the one place an unexpected failure is turned into a sentence
        ref = uuid.uuid4().hex[:8]
        log.error("unexpected error ref=%s %s: %s", ref, type(error).__name__, error,
                  exc_info=args.debug)
        if args.debug:
            raise
        print(f"Something went wrong (reference {ref}): {type(error).__name__}: {error}. "
              "Nothing was changed. Run again with --debug for details.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
