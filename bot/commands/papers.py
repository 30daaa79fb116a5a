"""`/crg paper`: the Working Group update paper, made and uploaded to the person's DM.

Who may is the domain's rule (chairs and admins), asked before anything is made; the document
is written from the ledger when the message is sent (`backend.domain.papers.service`).
"""
from backend.domain import times
from backend.domain.errors import InvalidInput
from backend.domain.papers import service
from backend.slack.text import escape
from bot.router import Reply, subcommand

PAPER_USAGE = ("`/crg paper [YEAR] [--as-at DATE]`, e.g. `/crg paper 2024/25 --as-at "
               "2024-11-30`")


def options(words: list[str], usage: str, *names: str) -> tuple[list[str], dict[str, str]]:
    """The plain words, and each `--name VALUE` among them."""
    plain, named = [], {}
    i = 0
    while i < len(words):
        word = words[i].lower()
        if word.startswith("--"):
            if word[2:] not in names or i + 1 >= len(words):
                raise InvalidInput(f"Write it as {usage}.")
            named[word[2:]] = words[i + 1]
            i += 2
        else:
            plain.append(words[i])
            i += 1
    return plain, named


@subcommand("paper", "paper [YEAR] [--as-at DATE]", "the Working Group update paper (.docx) "
            "for the partnership's meeting, by DM (chairs and admins)", "/crg paper 2024/25")
def paper(request, args):
    plain, named = options(args.split(), PAPER_USAGE, "as-at", "meeting")
    if len(plain) > 1:
        raise InvalidInput(f"Write it as {PAPER_USAGE}.")
    asked = service.ask_update(request.actor, request.partnership_id,
                               plain[0] if plain else None,
                               as_at=times.parse_day(named.get("as-at")),
                               meeting_on=times.parse_day(named.get("meeting")))
    service.send(request.actor, asked)
    return Reply(f"I'll DM you the Working Group update for {escape(asked.title)} in a moment.")
