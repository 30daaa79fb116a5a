"""Working-group meetings: scheduling them, and which upfront proposals form each agenda.

A meeting's proposal cut-off is also the upfront round's cut-off for the year (the latest one,
when there are several meetings), so no upfront proposal arrives after the group has met and
the rollover can happen once the last one is decided.
"""
from dataclasses import dataclass
from datetime import datetime

from backend.domain import audit, deadlines, partnerships, texts, times
from backend.domain.actors import Actor
from backend.domain.errors import InvalidInput, NotFound
from backend.domain.ledger import year_transaction
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.permissions import require
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
    title = texts.kept(title, "title", texts.TITLE, "title") or "Working-group meeting"
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
        channel = partnerships.working_group_channel(year.partnership_id)
        if channel:  # the group hears of it; whoever scheduled it gets a confirmation of their own
            notes.tell(Note(channel, "meeting", "meeting_scheduled", {"meeting": meeting.id},
                            partnership_id=year.partnership_id))
        notes.tell_actor(actor, "meeting_confirmed", {"meeting": meeting.id, "told": channel},
                         partnership_id=year.partnership_id)
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


@dataclass(frozen=True)
class PostedAgenda:
    meeting: MeetingView
    items: int
    channel: str


def post_agenda(actor: Actor, year_id: int) -> PostedAgenda:
    """Post the next meeting's agenda to the working group: a heading, then one post per
    proposal with its decision buttons, in agenda order (each remembered where it lands, so
    decisions update it in place). Admins and chairs."""
    with year_transaction(year_id) as year:
        may_post_agenda(actor, year.partnership_id)
        coming = upcoming(year.id)
        if not coming:
            raise NotFound(f"No working-group meeting is scheduled for {year.label}: an admin "
                           "can add one with `/crg meeting`.")
        meeting = coming[0]
        channel = partnerships.working_group_channel(year.partnership_id)
        if not channel:
            raise NotFound("This partnership has no working-group channel to post the agenda "
                           "to.")
        items = agenda(meeting.id)
        if not items:
            return PostedAgenda(meeting, 0, channel)
        # Posted again, the agenda keeps the order it was given (ranked, once scoring closed);
        # proposals new to it follow in the order they came.
        placed = {i.proposal_id: i.position for i in
                  AgendaItem.select().where(AgendaItem.meeting == meeting.id)}
        items.sort(key=lambda p: (p.id not in placed, placed.get(p.id, 0)))
        notes.tell(Note(channel, "agenda", "agenda_header",
                        {"meeting": meeting.id, "count": len(items)},
                        partnership_id=year.partnership_id))
        for position, item in enumerate(items, start=1):
            place_on_agenda(meeting.id, item.id, position)
            notes.tell(Note(channel, "agenda_item", "agenda_item",
                            {"meeting": meeting.id, "proposal": item.id, "position": position},
                            partnership_id=year.partnership_id))
        Meeting.update(agenda_posted_at=times.now()).where(Meeting.id == meeting.id).execute()
        audit.record(actor, "meeting.agenda", "meeting", meeting.id,
                     partnership_id=year.partnership_id,
                     after={"items": [i.ref for i in items], "channel": channel})
    return PostedAgenda(meeting, len(items), channel)


def place_on_agenda(meeting_id: int, proposal_id: int, position: int) -> None:
    """Put a proposal at `position` on a meeting's agenda, posted yet or not: the order scoring
    ranks it in is kept for when the agenda is posted."""
    found = AgendaItem.get_or_none((AgendaItem.meeting == meeting_id)
                                   & (AgendaItem.proposal == proposal_id))
    if found is None:
        AgendaItem.create(meeting=meeting_id, proposal=proposal_id, position=position)
    else:
        AgendaItem.update(position=position).where(AgendaItem.id == found.id).execute()


def posts_of(proposal_id: int) -> list[tuple[str, str]]:
    """Every agenda post of a proposal: (channel, ts)."""
    return [(i.post_channel, i.post_ts) for i in AgendaItem.select().where(
        (AgendaItem.proposal == proposal_id) & (AgendaItem.post_ts != ""))]
