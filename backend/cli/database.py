"""`crg db upgrade` and `crg db version`: the schema this release needs, and bringing it there."""
from backend.domain.database import describe, head_version, schema_version, upgrade


def register(sub) -> None:
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command",
                                                                     required=True)
    db.add_parser("upgrade", help="bring the schema up to date").set_defaults(func=cmd_db_upgrade)
    db.add_parser("version", help="show the schema version").set_defaults(func=cmd_db_version)


def cmd_db_upgrade(args, settings):
    applied = upgrade()
    print(f"Database: {describe(settings.database_url)}.")
    if applied:
        print("Applied: " + ", ".join(applied) + f". The schema is now at version "
              f"{schema_version()}.")
    else:
        print(f"The schema is already up to date (version {schema_version()}).")


def cmd_db_version(args, settings):
    print(f"schema version {schema_version()} (this release: {head_version()}) in "
          f"{describe(settings.database_url)}")
