"""The `/crg` subcommands; importing this package registers every one of them."""
from bot.commands import (  # noqa: F401  (registration by import)
    deadlines,
    finance,
    forecast,
    help,
    meetings,
    pots,
    proposals,
    roles,
    scoring,
    setup,
)
