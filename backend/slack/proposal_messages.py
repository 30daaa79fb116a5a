"""The words of what the working group and the people in it are told about proposals, meetings,
deadlines, progress and spend: each a wording the outbox builds when it sends (see
`backend.slack.renderers`), from the state of things at that moment.

Every string a person typed goes through `escape` and is shortened to Block Kit's limits.
"""
from backend.domain import deadlines, meetings, progress, proposals, spend, times, years
from backend.domain.decisions import DISPLAY_ORDER as SHOWN_DECISIONS
from backend.domain.money import format_pence
from backend.domain.outbox import states
from backend.domain.pots import year_figures
from backend.domain.proposals import ProposalView
from backend.domain.scoring.results import rounds_of_meeting
from backend.domain.workflow import DECISIONS
from backend.slack.blocks import proposal_blocks, text_section
from backend.slack.decision_blocks import decision_buttons, last_decision_line
from backend.slack.scoring_blocks import open_button, post_lines
from backend.slack.text import escape, mention, section_text, shorten

# Decisions taken for the PCC: an admin records them, so the proposer is told who recorded it.
RECORDED_FOR_THE_PCC = ("submit_to_opcc", "approve", "pcc_decline", "vary", "cancel")


def summary(p: ProposalView) -> str:
    return f"{p.ref} “{escape(p.title)}” ({p.status_label})"


def post_blocks(p: ProposalView) -> list[dict]:
    """A proposal as the working group sees it: details, the last decision, the next buttons."""
    blocks = proposal_blocks(p)
    decided = [h for h in proposals.history(p.id) if h.action.startswith("proposal.")
               and h.action.split(".", 1)[1] in SHOWN_DECISIONS]
    if decided:
        last = decided[-1]
        blocks.append(last_decision_line(last.actor, last.action.split(".", 1)[1], last.at))
    return blocks + post_lines(p) + decision_buttons(p)


def proposal_post(payload, settings):
    """A new proposal, posted to the working group with its decision buttons."""
    p = proposals.get(payload["proposal"])
    return f"New proposal: {summary(p)}", post_blocks(p)


def agenda_item(payload, settings):
    p = proposals.get(payload["proposal"])
    return f"Agenda item {payload['position']}: {p.ref}", post_blocks(p)


def proposal_saved(payload, settings):
    """The proposer's confirmation, with what happened to the working group's post."""
    p = proposals.get(payload["proposal"])
    note = ""
    channel = payload.get("channel")
    if not channel:
        note = ("\nThe partnership has no working-group channel yet, so the group has not been "
                "told; an admin can link one with `/crg channel link` in that channel.")
    elif states.proposal_post_state(p.id) in states.RESENDABLE:
        note = (f"\nI could not post it to <#{channel}>: please ask an admin to `/invite` the bot "
                "there. Your proposal is saved.")
    return (f"Thanks: your proposal {summary(p)} is saved as *{p.ref}*. Follow it with "
            f"`/crg show {p.ref}`." + note), []


def proposal_posts(payload, settings):
    """Every post of a proposal (its announcement, its agenda posts), brought up to date."""
    p = proposals.get(payload["proposal"])
    posts = set(meetings.posts_of(p.id))
    if p.post_ts:
        posts.add((p.post_channel, p.post_ts))
    blocks = post_blocks(p)
    return [(channel, ts, f"Proposal {summary(p)}", blocks) for channel, ts in sorted(posts)]


def decision_told(payload, settings):
    """The proposer hears of every decision on their proposal, and who took or recorded it."""
    p = proposals.get(payload["proposal"])
    action = payload["action"]
    by = mention(payload["by"]) if payload.get("by", "")[:1] in ("U", "W") else "an admin"
    who = (f"(recorded by {by})" if action in RECORDED_FOR_THE_PCC else f"by {by}")
    note = (f"\n> {section_text(shorten(p.decision_note, 1500))}" if p.decision_note and action in
            ("decline", "request_changes", "defer", "pcc_decline") else "")
    follow = (f"\nChange it and resubmit with `/crg edit {p.ref}`."
              if action == "request_changes" else "")
    return (f"Your proposal {p.ref} “{escape(p.title)}” was {DECISIONS[action].told} {who}."
            + note + follow), []


