"""A member's scores of one proposal: taken, replaced, or set aside for a declared conflict.

Only working-group members and chairs score, only while the round is open, and never a proposal
from their own side (they proposed it or are its contact, or they declared a conflict). Every
refusal is kept on record, a score outside the scale too, against the input it is about. Scoring
again replaces the member's earlier scores of that proposal (the record keeps both), so no one
counts twice.
"""
from dataclasses import dataclass

from backend.domain import audit, proposals, texts, times
from backend.domain.actors import ROLE_NAMES, Actor, role_of
from backend.domain.errors import FieldErrors, InvalidInput, NotFound
from backend.domain.ledger import year_transaction
from backend.domain.outbox import notes
from backend.domain.permissions import refuse
from backend.domain.proposals import ProposalView
from backend.domain.proposals import get as proposal
from backend.domain.scoring import results
from backend.domain.scoring.criteria import whole_number
from backend.domain.scoring.results import SCORER_ROLES, RoundView
from models import Proposal, Score, ScoreSheet

COMMENT = texts.LONG
denials = audit.about("scoring_round", results.partnership_of)


def field_of(criterion_id: int) -> str:
    """The input a criterion's score is typed in (and refused against)."""
    return f"criterion_{criterion_id}"


@dataclass(frozen=True)
class ScoringForm:
    """What the scoring form opens with: the member's own earlier scores, nobody else's."""

    round: RoundView
    proposal: ProposalView
    values: dict[int, int]
    comment: str


def _checked(actor: Actor, r: RoundView, proposal_id: int) -> Proposal:
    """The proposal the member may score in this round, or a refusal on the record."""
    pid = r.partnership_id
    p = Proposal.get_or_none(Proposal.id == proposal_id)
    if p is None or proposal_id not in r.proposal_ids:
        raise NotFound(f"That proposal is not on the agenda scored for {r.meeting_title}.")
    role = role_of(actor, pid)
    if role not in SCORER_ROLES:
        refuse(actor, pid, "Only working-group members and chairs score proposals; you are "
               f"{ROLE_NAMES[role]} in this partnership. An admin can make you a member with "
               "`/crg role @person member`.",
               "tried to score a proposal")
    ref = proposal(p.id).ref
    if r.closed:
        refuse(actor, pid, f"Scoring for {r.meeting_title} closed on {times.show(r.closed_at)}; "
               "scores can no longer change.", f"tried to score {ref} after scoring closed")
    if results.own_organisation(actor.id, p):
        refuse(actor, pid, f"You proposed {ref} or are its contact, so you have a conflict of "
               "interest and do not score it.", f"tried to score {ref} despite a conflict")
    sheet = _sheet(r.id, p.id, actor.id)
    if sheet is not None and sheet.conflict:
        refuse(actor, pid, f"You declared a conflict of interest on {ref} on "
               f"{times.show(sheet.updated_at)}, so you do not score it.",
               f"tried to score {ref} after declaring a conflict")
    return p


def _sheet(round_id: int, proposal_id: int, member: str) -> ScoreSheet | None:
    return ScoreSheet.get_or_none((ScoreSheet.round == round_id)
                                  & (ScoreSheet.proposal == proposal_id)
                                  & (ScoreSheet.member_slack_id == member))


def _values_of(sheet: ScoreSheet | None) -> dict[int, int]:
    if sheet is None:
        return {}
    return {s.criterion_id: s.value for s in Score.select().where(Score.sheet == sheet.id)}


@denials
def may_score(actor: Actor, round_id: int, proposal_id: int) -> ScoringForm:
    """Asked before the scoring form opens (and again by `score`)."""
    r = results.get(round_id)
    p = _checked(actor, r, proposal_id)
    sheet = _sheet(r.id, p.id, actor.id)
    return ScoringForm(r, proposal(p.id), _values_of(sheet), sheet.comment if sheet else "")


