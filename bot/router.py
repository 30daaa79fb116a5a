"""`/crg SUBCOMMAND ...`: the table of subcommands, the help built from it, and dispatch.

Each area registers its subcommands with `@subcommand`, so help and "did you mean" always
list exactly what exists.
"""
from dataclasses import dataclass, field
from typing import Callable

from backend.slack.text import escape, nearest
from bot.context import SlackRequest


@dataclass
class Reply:
    """An ephemeral answer to the person who typed the command (None: nothing more to say)."""

    text: str
    blocks: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    example: str
    handler: Callable[[SlackRequest, str], Reply | None]


REGISTRY: dict[str, Subcommand] = {}


def subcommand(name: str, usage: str, summary: str, example: str = ""):
    def add(handler):
        REGISTRY[name] = Subcommand(name, usage, summary, example or f"/crg {name}", handler)
        return handler
    return add


def dispatch(text: str, request: SlackRequest) -> Reply | None:
    name, _, rest = (text or "").strip().partition(" ")
    name = name.lower() or "help"
    command = REGISTRY.get(name)
    if command is None:
        guess = nearest(name, REGISTRY)
        hint = f" Did you mean `/crg {guess}`?" if guess else ""
        return Reply(f"I don't know `/crg {escape(name)}`.{hint}\n\n" + help_text())
    return command.handler(request, rest.strip())


def help_text() -> str:
    lines = ["*CRG Tracker* keeps the partnership's Crime Reduction Grant: propose projects, "
             "follow decisions, see the pots.", ""]
    for command in sorted(REGISTRY.values(), key=lambda c: c.name):
        lines.append(f"• `/crg {command.usage}` — {command.summary} (e.g. `{command.example}`)")
    return "\n".join(lines)
