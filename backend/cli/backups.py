"""`crg backup FILE` and `crg restore FILE` (FILE `-` is standard output / input).

The file is written next to its final name and renamed into place, so an interrupted backup
never leaves a truncated file that looks like a good one.
"""
import os
import sys
import tempfile

from backend.domain import backup
from backend.domain.errors import InvalidInput


def register(subparsers) -> None:
    save = subparsers.add_parser("backup", help="write every table to a JSON file "
                                 "(restore it with `crg restore`)")
    save.add_argument("file", help="where to write it; - for standard output")
    save.set_defaults(func=cmd_backup, needs_schema=True)
    load = subparsers.add_parser("restore", help="load a backup into an empty database")
    load.add_argument("file", help="the backup file; - for standard input")
    load.set_defaults(func=cmd_restore)  # an empty database has no schema yet: restore makes it


def cmd_backup(args, settings) -> None:
    data = backup.dump()
    text = backup.to_json(data)
    summary = backup.summarise(data).describe()
    if args.file == "-":
        sys.stdout.write(text)
        print(f"Backed up {summary}.", file=sys.stderr)
        return
    _write_atomically(args.file, text)
    print(f"Backed up {summary} to {args.file}.")


def cmd_restore(args, settings) -> None:
    summary = backup.restore(backup.parse(_read(args.file)))
    print(f"Restored {summary.describe()} from {args.file}.",
          file=sys.stderr if args.file == "-" else sys.stdout)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not a CRG backup: it is not text.") from None
    except OSError as error:
        raise InvalidInput(f"{path} cannot be read: {error.strerror}.") from None


def _write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InvalidInput(f"There is no folder {folder} to write the backup into.")
    handle, temporary = tempfile.mkstemp(prefix=".crg-backup-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
