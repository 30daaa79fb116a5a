"""The words of the shortlisting exercise's messages, built when the outbox sends them (see
`backend.slack.renderers`): the members' invitations and reminders with their Score buttons
(updated in place as they score, and when scoring closes), the group's notice that scoring is
open, the ranked agenda when it closes, the chairs' ranking with the running total against the
pot, and each person's confirmations.
"""
from backend.domain import times
from backend.domain.outbox import states
from backend.domain.scoring import results
from backend.slack.scoring_blocks import (
    criteria_line,
    invite_blocks,
    money_line,
    ranking_blocks,
    scale,
)
from backend.slack.blocks import text_section
from backend.slack.text import escape, mention


def _when(r) -> str:
    return f"{escape(r.meeting_title)} ({times.show(r.held_at)})"


def scoring_invite(payload, settings):
    """A member's DM when scoring opens: one Score button per proposal."""
    r = results.get(payload["round"])
    if r.closed:
        return None
    return _invite(r, payload["member"])


def _invite(r, member: str):
    intro = (f":ballot_box_with_ballot: *Scoring is open for {_when(r)}.* Score each proposal "
             f"{scale(r)} on: {criteria_line(r)}. Nobody sees anyone's scores until scoring "
             "closes, and you can change yours until then. If a proposal comes from your own "
             "organisation, open it and declare a conflict instead of scoring it.")
    return f"Scoring is open for {escape(r.meeting_title)}", invite_blocks(r, member, intro)


def _left(r, member: str) -> int:
    return next((row.to_do for row in results.progress(r) if row.member == member), 0)


def scoring_reminder(payload, settings):
    r = results.get(payload["round"])
    left = 0 if r.closed else _left(r, payload["member"])
    if not left:
        return None
    return _reminder(r, payload["member"], left)


def _reminder(r, member: str, left: int | None = None):
    left = _left(r, member) if left is None else left
    intro = (f":hourglass: *Reminder:* scoring for {_when(r)} is still open and you have {left} "
             f"proposal{'s' if left != 1 else ''} left to score (or to declare a conflict on)."
             if left else f":white_check_mark: Scoring for {_when(r)} is still open and you have "
             "scored (or declared a conflict on) every proposal you can: change a score below "
             "until it closes.")
    return f"Reminder: scoring for {escape(r.meeting_title)}", invite_blocks(r, member, intro)


def scoring_dms(payload, settings):
    """A member's scoring DMs (or every member's), brought up to date in place: the buttons say
    what they have scored; once scoring closes, the DM says so and has no buttons left."""
    r = results.get(payload["round"])
    dms = states.delivered_of(r.partnership_id, results.DM_RENDERS, payload.get("member"),
                              round=r.id)
    if r.closed:
        closed = (f"Scoring for {escape(r.meeting_title)} has closed",
                  [text_section(f":lock: *Scoring for {_when(r)} closed on "
                                f"{times.show(r.closed_at)}.* Thank you: the ranked agenda is "
                                "in the working group's channel, and `/crg show` gives each "
                                "proposal's scores.")])
        return [(to, ts, *closed) for to, ts, _, _ in dms]
    return [(to, ts, *(_invite if render == "scoring_invite" else _reminder)(r, to))
            for to, ts, render, _ in dms]


def scoring_opened(payload, settings):
    r = results.get(payload["round"])
    count = len(r.proposal_ids)
    return (f":ballot_box_with_ballot: Scoring is open for {_when(r)}: {count} "
            f"proposal{'s' if count != 1 else ''}, scored {scale(r)} on {criteria_line(r)}. "
            "Members and chairs: use the buttons in your DM or the Score button under each "
            "agenda post. Scores stay private until scoring closes."), []


def _ranked(payload, running: bool, heading: str, text: str):
    r, ranking = results.ranking(payload["round"])
    title = escape(r.meeting_title)
    return (text.format(title=title, line=money_line(ranking)),
            ranking_blocks(r, ranking, heading.format(when=_when(r)), running=running))


def scoring_closed(payload, settings):
    """The group's ranked agenda."""
    return _ranked(payload, False, ":bar_chart: *Scoring closed for {when}: the agenda in "
                   "ranked order.* Each agenda post now shows its mean, spread and number of "
                   "scores.", "Scoring closed for {title}: the ranked agenda")


def scoring_ranking(payload, settings):
    """The chair's ranking, with the running total against the pot."""
    return _ranked(payload, True, "*Ranking for {when}*, with the running total of what each "
                   "asks for against the upfront pot.", "Ranking for {title}: {line}")


def scoring_opened_confirmed(payload, settings):
    r = results.get(payload["round"])
    return (f"Scoring is open for {_when(r)}: {len(payload['members'])} members and chairs have "
            "been sent the proposals. `/crg scoring` shows who has scored; `/crg scoring close` "
            "ends it."), []


def scoring_saved(payload, settings):
    if payload.get("conflict"):
        return (f"Noted: you declared a conflict of interest on {payload['proposal']}, so you "
                "do not score it."), []
    shown = ", ".join(f"{escape(name)} {value}" for name, value in payload["scores"])
    return (f"Your scores of {payload['proposal']} are saved ({shown}). You can change them "
            "until scoring closes."), []


def scoring_reminded(payload, settings):
    members = payload["members"]
    if not members:
        return "Everyone has scored everything they can: nobody needed a reminder.", []
    return (f"Reminded {len(members)}: " + ", ".join(mention(m) for m in members) + "."), []


RENDERERS = {
    "scoring_invite": scoring_invite, "scoring_reminder": scoring_reminder,
    "scoring_dms": scoring_dms,
    "scoring_opened": scoring_opened, "scoring_closed": scoring_closed,
    "scoring_ranking": scoring_ranking, "scoring_opened_confirmed": scoring_opened_confirmed,
    "scoring_saved": scoring_saved, "scoring_reminded": scoring_reminded,
}
