"""A scoring round read back: who may score, how far they have got, and (only once the round
has closed) the scores and the ranking.

Nobody sees another member's scores while a round is open, so the first score does not anchor
the rest: everything here that shows scores asks `closed` first, and the progress a chair sees
while it is open says who has scored, never what.
"""
import json
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from backend.domain.errors import Conflict, NotFound
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.pots import year_figures
from backend.domain.scoring.ranking import Entry, Ranking, Rule, Standing, member_score, rank
from models import FinancialYear, Meeting, Member, Proposal, Score, ScoreSheet, ScoringRound

SCORER_ROLES = ("member", "chair")


@dataclass(frozen=True)
class RoundView:
    id: int
    meeting_id: int
    meeting_title: str
    held_at: datetime
    year_id: int
    partnership_id: int
    status: str
    rules: tuple[Rule, ...]
    proposal_ids: tuple[int, ...]
    opened_at: datetime
    closed_at: datetime | None
    pot_pence: int | None  # set when it closed

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    @property
    def low(self) -> int:
        return min(r.low for r in self.rules)

    @property
    def high(self) -> int:
        return max(r.high for r in self.rules)


def view(r: ScoringRound) -> RoundView:
    meeting = Meeting.get_by_id(r.meeting_id)
    year = FinancialYear.get_by_id(meeting.year_id)
    rules = tuple(Rule(c["id"], c["name"], c["low"], c["high"], c["weight"])
                  for c in json.loads(r.criteria))
    return RoundView(r.id, meeting.id, meeting.title, meeting.held_at, year.id,
                     year.partnership_id, r.status, rules, tuple(json.loads(r.proposals)),
                     r.opened_at, r.closed_at, r.pot_pence)


def get(round_id: int) -> RoundView:
    found = ScoringRound.get_or_none(ScoringRound.id == round_id)
    if found is None:
        raise NotFound("That scoring round does not exist.")
    return view(found)


# The members' DMs with Score buttons: each is brought up to date as they score, and at the close.
DM_RENDERS = ("scoring_invite", "scoring_reminder")


def tell_of_dms(r: RoundView, member: str | None = None) -> None:
    """The member's scoring DMs (every member's, with None) are updated in place: a scored
    proposal's button then says "Change score", and once scoring closes none is left to press."""
    notes.tell(Note(notes.REFRESH, "scoring_dm", "scoring_dms",
                    {"round": r.id} | ({"member": member} if member else {}),
                    kind="refresh", partnership_id=r.partnership_id))


def partnership_of(round_id: int) -> int:
    return get(round_id).partnership_id


def of_year(year_id: int, status: str | None = None) -> list[RoundView]:
    """The year's rounds, by meeting date (optionally only those open or closed)."""
    query = (ScoringRound.select().join(Meeting).where(Meeting.year == year_id)
             .order_by(Meeting.held_at, ScoringRound.id))
    if status:
        query = query.where(ScoringRound.status == status)
    return [view(r) for r in query]


def rounds_of_meeting(meeting_id: int) -> list[RoundView]:
    return [view(r) for r in ScoringRound.select().where(ScoringRound.meeting == meeting_id)]


def open_of_year(year_id: int) -> RoundView:
    found = of_year(year_id, "open")
    if not found:
        raise NotFound("Scoring is not open for any meeting: an admin or chair can open it with "
                       "`/crg scoring open`.")
    return found[0]


def last_closed_of_year(year_id: int) -> RoundView:
    found = of_year(year_id, "closed")
    if not found:
        raise NotFound("No scoring round has closed yet this year.")
    return found[-1]


def scorers(partnership_id: int) -> list[str]:
    """Who scores: the working group's members and chairs, in the order they were given it."""
    return [m for (m,) in Member.select(Member.slack_user_id).where(
        (Member.partnership == partnership_id) & Member.role.in_(SCORER_ROLES))
        .order_by(Member.id).tuples()]


