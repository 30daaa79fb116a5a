"""Versioned schema migrations, applied in order by `crg db upgrade`.

Each migration is a module `mNNNN_<name>.py` with `upgrade(database, migrator)`; it runs in its
own transaction together with the bump of `schema_version`, so a failed step leaves the database
at the previous version. Each migration describes its own tables as they were when it was
written (`frozen.FrozenModel`), never the live classes in `models`, so a later migration can add
a column without breaking a fresh install. `tests/test_migrations.py` upgrades an empty database
to head and compares it, table by table and column by column, with the live models.
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
