"""The `crg` command line, for administrators and scripts: a thin front over the services.

Every refusal is one plain sentence on stderr with a non-zero exit; an unexpected failure gives a
short reference (and the traceback only with --debug), never a wall of Python.
"""
import argparse
import logging
import os
import re
import sys
import uuid

from backend.cli import (
    backups,
    claims,
    database,
    deadlines,
    demo,
    exports,
    forecast,
    papers,
    partnerships,
    processes,
    projects,
    returns,
    roles,
    scoring,
)
from backend.domain import times
from backend.domain.database import (
    UNAVAILABLE_ERRORS,
    check_schema,
    connect_database,
    describe,
    unavailable_sentence,
    wait_for_database,
)
from backend.domain.errors import DomainError, SchemaOutdated
from backend.logs import configure_logging, log_event
from backend.settings import Settings, UnsafeSettings

log = logging.getLogger("crg.cli")


class Parser(argparse.ArgumentParser):
    """argparse, as the rest of the command line speaks: a mistake in the words typed is one
    sentence naming the command and where its help is, and a command's options may come before
    or after its words (`crg pots P --json 2024/25`, as a person types it)."""

    _intermixing = False

    def parse_known_args(self, args=None, namespace=None):
        if self._subparsers is not None or self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False

    def error(self, message):
        sentence = _in_words(message)
        self.exit(2, f"{self.prog}: {sentence}. `{self.prog} --help` says what it takes.\n")


# argparse's complaints, as a person would say them.
_ARGPARSE_SAYS = (
    (r"argument (\S+): invalid choice: '(.*)' \(choose from (.*)\)",
     lambda m: f"“{m[2]}” is not one of {m[3].replace(chr(39), '')} (for {m[1]})"),
    (r"argument (\S+): invalid int value: '(.*)'",
     lambda m: f"{m[1]} takes a whole number, like 3, not “{m[2]}”"),
    (r"the following arguments are required: (.*)", lambda m: f"It needs {m[1]} as well"),
    (r"unrecognized arguments: (.*)", lambda m: f"“{m[1]}” was not expected there"),
)


def _in_words(message: str) -> str:
    for pattern, said in _ARGPARSE_SAYS:
        found = re.fullmatch(pattern, message)
        if found:
            return said(found)
    return message[:1].upper() + message[1:].rstrip(".")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="crg", description="Crime Reduction Grant tracker.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for area in AREAS:
        area.register(sub)
    return parser


# Each area adds its own subcommands: `register(subparsers)` sets `func(args, settings)` (and
# `needs_schema=True` where the database must be current, `long_running` for a process that
# stays up).
AREAS = (processes, database, partnerships, roles, deadlines, projects, claims, forecast, scoring,
         exports, papers, returns, backups, demo)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    long_running = getattr(args, "long_running", False)
    configure_logging(logging.DEBUG if args.debug else
                      logging.INFO if long_running else logging.WARNING)
    times.set_zone(settings.timezone)
    if getattr(args, "port", None) is None and hasattr(args, "port"):
        args.port = settings.port
    try:
        connect_database(settings.database_url)
        # A process meant to stay up waits for a database that is still starting, saying so
        # once per try, instead of crashing and being restarted in a loop.
        if long_running and not wait_for_database(attempts=30, delay=2.0):
            print(f"The database ({describe(settings.database_url)}) did not answer for a minute: "
                  "check DATABASE_URL and that the database is running.", file=sys.stderr)
            return 1
        if getattr(args, "needs_schema", False):
            check_schema()
        args.func(args, settings)
        return 0
    except SchemaOutdated as refusal:  # say which database, so the fix is run on the right one
        print(f"{refusal.message} (The database: {describe(settings.database_url)}.)",
              file=sys.stderr)
        return 1
    except (DomainError, UnsafeSettings) as refusal:
        print(refusal.message, file=sys.stderr)
        return 1
    except UNAVAILABLE_ERRORS as error:  # the driver's text, in words
        log_event(log, "database_unavailable", logging.DEBUG, error=str(error))
        print(unavailable_sentence(settings.database_url, error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `crg pots P | head`: the reader had enough, nothing went wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # and the exit's flush
        return 0
    except Exception as error:  # the one place an unexpected failure is turned into a sentence
        ref = uuid.uuid4().hex[:8]
        log_event(log, "unexpected_error", logging.ERROR, reference=ref,
                  error=f"{type(error).__name__}: {error}", exc_info=args.debug)
        if args.debug:
            raise
        print(f"Something went wrong (reference {ref}): {type(error).__name__}: {error}. "
              "Nothing was changed. Run again with --debug for details.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
