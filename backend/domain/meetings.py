"""Working-group meetings: scheduling them, and which upfront proposals form each agenda.

A meeting's proposal cut-off is also the upfront round's cut-off for the year (the latest one,
when there are several meetings), so no upfront proposal arrives after the group has met and
the rollover can happen once the last one is decided.
"""
from dataclasses import dataclass
from datetime import datetime

from backend.domain import audit, deadlines, times
from backend.domain.actors import Actor, require
from backend.domain.database import write_transaction
from backend.domain.errors import InvalidInput, NotFound
from backend.domain.ledger import year_transaction
from backend.domain.proposals import ProposalView, view
from backend.domain.proposals import with_year_and_partnership as proposals_query
from models import FinancialYear, Proposal
from models.meetings import AgendaItem, Meeting

AGENDA_STATUSES = ("submitted", "shortlisted", "deferred")


@dataclass(frozen=True)
class MeetingView:
    id: int
    year_id: int
    partnership_id: int
    title: str
    held_at: datetime
    cutoff_at: datetime
    status: str
    agenda_posted_at: datetime | None


def _view(m: Meeting) -> MeetingView:
    return MeetingView(m.id, m.year_id, m.year.partnership_id, m.title, m.held_at, m.cutoff_at,
                       m.status, m.agenda_posted_at)


def may_schedule(actor: Actor, partnership_id: int) -> None:
    """Admins schedule meetings: asked before the form opens and again when it is saved."""
    require(actor, partnership_id, doing="schedule working-group meetings")


def may_post_agenda(actor: Actor, partnership_id: int) -> None:
    require(actor, partnership_id, "chair", doing="post the agenda")


def schedule(actor: Actor, year_id: int, held_local: datetime, cutoff_local: datetime,
             title: str = "Working-group meeting") -> MeetingView:
    """A meeting and its proposal cut-off (both wall-clock UK times); admins only."""
    title = " ".join((title or "").split()) or "Working-group meeting"
    held, cutoff = times.from_local(held_local), times.from_local(cutoff_local)
    if cutoff > held:
        raise InvalidInput("The proposal cut-off must come before the meeting.", field="cutoff")
    if held <= times.now():
        raise InvalidInput("The meeting date has already passed; give a future date.",
                           field="held")
    with year_transaction(year_id) as year:
        may_schedule(actor, year.partnership_id)
        if year.rolled_over_at is not None:
            raise InvalidInput(f"The upfront round for {year.label} is already decided, so there "
                               "is no upfront agenda to meet about.", field="held")
        meeting = Meeting.create(year=year, title=title, held_at=held, cutoff_at=cutoff,
                                 created_by=actor.audit_name, created_at=times.now())
        before = year.upfront_cutoff_at
        year.upfront_cutoff_at = max(cutoff, before) if before else cutoff
        year.save(only=[FinancialYear.upfront_cutoff_at])
        audit.record(actor, "meeting.schedule", "meeting", meeting.id,
                     partnership_id=year.partnership_id,
                     before={"upfront_cutoff": before},
                     after={"title": title, "held": held, "cutoff": cutoff,
                            "upfront_cutoff": year.upfront_cutoff_at})
        deadlines.for_meeting(actor, year.id, str(meeting.id), held_local, cutoff_local, title)
    return _view(meeting)


def get(meeting_id: int) -> MeetingView:
    meeting = Meeting.get_or_none(Meeting.id == meeting_id)
    if meeting is None:
        raise NotFound("That meeting does not exist.")
    return _view(meeting)


def upcoming(year_id: int) -> list[MeetingView]:
    return [_view(m) for m in Meeting.select().where(
        (Meeting.year == year_id) & (Meeting.status == "scheduled")
        & (Meeting.held_at >= times.now())).order_by(Meeting.held_at)]


def agenda(meeting_id: int) -> list[ProposalView]:
    """Upfront proposals still before the working group that were in by the meeting's cut-off."""
    meeting = Meeting.get_by_id(meeting_id)
    query = (proposals_query()
             .where((Proposal.year == meeting.year_id) & (Proposal.pot == "upfront")
                    & Proposal.status.in_(AGENDA_STATUSES)
                    & (Proposal.created_at <= meeting.cutoff_at))
             .order_by(Proposal.number))
    return [view(p) for p in query]


def record_agenda_post(meeting_id: int, proposal_id: int, position: int, channel: str,
                       ts: str) -> None:
    """Remember an agenda post so decisions can update it in place."""
    with write_transaction():
        item = AgendaItem.get_or_none((AgendaItem.meeting == meeting_id)
                                      & (AgendaItem.proposal == proposal_id))
        if item is None:
            AgendaItem.create(meeting=meeting_id, proposal=proposal_id, position=position,
                              post_channel=channel, post_ts=ts)
        else:
            item.post_channel, item.post_ts = channel, ts
            item.save()
        Meeting.update(agenda_posted_at=times.now()).where(Meeting.id == meeting_id).execute()


def posts_of(proposal_id: int) -> list[tuple[str, str]]:
    """Every agenda post of a proposal: (channel, ts)."""
    return [(i.post_channel, i.post_ts) for i in AgendaItem.select().where(
        (AgendaItem.proposal == proposal_id) & (AgendaItem.post_ts != ""))]