def _read(actor: Actor, r: RoundView, typed: dict, ref: str) -> dict[int, int]:
    """Each criterion's score as a whole number within its scale; every wrong one is refused
    against its own input, all at once, and the attempt kept on record."""
    values, errors = {}, {}
    for rule in r.rules:
        try:
            values[rule.id] = whole_number(typed.get(rule.id), field_of(rule.id), rule.low,
                                           rule.high, f"score for {rule.name}")
        except InvalidInput as wrong:
            errors[wrong.field] = wrong.message
    if errors:
        audit.denied(actor, f"tried to score {ref} outside the scale", " ".join(errors.values()),
                     r.partnership_id)
        raise FieldErrors(errors)
    return values


@denials
def score(actor: Actor, round_id: int, proposal_id: int, typed: dict[int, str],
          comment: str = "") -> ScoringForm:
    """Keep the member's scores of a proposal (`typed`: criterion id -> what they typed) and
    their comment, replacing any they gave before."""
    r = results.get(round_id)
    comment = texts.kept(comment, "comment", COMMENT, "comment", one_line=False)
    with year_transaction(r.year_id):
        r = results.get(round_id)  # read again under the lock: it may have closed meanwhile
        p = _checked(actor, r, proposal_id)
        ref = proposal(p.id).ref
        values = _read(actor, r, typed, ref)
        sheet = _sheet(r.id, p.id, actor.id)
        before, before_comment = _values_of(sheet), sheet.comment if sheet else ""
        now = times.now()
        if sheet is None:
            sheet = ScoreSheet.create(round=r.id, proposal=p.id, member_slack_id=actor.id,
                                      comment=comment, scored_at=now, updated_at=now)
        else:
            Score.delete().where(Score.sheet == sheet.id).execute()
            sheet.comment, sheet.updated_at = comment, now
            sheet.save()
        for criterion_id, value in values.items():
            Score.create(sheet=sheet.id, criterion=criterion_id, value=value)
        names = {rule.id: rule.name for rule in r.rules}
        audit.record(actor, "scoring.rescore" if before else "scoring.score", "scoring_round",
                     r.id, partnership_id=r.partnership_id,
                     before={"proposal": ref, "scores": {names.get(k, k): v
                                                         for k, v in before.items()},
                             "comment": before_comment} if before else None,
                     after={"proposal": ref, "scores": {names[k]: v for k, v in values.items()},
                            "comment": comment})
        proposals.tell_of_change(p.id, r.partnership_id)  # its posts count one more score
        results.tell_of_dms(r, actor.id)
        notes.tell_actor(actor, "scoring_saved", {"proposal": ref, "scores": [
            [rule.name, values[rule.id]] for rule in r.rules]}, partnership_id=r.partnership_id)
    return ScoringForm(r, proposal(p.id), values, comment)


@denials
def declare_conflict(actor: Actor, round_id: int, proposal_id: int, note: str = "") -> None:
    """The member is from the proposing organisation (or otherwise conflicted): they do not
    score the proposal, and any scores they gave it are set aside (kept in the record)."""
    r = results.get(round_id)
    note = texts.kept(note, "comment", COMMENT, "comment", one_line=False)
    with year_transaction(r.year_id):
        r = results.get(round_id)
        p = _checked(actor, r, proposal_id)
        ref = proposal(p.id).ref
        sheet = _sheet(r.id, p.id, actor.id)
        before = _values_of(sheet)
        now = times.now()
        if sheet is None:
            sheet = ScoreSheet.create(round=r.id, proposal=p.id, member_slack_id=actor.id,
                                      conflict=True, comment=note, scored_at=now, updated_at=now)
        else:
            Score.delete().where(Score.sheet == sheet.id).execute()
            sheet.conflict, sheet.comment, sheet.updated_at = True, note, now
            sheet.save()
        audit.record(actor, "scoring.conflict", "scoring_round", r.id,
                     partnership_id=r.partnership_id,
                     before={"proposal": ref, "scores": before} if before else None,
                     after={"proposal": ref, "conflict": True, "comment": note})
        proposals.tell_of_change(p.id, r.partnership_id)
        results.tell_of_dms(r, actor.id)
        notes.tell_actor(actor, "scoring_saved", {"proposal": ref, "conflict": True},
                         partnership_id=r.partnership_id)
