"""The `/crg` subcommands; importing this package registers every one of them."""
from bot.commands import (  # noqa: F401  (registration by import)
    claims,
    deadlines,
    finance,
    forecast,
    help,
    meetings,
    papers,
    pots,
    proposals,
    roles,
    scoring,
    setup,
)
