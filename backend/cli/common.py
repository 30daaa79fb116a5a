"""What every `crg` subcommand shares: who is acting, and reading dates and paths off the line."""
import getpass
import os
from datetime import date

from backend.domain import times
from backend.domain.actors import Actor, command_line
from backend.domain.errors import InvalidInput


def actor() -> Actor:
    """The person at the command line: an admin everywhere, audited under their login name."""
    try:
        return command_line(getpass.getuser())
    except Exception:  # no login name in some containers; the audit still says "command line"
        return command_line()


def parse_day(text: str | None) -> date | None:
    """A date typed as 2024-09-30 or 30/09/2024; None when not given."""
    return times.parse_day(text)


def check_folder(path: str) -> None:
    """Refuse, in a sentence, to write into a folder that does not exist."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidInput(f"There is no folder {folder} to write {os.path.basename(path)} into.")