def open_rounds_of_member(member: str) -> list[RoundView]:
    """The open rounds the person may score: in partnerships where they are a member or chair."""
    theirs = Member.select(Member.partnership).where((Member.slack_user_id == member)
                                                     & Member.role.in_(SCORER_ROLES))
    rows = (ScoringRound.select().join(Meeting).join(FinancialYear)
            .where((ScoringRound.status == "open") & FinancialYear.partnership.in_(theirs))
            .order_by(Meeting.held_at))
    return [view(r) for r in rows]


def own_organisation(member: str, proposal: Proposal) -> bool:
    """A member who proposed the project, or is its contact, is from the proposing side: they
    have a conflict whether or not they declared one."""
    return member in (proposal.proposer_slack_id, proposal.contact_slack_id)


def _sheets(round_id: int) -> list[ScoreSheet]:
    return list(ScoreSheet.select().where(ScoreSheet.round == round_id)
                .order_by(ScoreSheet.proposal, ScoreSheet.member_slack_id))


def _values(sheet_ids: list[int]) -> dict[int, dict[int, int]]:
    values: dict[int, dict[int, int]] = {}
    if sheet_ids:
        for s in Score.select().where(Score.sheet.in_(sheet_ids)):
            values.setdefault(s.sheet_id, {})[s.criterion_id] = s.value
    return values


def scored_by(round_id: int, member: str) -> dict[int, bool]:
    """What one member has done in a round: {proposal id: declared a conflict}."""
    return {pid: conflict for pid, conflict in ScoreSheet.select(
        ScoreSheet.proposal, ScoreSheet.conflict).where(
        (ScoreSheet.round == round_id) & (ScoreSheet.member_slack_id == member)).tuples()}


def count_scored(round_id: int, proposal_id: int) -> int:
    """How many members have scored the proposal (not what they gave it)."""
    return ScoreSheet.select().where((ScoreSheet.round == round_id)
                                     & (ScoreSheet.proposal == proposal_id)
                                     & (ScoreSheet.conflict == False)).count()  # noqa: E712


@dataclass(frozen=True)
class MemberProgress:
    member: str
    scored: int
    conflicts: int
    to_do: int  # proposals they may still score


def progress(r: RoundView) -> list[MemberProgress]:
    """Per member: how many proposals they have scored, declared a conflict on, and have left.
    Counts only, never the scores."""
    proposals = {p.id: p for p in Proposal.select().where(Proposal.id.in_(r.proposal_ids))}
    sheets = _sheets(r.id)
    rows = []
    for member in scorers(r.partnership_id):
        mine = {s.proposal_id: s for s in sheets if s.member_slack_id == member}
        scored = sum(1 for s in mine.values() if not s.conflict)
        conflicts = sum(1 for pid, p in proposals.items()
                        if (pid in mine and mine[pid].conflict)
                        or (pid not in mine and own_organisation(member, p)))
        rows.append(MemberProgress(member, scored, conflicts,
                                   len(proposals) - scored - conflicts))
    return rows


def ranking_of(r: RoundView) -> Ranking:
    """The round's ranking from what is stored (the caller has checked it may be seen)."""
    proposals = {p.id: p for p in Proposal.select().where(Proposal.id.in_(r.proposal_ids))}
    sheets = _sheets(r.id)
    values = _values([s.id for s in sheets if not s.conflict])
    members = scorers(r.partnership_id)
    entries = []
    for position, pid in enumerate(r.proposal_ids, start=1):
        p = proposals[pid]
        mine = [s for s in sheets if s.proposal_id == pid]
        given = tuple(values.get(s.id, {}) for s in mine if not s.conflict)
        done = {s.member_slack_id for s in mine}
        conflicts = sum(1 for s in mine if s.conflict) + sum(
            1 for m in members if m not in done and own_organisation(m, p))
        waiting = sum(1 for m in members if m not in done and not own_organisation(m, p))
        entries.append(Entry(pid, position, p.amount_pence,
                             tuple(g for g in given if len(g) == len(r.rules)),
                             waiting, conflicts))
    return rank(r.rules, entries, pot_left(r.year_id) if r.pot_pence is None else r.pot_pence)