def warning(payload, settings):
    return f":warning: {escape(payload['text'])}", []


def said(payload, settings):
    """Words worded by the domain already (a refusal, say), escaped for Slack."""
    return escape(payload["text"]), []


def round_closed(payload, settings):
    """The working group hears that the tactical pot is open, and with how much."""
    year = years.get(payload["year"])
    tactical = year_figures(years.find_year(year.partnership_id, year.label)).pots["tactical"]
    return (f":unlock: Every upfront proposal for {year.label} now has a final decision. "
            f"{format_pence(payload['rolled'])} of uncommitted upfront money has rolled into the "
            f"tactical pot, which is now open with {format_pence(tactical.available)} available. "
            "Propose tactical projects with `/crg propose`."), []


def progress_saved(payload, settings):
    project = proposals.get(payload["proposal"])
    report = progress.get(payload["report"])
    return (f"Thanks: your progress report on {project.ref} “{escape(project.title)}” for "
            f"{escape(report.period)} is saved ({report.rag.capitalize()}). "
            f"`/crg show {project.ref}` shows it."), []


def spend_recorded(payload, settings):
    line = spend.get_line(payload["line"])
    project = proposals.get(line.proposal_id)
    return (f"Recorded spend line {line.id}: {format_pence(line.amount_pence)} on {project.ref} "
            f"in Q{line.quarter} ({escape(line.memo)})."), []


def deadline_line(d) -> str:
    return f"• `#{d.id}` *{times.show(d.due_at)}* · {d.kind_label} · {escape(d.title)}"


def deadline_added(payload, settings):
    return f"Added {deadline_line(deadlines.get(payload['deadline']))[2:]}.", []


def deadline_moved(payload, settings):
    return f"Moved: {deadline_line(deadlines.get(payload['deadline']))[2:]}.", []


def _meeting_text(meeting) -> str:
    return (f":calendar: {escape(meeting.title)} is on {times.show(meeting.held_at)}. "
            f"Upfront proposals must be in by {times.show(meeting.cutoff_at)} to be on its "
            "agenda: `/crg propose`.")


def meeting_scheduled(payload, settings):
    """The working group hears of a meeting and its proposal cut-off."""
    return _meeting_text(meetings.get(payload["meeting"])), []


def meeting_confirmed(payload, settings):
    """Whoever scheduled it hears it is done, and where the group was told."""
    meeting = meetings.get(payload["meeting"])
    told = (f" The working group was told in <#{payload['told']}>." if payload.get("told")
            else " The partnership has no working-group channel, so only you were told.")
    return f"Scheduled. {_meeting_text(meeting)}{told}", []


def agenda_header(payload, settings):
    """The agenda's heading, with an Open scoring button while its agenda has not been scored."""
    meeting = meetings.get(payload["meeting"])
    count = payload["count"]
    text = (f"*Agenda: {escape(meeting.title)}* on {times.show(meeting.held_at)} — {count} "
            f"upfront proposal{'s' if count != 1 else ''} in by the cut-off "
            f"({times.show(meeting.cutoff_at)}). Decisions go on the buttons under each one.")
    if rounds_of_meeting(meeting.id):
        return text, []
    return text, [text_section(text + " Admins and chairs can open the shortlisting exercise: "
                               "members score each proposal before the meeting."),
                  open_button(meeting.id)]


RENDERERS = {
    "proposal_post": proposal_post, "agenda_item": agenda_item,
    "proposal_saved": proposal_saved, "proposal_posts": proposal_posts,
    "decision_told": decision_told, "warning": warning, "said": said,
    "round_closed": round_closed, "progress_saved": progress_saved,
    "spend_recorded": spend_recorded, "deadline_added": deadline_added,
    "deadline_moved": deadline_moved, "meeting_scheduled": meeting_scheduled,
    "meeting_confirmed": meeting_confirmed, "agenda_header": agenda_header,
}
