"""`/crg scoring`: the shortlisting exercise from the command line of Slack.

`open` and `close` (admins and chairs), `remind`, the chair's view of who has scored, a member's
own list of Score buttons, the last closed round's `ranking`, and the `criteria` (admins edit).
What is said after a change comes from the domain through the outbox, like every confirmation.
"""
import re

from backend.domain import years
from backend.domain.actors import role_of
from backend.domain.errors import InvalidInput
from backend.domain.scoring import criteria, results, rounds
from backend.domain.scoring.results import SCORER_ROLES
from backend.slack.scoring_blocks import invite_blocks, progress_blocks, ranking_blocks
from backend.slack.text import escape
from bot.router import Reply, subcommand

CRITERIA_USAGE = ("`/crg scoring criteria add NAME`, `/crg scoring criteria remove N`, "
                  "`/crg scoring criteria weight N WEIGHT` or `/crg scoring criteria scale 0-5`")


@subcommand("scoring", "scoring [open | close | remind | ranking | criteria ...]",
            "the shortlisting exercise: members and chairs score the next meeting's agenda; "
            "admins and chairs open, close and see who has scored; admins edit the criteria",
            "/crg scoring open")
def scoring(request, args):
    words = args.split()
    verb = words[0].lower() if words else ""
    year = years.find_year(request.partnership_id)
    changes = {"open": lambda: rounds.open_round(request.actor, year.id),
               "close": lambda: rounds.close_round(request.actor,
                                                   results.open_of_year(year.id).id),
               "remind": lambda: rounds.remind(request.actor, results.open_of_year(year.id).id)}
    if verb in changes:
        changes[verb]()  # the domain confirms where they typed it
        return None
    if verb == "ranking":
        r, ranking = results.ranking(results.last_closed_of_year(year.id).id)
        return Reply(f"Ranking for {escape(r.meeting_title)}", ranking_blocks(
            r, ranking, f"*Ranking for {escape(r.meeting_title)}*", running=True))
    if verb == "criteria":
        return _criteria(request, year.partnership_id, words[1:], args)
    if verb:
        raise InvalidInput("Write `/crg scoring`, `/crg scoring open`, `/crg scoring close`, "
                           "`/crg scoring remind`, `/crg scoring ranking` or "
                           "`/crg scoring criteria`.")
    return _status(request, year)


def _status(request, year) -> Reply:
    actor = request.actor
    open_rounds = results.of_year(year.id, "open")
    if not open_rounds:
        return Reply("Scoring is not open for any meeting. " + _criteria_text(
            criteria.current(year.partnership_id)))
    r = open_rounds[0]
    if role_of(actor, year.partnership_id) in SCORER_ROLES and not actor.superadmin:
        blocks = invite_blocks(r, actor.id, f"*Your scoring for {escape(r.meeting_title)}*")
        if role_of(actor, year.partnership_id) == "chair":
            blocks = progress_blocks(*rounds.progress(actor, r.id)) + blocks
        return Reply(f"Scoring for {escape(r.meeting_title)}", blocks[:50])
    return Reply(f"Scoring for {escape(r.meeting_title)}", progress_blocks(
        *rounds.progress(actor, r.id)))


def _criteria_text(shown) -> str:
    if not shown:
        return "No criteria yet."
    lines = [f"{c.number}. {escape(c.name)} · {c.low}–{c.high} · weight {c.weight}"
             for c in shown]
    return "*Scoring criteria*\n" + "\n".join(lines)


def _criteria(request, partnership_id: int, words: list[str], args: str) -> Reply:
    actor = request.actor
    if not words:
        return Reply(_criteria_text(criteria.current(partnership_id)) + "\nAdmins change them "
                     f"with {CRITERIA_USAGE}; a change applies from the next round.")
    verb, rest = words[0].lower(), words[1:]
    if verb == "add" and rest:
        name = args.split(None, 2)[2]
        shown = criteria.add(actor, partnership_id, name)
    elif verb == "remove" and len(rest) == 1:
        shown = criteria.retire(actor, partnership_id, rest[0])
    elif verb == "weight" and len(rest) == 2:
        shown = criteria.set_weight(actor, partnership_id, rest[0], rest[1])
    elif verb == "scale" and len(rest) == 1 and "-" in rest[0].lstrip("-"):
        low, high = re.fullmatch(r"(-?[^-]*)-(.*)", rest[0]).groups()  # "-1-5": from -1
        shown = criteria.set_scale(actor, partnership_id, low, high)
    else:
        raise InvalidInput(f"Write it as {CRITERIA_USAGE}.")
    return Reply("Done. " + _criteria_text(shown) + "\nThey apply from the next round opened.")