def pot_left(year_id: int) -> int:
    """What the upfront pot has left for the agenda: uncommitted, and not earmarked for
    proposals the group has already supported."""
    return year_figures(FinancialYear.get_by_id(year_id)).pots["upfront"].unearmarked


def ranking(round_id: int) -> tuple[RoundView, Ranking]:
    """A closed round's ranking; while it is open, nobody sees one."""
    r = get(round_id)
    if not r.closed:
        raise Conflict("Scoring is still open: the ranking is shown once it closes, so no one's "
                       "score anchors the rest.")
    return r, ranking_of(r)


@dataclass(frozen=True)
class GivenScore:
    """One member's scores of one proposal, as shown once the round has closed."""

    round_id: int
    meeting_title: str
    member: str
    conflict: bool
    values: tuple[tuple[str, int], ...]  # (criterion, score), in the round's order
    weighted: Fraction | None
    comment: str
    scored_at: datetime
    updated_at: datetime


def _given(r: RoundView, sheets: list[ScoreSheet]) -> list[GivenScore]:
    values = _values([s.id for s in sheets if not s.conflict])
    shown = []
    for s in sheets:
        mine = values.get(s.id, {})
        pairs = tuple((rule.name, mine[rule.id]) for rule in r.rules if rule.id in mine)
        weighted = member_score(r.rules, mine) if len(pairs) == len(r.rules) else None
        shown.append(GivenScore(r.id, r.meeting_title, s.member_slack_id, s.conflict, pairs,
                                weighted, s.comment, s.scored_at, s.updated_at))
    return shown


def closed_scores_of(proposal_id: int) -> list[tuple[RoundView, Standing, list[GivenScore]]]:
    """Every closed round the proposal was scored in: its standing there and each member's
    scores and comment. Nothing from a round still open."""
    proposal = Proposal.get_or_none(Proposal.id == proposal_id)
    rounds = of_year(proposal.year_id, "closed") if proposal else []
    found = []
    for r in (r for r in rounds if proposal_id in r.proposal_ids):
        standing = next(s for s in ranking_of(r).standings if s.proposal_id == proposal_id)
        sheets = [s for s in _sheets(r.id) if s.proposal_id == proposal_id]
        found.append((r, standing, _given(r, sheets)))
    return found


def open_round_with(proposal_id: int) -> RoundView | None:
    """The open round whose agenda holds the proposal (its posts then carry a Score button):
    looked for among its own year's rounds only, since every redraw of its posts asks."""
    proposal = Proposal.get_or_none(Proposal.id == proposal_id)
    rounds = of_year(proposal.year_id, "open") if proposal else []
    return next((r for r in rounds if proposal_id in r.proposal_ids), None)


@dataclass(frozen=True)
class SheetLine:
    """One member's scoring of one proposal in a closed round, with the proposal's standing."""

    round: RoundView
    number: int  # the proposal's number in its year (its reference)
    title: str
    standing: Standing
    given: GivenScore


def closed_sheets_of_years(year_ids) -> list[SheetLine]:
    """Who scored what, when, in the closed rounds of these years (the spend sheet's Scoring
    sheet), by meeting, then ranked order, then member."""
    lines = []
    for year_id in year_ids:
        for r in of_year(year_id, "closed"):
            proposals = {p.id: p for p in
                         Proposal.select().where(Proposal.id.in_(r.proposal_ids))}
            standings = ranking_of(r).standings
            order = {s.proposal_id: i for i, s in enumerate(standings)}
            by_id = {s.proposal_id: s for s in standings}
            sheets = sorted(_sheets(r.id), key=lambda s: (order[s.proposal_id],
                                                          s.member_slack_id))
            for s, given in zip(sheets, _given(r, sheets)):
                p = proposals[s.proposal_id]
                lines.append(SheetLine(r, p.number, p.title, by_id[p.id], given))
    return lines
