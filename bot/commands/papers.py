"""`/crg paper`: the Working Group update paper, made and uploaded to the person's DM.

Who may is the domain's rule (chairs and admins), asked before anything is made; the document
is written from the ledger when the message is sent (`backend.domain.papers.service`).
"""
from backend.domain import times
from backend.domain.errors import InvalidInput
from backend.domain.papers import service, settings
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


SIGNED_USAGE = ("`/crg paper signatories CHAIR; DEPUTY CHAIR`, e.g. `/crg paper signatories "
                "Sam Patel; Dee Jones`")


@subcommand("paper", "paper [YEAR] [--as-at DATE] | paper signatories CHAIR; DEPUTY",
            "the Working Group update paper (.docx) for the partnership's meeting, by DM (chairs "
            "and admins); admins say who it is by", "/crg paper 2024/25")
def paper(request, args):
    if args.split()[:1] and args.split()[0].lower() == "signatories":
        return _signatories(request, args.split(maxsplit=1)[1] if len(args.split()) > 1 else "")
    plain, named = options(args.split(), PAPER_USAGE, "as-at", "meeting")
    if len(plain) > 1:
        raise InvalidInput(f"Write it as {PAPER_USAGE}.")
    asked = service.ask_update(request.actor, request.partnership_id,
                               plain[0] if plain else None,
                               as_at=times.parse_day(named.get("as-at")),
                               meeting_on=times.parse_day(named.get("meeting")))
    service.send(request.actor, asked)
    return Reply(f"I'll DM you the Working Group update for {escape(asked.title)} in a moment.")


def _signatories(request, text: str) -> Reply:
    names = [n.strip() for n in text.split(";")]
    if len(names) != 2 or not names[0]:
        raise InvalidInput(f"Write it as {SIGNED_USAGE}.")
    chosen = settings.set_signatories(request.actor, request.partnership_id, *names)
    return Reply(f"The Working Group update is now by {escape(chosen.chair)} (chair)"
                 + (f" and {escape(chosen.deputy_chair)} (deputy chair)"
                    if chosen.deputy_chair else "") + ".")


RETURN_USAGE = ("`/crg return [YEAR] [mid-year|year-end] [all]`, `/crg return final [YEAR] [all]` "
                "or `/crg return measures NAME, NAME [--explain-behind PERCENT]`")


@subcommand("return", "return [YEAR] [mid-year|year-end] [all] | return final [YEAR] [all] | "
            "return measures [NAMES] [--explain-behind PERCENT]",
            "the OPCC monitoring return, or (`final`) the year-end return (.xlsx), by DM "
            "(finance staff, chairs and admins; `all`: every partnership); admins choose the "
            "measures progress reports count", "/crg return 2024/25 mid-year")
def opcc_return(request, args):
    words = args.split()
    if words and words[0].lower() == "measures":
        return _measures(request, " ".join(words[1:]))
    kind = "monitoring_return"
    if words and words[0].lower() == "final":
        kind, words = "year_end_return", words[1:]
    every = any(w.lower() == "all" for w in words)
    words = [w for w in words if w.lower() != "all"]
    periods = [w for w in words if w.lower() in ("mid-year", "year-end")]
    years = [w for w in words if w.lower() not in ("mid-year", "year-end")]
    if len(years) > 1 or len(periods) > 1 or (periods and kind != "monitoring_return"):
        raise InvalidInput(f"Write it as {RETURN_USAGE}.")
    asked = service.ask_return(request.actor, None if every else request.partnership_id,
                               years[0] if years else None, periods[0] if periods else None,
                               kind=kind, every=every)
    service.send(request.actor, asked)
    what = "year-end return" if kind == "year_end_return" else "monitoring return"
    return Reply(f"I'll DM you the {what} for {escape(asked.title)} in a moment.")


def _measures(request, text: str) -> Reply:
    pid = request.partnership_id
    if text.strip():
        names, named = options(text.split(), RETURN_USAGE, "explain-behind")
        behind = named.get("explain-behind")
        if behind is not None and not behind.lstrip("-").isdigit():
            raise InvalidInput("Give the percentage as a whole number, e.g. `--explain-behind 20`"
                               " (-1: never required).")
        chosen = settings.set_measures(request.actor, pid, " ".join(names),
                                       int(behind) if behind is not None else None)
    else:
        chosen = settings.choices(pid)
    counted = ", ".join(chosen.measures) or "nothing yet"
    behind = (f" A report must say why when spend is more than {chosen.explain_behind_percent}% "
              "behind its planned profile." if chosen.explain_behind_percent is not None else "")
    usual = ", ".join(settings.USUAL_MEASURES)
    return Reply(f"Progress reports here count: {escape(counted)}.{behind} Admins choose with "
                 f"`/crg return measures NAME, NAME` (usual ones: {usual}; or your own).")
