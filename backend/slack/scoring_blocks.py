"""Block Kit for the shortlisting exercise: the Score buttons, a proposal's standing once scoring
has closed, the ranked agenda with the line where the money runs out, and the chair's view of who
has scored.

Scores appear only from a closed round (`results` refuses them otherwise); while a round is open
what is shown is who has scored, never what.
"""
import json
from backend.domain import proposals, times
from backend.domain.money import format_pence
from backend.domain.scoring import results
from backend.domain.scoring.ranking import Ranking
from backend.domain.scoring.words import figures, money_line, place, two_places
from backend.domain.scoring.results import GivenScore, MemberProgress, RoundView
from backend.slack.blocks import button, confirm_dialog, context, person, text_section
from backend.slack.text import escape, section_text, shorten

SCORE_ACTION = "scoring_score"  # opens the scoring form for {"r": round, "p": proposal}
OPEN_ACTION = "scoring_open"  # opens scoring for the meeting in `value`
REMIND_ACTION = "scoring_remind"  # reminds the members of round `value` who are not done
CLOSE_ACTION = "scoring_close"  # closes round `value`

def scale(r: RoundView) -> str:
    return f"{r.low}–{r.high}"


def criteria_line(r: RoundView) -> str:
    weighted = any(rule.weight != 1 for rule in r.rules)
    return "; ".join(escape(rule.name) + (f" (weight {rule.weight})" if weighted else "")
                     for rule in r.rules)


def score_value(round_id: int, proposal_id: int) -> str:
    return json.dumps({"r": round_id, "p": proposal_id})


def ranking_lines(r: RoundView, ranking: Ranking, *, running: bool) -> list[str]:
    """One line per proposal in ranked order; `running` adds the cumulative amount and marks
    the line where the money runs out."""
    views = proposals.get_many(r.proposal_ids)
    lines = []
    for s in ranking.standings:
        p = views[s.proposal_id]
        if running and s is ranking.first_over:
            lines.append("— _the money runs out here_ —")
        total = f" · running total {format_pence(s.cumulative_pence)}" if running else ""
        lines.append(f"{place(s)}. *{p.ref}* {section_text(shorten(p.title, 80))} · "
                     f"{format_pence(s.amount_pence)} · {figures(s, r)}{total}")
    return lines


def ranking_blocks(r: RoundView, ranking: Ranking, heading: str, *, running: bool) -> list[dict]:
    blocks = [text_section(heading)]
    lines = ranking_lines(r, ranking, running=running)
    for start in range(0, len(lines), 20):
        blocks.append(text_section("\n".join(lines[start:start + 20])))
    blocks.append(text_section(money_line(ranking)))
    tied = [s for s in ranking.standings if s.tied]
    unscored = [s for s in ranking.standings if s.mean is None]
    notes = []
    if tied:
        notes.append("= marks a tie: equal means share a rank and keep agenda order.")
    if unscored:
        notes.append(f"{len(unscored)} with no scores come last, unranked.")
    notes.append(f"Scores are {scale(r)} on: {criteria_line(r)}. A member's score is the "
                 "weighted mean of their criteria; a proposal's mean is the mean of its "
                 "members' scores, and its spread the highest less the lowest.")
    blocks.append(context(shorten(" ".join(notes), 2900)))
    return blocks[:50]


def invite_blocks(r: RoundView, member: str, intro: str, most: int = 45) -> list[dict]:
    """The member's DM: one Score button per proposal they may score."""
    blocks = [text_section(intro)]
    mine = results.scored_by(r.id, member)
    shown = proposals.get_many(r.proposal_ids[:most])
    for pid in r.proposal_ids[:most]:
        p = shown[pid]
        line = (f"*{p.ref}* {section_text(shorten(p.title, 150))} · {format_pence(p.amount_pence)}"
                f" · {section_text(shorten(p.lead_organisation, 80))}")
        block = text_section(line)
        if results.own_organisation(member, p):
            block = text_section(line + "\n_Yours (you proposed it or are its contact): you do "
                                 "not score it._")
        elif mine.get(pid):
            block = text_section(line + "\n_You declared a conflict of interest._")
        else:
            label = "Change score" if pid in mine else "Score"
            block["accessory"] = button(label, SCORE_ACTION, score_value(r.id, pid))
        blocks.append(block)
    if len(r.proposal_ids) > most:
        blocks.append(context(f"…and {len(r.proposal_ids) - most} more: score them from their "
                              "agenda posts or `/crg scoring`."))
    return blocks


