"""Opening and closing scoring for a meeting's agenda, and reminding members (admins and chairs,
and the clock before the meeting).

Every change runs under the year's lock (`year_transaction`), as scoring does, so a score and
the closing of its round never pass each other: a score either lands before the close (and is
counted) or after it (and is refused).
"""
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.domain import audit, meetings, partnerships, proposals, times
from backend.domain.actors import Actor
from backend.domain.errors import Conflict, InvalidInput, NotFound
from backend.domain.ledger import year_transaction
from backend.domain.money import format_pence
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.permissions import require
from backend.domain.scoring import criteria, results
from backend.domain.scoring.results import RoundView
from backend.domain.scoring.words import figures, money_line, place
from models import Meeting, Member, Proposal, ScoringRound

REMIND_BEFORE = timedelta(days=2)  # the clock reminds members this long before the meeting

denials = audit.about("scoring_round", results.partnership_of)


def may_run(actor: Actor, partnership_id: int) -> None:
    """Admins and chairs open and close scoring and see who has scored."""
    require(actor, partnership_id, "chair", doing="open or close scoring")


def _meeting_to_score(year_id: int, meeting_id: int | None):
    coming = meetings.upcoming(year_id)
    if meeting_id is not None:
        coming = [m for m in coming if m.id == meeting_id]
        if not coming:
            raise NotFound("That meeting is not one still to come this year, so its agenda "
                           "cannot be scored.")
    if not coming:
        raise NotFound("No working-group meeting is coming up: an admin can schedule one with "
                       "`/crg meeting`, and then scoring can open for its agenda.")
    return coming[0]


def open_round(actor: Actor, year_id: int, meeting_id: int | None = None) -> RoundView:
    """Open scoring for the next meeting's agenda (or the meeting named): every member and chair
    is sent the proposals to score, the group is told, the agenda posts get a Score button."""
    with year_transaction(year_id) as year:
        may_run(actor, year.partnership_id)
        meeting = _meeting_to_score(year.id, meeting_id)
        existing = ScoringRound.get_or_none(ScoringRound.meeting == meeting.id)
        if existing is not None:
            state = ("is already open" if existing.status == "open" else
                     f"closed on {times.show(existing.closed_at)}")
            raise Conflict(f"Scoring for {meeting.title} {state}.")
        agenda = meetings.agenda(meeting.id)
        if not agenda:
            raise NotFound(f"Nothing is on the agenda of {meeting.title} yet, so there is "
                           "nothing to score.")
        members = results.scorers(year.partnership_id)
        if not members:
            raise InvalidInput("Nobody here is a working-group member or chair yet, so nobody "
                               "could score: an admin can add them with `/crg role @person "
                               "member`.")
        rules = criteria.ensure(year.partnership_id)
        row = ScoringRound.create(
            meeting=meeting.id, status="open", opened_by=actor.audit_name, opened_at=times.now(),
            criteria=json.dumps([{"id": c.id, "name": c.name, "low": c.low, "high": c.high,
                                  "weight": c.weight} for c in rules]),
            proposals=json.dumps([p.id for p in agenda]))
        audit.record(actor, "scoring.open", "scoring_round", row.id,
                     partnership_id=year.partnership_id,
                     after={"meeting": meeting.title, "proposals": [p.ref for p in agenda],
                            "criteria": [c.name for c in rules], "members": members})
        pid = year.partnership_id
        for member in members:
            notes.tell(Note(member, "scoring", "scoring_invite",
                            {"round": row.id, "member": member}, partnership_id=pid))
        channel = partnerships.working_group_channel(pid)
        if channel:
            notes.tell(Note(channel, "scoring", "scoring_opened", {"round": row.id},
                            partnership_id=pid))
        for p in agenda:
            proposals.tell_of_change(p.id, pid)
        notes.tell_actor(actor, "scoring_opened_confirmed",
                         {"round": row.id, "members": members}, partnership_id=pid)
    return results.get(row.id)


def _locked_round(round_id: int, year) -> ScoringRound:
    row = ScoringRound.get_or_none(ScoringRound.id == round_id)
    if row is None or Meeting.get_by_id(row.meeting_id).year_id != year.id:
        raise NotFound("That scoring round does not exist.")
    return row


