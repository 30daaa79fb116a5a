"""Versioned schema migrations, applied in order by `crg db upgrade`.

Each migration is a module `mNNNN_<name>.py` with `upgrade(database, migrator)`; it runs in its
own transaction together with the bump of `schema_version`, so a failed step leaves the database
at the previous version. Rule for later migrations: a migration that alters a table created by an
earlier one must first freeze that earlier one (give it its own copy of the table as it was then),
because earlier migrations create tables from the live model classes.
`tests/test_migrations.py` upgrades an empty database to head and compares it with the models,
which catches a migration that breaks the rule.
"""
import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    module: ModuleType


def all_migrations() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("m") or not info.name[1:5].isdigit():
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(Migration(int(info.name[1:5]), info.name[6:], module))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration versions must run 1..n without gaps, found {versions}")
    return found


def head_version() -> int:
    return len(all_migrations())