def home_blocks(member: str) -> list[dict]:
    """The App Home's part: each open round the person scores, with what they have left."""
    blocks = []
    for r in results.open_rounds_of_member(member)[:2]:
        left = next((row.to_do for row in results.progress(r) if row.member == member), 0)
        intro = (f"*Scoring for {escape(r.meeting_title)}* ({times.show(r.held_at)}): "
                 + (f"{left} proposal{'s' if left != 1 else ''} left for you to score."
                    if left else "you have scored everything you can; you can change your "
                    "scores until it closes."))
        blocks += [{"type": "divider"}, *invite_blocks(r, member, intro, most=15)]
    return blocks


def post_lines(p) -> list[dict]:
    """Under a proposal's posts: a Score button while its round is open (with how many have
    scored, not what), its standing once the round has closed."""
    r = results.open_round_with(p.id)
    if r is not None:
        scored = results.count_scored(r.id, p.id)
        return [context(f"Scoring is open for {escape(r.meeting_title)}: {scored} "
                        f"score{'s' if scored != 1 else ''} in so far (kept private until it "
                        "closes)."),
                {"type": "actions", "block_id": f"score_{p.id}",
                 "elements": [button("Score", SCORE_ACTION, score_value(r.id, p.id))]}]
    closed = results.closed_scores_of(p.id)
    if not closed:
        return []
    r, standing, _ = closed[-1]
    of = len(r.proposal_ids)
    ranked = (f"ranked {place(standing)} of {of}" if standing.rank is not None else "not ranked")
    return [context(f"Scored for {escape(r.meeting_title)}: {ranked} · "
                    f"{figures(standing, r)}")]


def given_lines(r: RoundView, given: list[GivenScore]) -> list[str]:
    lines = []
    for g in given:
        if g.conflict:
            said = "declared a conflict of interest"
        else:
            said = ", ".join(f"{escape(name)} {value}" for name, value in g.values)
            if g.weighted is not None:
                said += f" → *{two_places(g.weighted)}*"
        comment = f"\n   _{section_text(shorten(g.comment, 300))}_" if g.comment else ""
        lines.append(f"• {person(g.member)}: {said} ({times.show(g.updated_at)}){comment}")
    return lines


def show_blocks(proposal_id: int) -> list[dict]:
    """`/crg show`: each closed round's standing and every member's scores and comment."""
    blocks = []
    for r, standing, given in results.closed_scores_of(proposal_id):
        ranked = (f"ranked {place(standing)} of {len(r.proposal_ids)}"
                  if standing.rank is not None else "not ranked")
        head = (f"*Scores for {escape(r.meeting_title)}* (closed {times.show(r.closed_at)}): "
                f"{ranked} · {figures(standing, r)}")
        blocks.append(text_section("\n".join([head, *given_lines(r, given)])))
    return blocks


def progress_blocks(r: RoundView, rows: list[MemberProgress]) -> list[dict]:
    done = [row for row in rows if not row.to_do]
    lines = [f"{'✅' if not row.to_do else '⏳'} {person(row.member)}: {row.scored} scored"
             + (f", {row.conflicts} conflict{'s' if row.conflicts != 1 else ''}"
                if row.conflicts else "")
             + (f", *{row.to_do} still to score*" if row.to_do else "")
             for row in rows]
    blocks = [text_section(f"*Scoring for {escape(r.meeting_title)}* "
                           f"({times.show(r.held_at)}): {len(done)} of {len(rows)} members and "
                           "chairs have scored everything they can. Who has scored is shown, "
                           "never what, until scoring closes."),
              text_section("\n".join(lines) or "Nobody is a member or chair yet.")]
    elements = []
    if len(done) < len(rows):
        elements.append(button("Remind those not done", REMIND_ACTION, str(r.id)))
    elements.append(button("Close scoring", CLOSE_ACTION, str(r.id), "danger", confirm=(
        confirm_dialog("Close scoring?", {"type": "plain_text", "text": (
            "Nobody can score or change a score after this; the agenda is ranked and "
            "everyone sees the scores.")}, "Close scoring", "danger"))))
    blocks.append({"type": "actions", "block_id": f"scoring_{r.id}", "elements": elements})
    return blocks


def open_button(meeting_id: int) -> dict:
    return {"type": "actions", "block_id": f"scoring_open_{meeting_id}",
            "elements": [button("Open scoring", OPEN_ACTION, str(meeting_id), "primary")]}