@denials
def close_round(actor: Actor, round_id: int) -> RoundView:
    """Close scoring: the agenda is put in ranked order, each post shows its scores, the group
    is told the ranking and the chairs (and whoever closed it) get it with the money line."""
    r = results.get(round_id)
    with year_transaction(r.year_id) as year:
        may_run(actor, year.partnership_id)
        row = _locked_round(round_id, year)
        if row.status == "closed":
            raise Conflict(f"Scoring for {r.meeting_title} already closed on "
                           f"{times.show(row.closed_at)}.")
        row.status, row.closed_by, row.closed_at = "closed", actor.audit_name, times.now()
        row.pot_pence = results.pot_left(year.id)
        # Ranked: the proposals still before the group (one withdrawn meanwhile is not).
        still = {p.id for p in Proposal.select(Proposal.id).where(
            Proposal.id.in_(json.loads(row.proposals))
            & Proposal.status.in_(meetings.AGENDA_STATUSES))}
        row.proposals = json.dumps([pid for pid in json.loads(row.proposals) if pid in still])
        row.save()
        r = results.view(row)
        ranking = results.ranking_of(r)
        for position, standing in enumerate(ranking.standings, start=1):
            meetings.place_on_agenda(r.meeting_id, standing.proposal_id, position)
        refs = {i: p.ref for i, p in proposals.get_many(r.proposal_ids).items()}
        audit.record(actor, "scoring.close", "scoring_round", row.id,
                     partnership_id=year.partnership_id,
                     after={"ranking": [f"{place(s)}. {refs[s.proposal_id]}: {figures(s, r)}"
                                        for s in ranking.standings],
                            "pot": format_pence(ranking.pot_pence), "line": money_line(ranking)})
        pid = year.partnership_id
        channel = partnerships.working_group_channel(pid)
        if channel:
            notes.tell(Note(channel, "scoring", "scoring_closed", {"round": row.id},
                            partnership_id=pid))
        chairs = [m for (m,) in Member.select(Member.slack_user_id).where(
            (Member.partnership == pid) & (Member.role == "chair")).tuples()]
        for chair in chairs:
            notes.tell(Note(chair, "scoring", "scoring_ranking", {"round": row.id},
                            partnership_id=pid))
        if actor.id not in chairs:
            notes.tell_actor(actor, "scoring_ranking", {"round": row.id}, partnership_id=pid)
        for proposal_id in r.proposal_ids:
            proposals.tell_of_change(proposal_id, pid)
        results.tell_of_dms(r)
    return r


@dataclass(frozen=True)
class Reminded:
    members: tuple[str, ...]


def _remind(actor: Actor, row: ScoringRound, r: RoundView) -> Reminded:
    behind = tuple(p.member for p in results.progress(r) if p.to_do)
    for member in behind:
        notes.tell(Note(member, "scoring", "scoring_reminder", {"round": r.id, "member": member},
                        partnership_id=r.partnership_id))
    audit.record(actor, "scoring.remind", "scoring_round", r.id,
                 partnership_id=r.partnership_id, after={"members": list(behind)})
    notes.tell_actor(actor, "scoring_reminded", {"members": list(behind)},
                     partnership_id=r.partnership_id)
    return Reminded(behind)


@denials
def remind(actor: Actor, round_id: int) -> Reminded:
    """The chair's one button: every member who has proposals left to score is sent a DM."""
    r = results.get(round_id)
    with year_transaction(r.year_id) as year:
        may_run(actor, year.partnership_id)
        row = _locked_round(round_id, year)
        if row.status != "open":
            raise Conflict(f"Scoring for {r.meeting_title} has closed; there is nothing left "
                           "to remind anyone of.")
        return _remind(actor, row, r)


def remind_before_meetings(actor: Actor, now: datetime | None = None) -> list[Reminded]:
    """The clock: once per open round, REMIND_BEFORE its meeting, the members not done yet."""
    now = now or times.now()
    due = (ScoringRound.select(ScoringRound.id).join(Meeting)
           .where((ScoringRound.status == "open") & ScoringRound.reminded_at.is_null()
                  & (Meeting.held_at > now) & (Meeting.held_at <= now + REMIND_BEFORE)))
    done = []
    for candidate in due:
        r = results.get(candidate.id)
        with year_transaction(r.year_id) as year:
            row = _locked_round(candidate.id, year)
            if row.status != "open" or row.reminded_at is not None:
                continue
            done.append(_remind(actor, row, r))
            row.reminded_at = now
            row.save()
    return done


def progress(actor: Actor, round_id: int) -> tuple[RoundView, list[results.MemberProgress]]:
    """Who has and has not scored (not what): admins and chairs."""
    r = results.get(round_id)
    may_run(actor, r.partnership_id)
    return r, results.progress(r)
