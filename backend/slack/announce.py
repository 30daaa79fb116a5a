"""Telling people about proposals: the working-group posts (kept current) and DMs.

These run after Slack has had its answer (bot.background), so a slow or failing Web API call
never costs anyone their saved proposal or decision; failures are logged and, where someone can
act on them, told to that person.
"""
import logging

from backend.domain import meetings, partnerships, proposals, years
from backend.domain.decisions import DISPLAY_ORDER as SHOWN_DECISIONS
from backend.domain.decisions import Outcome
from backend.domain.money import format_pence
from backend.domain.pots import year_figures
from backend.domain.proposals import ProposalView
from backend.domain.workflow import DECISIONS
from backend.logs import log_event
from backend.slack.blocks import proposal_blocks
from backend.slack.client import SLACK_FAILURES, failure_reason
from backend.slack.decision_blocks import decision_buttons, last_decision_line
from backend.slack.text import escape, mention, section_text, shorten

log = logging.getLogger("crg.slack.announce")


def _summary(p: ProposalView) -> str:
    return f"{p.ref} “{escape(p.title)}” ({p.status_label})"


def post_blocks(p: ProposalView) -> list[dict]:
    """A proposal as the working group sees it: details, the last decision, the next buttons."""
    blocks = proposal_blocks(p)
    history = proposals.history(p.id)
    decided = [h for h in history if h.action.startswith("proposal.")
               and h.action.split(".", 1)[1] in SHOWN_DECISIONS]
    if decided:
        last = decided[-1]
        blocks.append(last_decision_line(last.actor, last.action.split(".", 1)[1], last.at))
    return blocks + decision_buttons(p)


def announce_new(client, p: ProposalView) -> None:
    """Post a new proposal to the working group and confirm it to the proposer.

    Called only by the request that created the proposal, so a retried submission (which finds
    the proposal already made) announces nothing.
    """
    channel = partnerships.working_group_channel(p.partnership_id)
    posted = _post_to_channel(client, channel, p) if channel else None
    note = ""
    if channel is None:
        note = ("\nThe partnership has no working-group channel yet, so the group has not been "
                "told; an admin can link one with `crg partnership channel`.")
    elif posted is None:
        note = (f"\nI could not post it to <#{channel}>: please ask an admin to `/invite` the bot "
                "there. Your proposal is saved.")
    dm(client, p.proposer_slack_id,
       f"Thanks: your proposal {_summary(p)} is saved as *{p.ref}*. Follow it with "
       f"`/crg show {p.ref}`." + note)


def _post_to_channel(client, channel: str, p: ProposalView) -> str | None:
    try:
        answer = client.chat_postMessage(channel=channel, text=f"New proposal: {_summary(p)}",
                                         blocks=post_blocks(p))
    except SLACK_FAILURES as error:
        log_event(log, "proposal_not_posted", logging.WARNING, ref=p.ref, channel=channel,
                  error=failure_reason(error))
        return None
    proposals.record_post(p.id, answer["channel"], answer["ts"])
    return answer["ts"]


def refresh_post(client, p: ProposalView) -> None:
    """Bring every channel post of a proposal (its announcement, its agenda posts) up to date."""
    fresh = proposals.get(p.id)
    posts = set(meetings.posts_of(fresh.id))
    if fresh.post_ts:
        posts.add((fresh.post_channel, fresh.post_ts))
    blocks = post_blocks(fresh)
    for channel, ts in sorted(posts):
        try:
            client.chat_update(channel=channel, ts=ts, text=f"Proposal {_summary(fresh)}",
                               blocks=blocks)
        except SLACK_FAILURES as error:
            log_event(log, "proposal_post_not_updated", logging.WARNING, ref=fresh.ref,
                      channel=channel, error=failure_reason(error))


def after_decision(client, outcome: Outcome, action: str, actor_id: str,
                   channel: str | None) -> None:
    """Everything people should see once a decision is recorded."""
    p = outcome.proposal
    refresh_post(client, p)
    note = f"\n> {section_text(shorten(p.decision_note, 1500))}" if p.decision_note and action in (
        "decline", "request_changes", "defer", "pcc_decline") else ""
    follow = (f"\nChange it and resubmit with `/crg edit {p.ref}`."
              if action == "request_changes" else "")
    dm(client, p.proposer_slack_id,
       f"Your proposal {p.ref} “{escape(p.title)}” was {DECISIONS[action].told} by {mention(actor_id)}."
       + note + follow)
    for warning in outcome.warnings:
        tell(client, actor_id, channel, f":warning: {escape(warning)}")
    if outcome.rolled_over_pence is not None:
        announce_round_closed(client, p.partnership_id, p.year_label, outcome.rolled_over_pence)


def announce_round_closed(client, partnership_id: int, year_label: str, rolled_pence: int) -> None:
    """Tell the working group the tactical pot is open, and with how much."""
    tactical = year_figures(years.find_year(partnership_id, year_label)).pots["tactical"]
    channel = partnerships.working_group_channel(partnership_id)
    if channel:
        _send(client, channel,
              f":unlock: Every upfront proposal for {year_label} now has a final decision. "
              f"{format_pence(rolled_pence)} of uncommitted upfront money has rolled into the "
              f"tactical pot, which is now open with {format_pence(tactical.available)} available. "
              "Propose tactical projects with `/crg propose`.")


def tell(client, user_id: str, channel: str | None, text: str) -> None:
    """A message only this person sees: ephemeral where they acted, else a DM."""
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
            return
    except SLACK_FAILURES as error:
        log_event(log, "ephemeral_not_posted", logging.WARNING, user=user_id,
                  error=failure_reason(error))
    dm(client, user_id, text)


def dm(client, user_id: str, text: str) -> bool:
    return _send(client, user_id, text)


def _send(client, channel: str, text: str) -> bool:
    try:
        client.chat_postMessage(channel=channel, text=text)
        return True
    except SLACK_FAILURES as error:
        log_event(log, "message_not_sent", logging.WARNING, to=channel, error=failure_reason(error))
        return False
