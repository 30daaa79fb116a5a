"""The grant's conditions: each partnership's usual ones (its template), attached to every project
it approves, met by the project's lead and accepted by an admin.

Money waits on them: while a project has a "before release" condition that is not met (or
waived), no claim of it can be approved and no spend recorded against it (`require_released`).
"""
from collections.abc import Sequence
from dataclasses import dataclass

from backend.domain import audit, evidence, texts, times
from backend.domain.actors import Actor, is_lead, role_of
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, InvalidInput, NotFound
from backend.domain.evidence import SentFile
from backend.domain.outbox import notes, states
from backend.domain.outbox.notes import Note, tell
from backend.domain.people import admins_of
from backend.domain.permissions import refuse, require
from backend.domain.workflow import reference
from models import ConditionTemplate, FinancialYear, ProjectCondition, Proposal

DUES = {"release": "before any money is released", "year_end": "before the year-end return",
        "ongoing": "ongoing"}
STATES = {"outstanding": "outstanding", "submitted": "marked met, waiting for an admin",
          "met": "met", "waived": "waived"}
SETTLED = ("met", "waived")


@dataclass(frozen=True)
class TemplateView:
    id: int
    partnership_id: int
    title: str
    explanation: str
    due: str
    needs_file: bool
    retired: bool

    @property
    def due_label(self) -> str:
        return DUES[self.due]


@dataclass(frozen=True)
class ConditionView:
    id: int
    proposal_id: int
    ref: str
    title: str
    explanation: str
    due: str
    needs_file: bool
    state: str
    note: str
    answer: str

    @property
    def due_label(self) -> str:
        return DUES[self.due]

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def outstanding(self) -> bool:
        return self.state not in SETTLED


def _checked(title: str, explanation: str, due: str) -> tuple[str, str, str]:
    title = texts.kept(title, "title", texts.TITLE, "condition's title")
    explanation = texts.kept(explanation, "explanation", texts.LONG, "explanation",
                             one_line=False)
    if not title:
        raise InvalidInput("Give the condition a title, e.g. “Signed grant agreement”.",
                           field="title")
    due = (due or "").strip().lower().replace("-", "_")
    if due not in DUES:
        raise InvalidInput("Say when it must be met: before release, before the year-end return "
                           "(year_end) or ongoing.", field="due")
    return title, explanation, due


# -- the partnership's template ----------------------------------------------------------------

def templates(partnership_id: int, *, retired: bool = False) -> list[TemplateView]:
    query = ConditionTemplate.select().where(ConditionTemplate.partnership == partnership_id)
    if not retired:
        query = query.where(ConditionTemplate.retired_at.is_null())
    return [_template(t) for t in query.order_by(ConditionTemplate.id)]


def is_admin(actor: Actor, partnership_id: int) -> bool:
    """Whether to offer this person the admin's buttons (the services still decide)."""
    return role_of(actor, partnership_id) == "admin"


def may_change_template(actor: Actor, partnership_id: int) -> None:
    require(actor, partnership_id, doing="change the partnership's grant conditions")


def add_template(actor: Actor, partnership_id: int, title: str, explanation: str, due: str,
                 needs_file: bool = False) -> TemplateView:
    """A new usual condition: every project approved from now on gets it."""
    title, explanation, due = _checked(title, explanation, due)
    with write_transaction():
        may_change_template(actor, partnership_id)
        now = times.now()
        made = ConditionTemplate.create(partnership=partnership_id, title=title,
                                        explanation=explanation, due=due,
                                        needs_file=bool(needs_file), created_by=actor.audit_name,
                                        created_at=now, updated_at=now)
        audit.record(actor, "condition_template.add", "condition_template", made.id,
                     partnership_id=partnership_id, after=_template_snapshot(made))
    return _template(made)


def edit_template(actor: Actor, template_id: int, title: str, explanation: str, due: str,
                  needs_file: bool = False) -> TemplateView:
    """Change a usual condition's words: projects that have it keep what they agreed to."""
    title, explanation, due = _checked(title, explanation, due)
    with write_transaction():
        found = _live_template(template_id)
        may_change_template(actor, found.partnership_id)
        before = _template_snapshot(found)
        found.title, found.explanation, found.due = title, explanation, due
        found.needs_file, found.updated_at = bool(needs_file), times.now()
        found.save()
        audit.record(actor, "condition_template.edit", "condition_template", found.id,
                     partnership_id=found.partnership_id, before=before,
                     after=_template_snapshot(found))
    return _template(found)


def retire_template(actor: Actor, template_id: int) -> TemplateView:
    """Stop attaching a usual condition to newly approved projects."""
    with write_transaction():
        found = _live_template(template_id)
        may_change_template(actor, found.partnership_id)
        found.retired_at = found.updated_at = times.now()
        found.save()
        audit.record(actor, "condition_template.retire", "condition_template", found.id,
                     partnership_id=found.partnership_id, before=_template_snapshot(found))
    return _template(found)


def _live_template(template_id: int) -> ConditionTemplate:
    found = ConditionTemplate.get_or_none(ConditionTemplate.id == template_id)
    if found is None or found.retired_at is not None:
        raise NotFound(f"There is no condition {template_id} in use; `/crg conditions` lists "
                       "them.")
    return found


# -- a project's conditions ----------------------------------------------------------------------

def attach(actor: Actor, proposal: Proposal) -> int:
    """Inside the approval's transaction: the partnership's usual conditions, for this project
    (those it has already are left as they are). How many were attached."""
    have = {c.template_id for c in ProjectCondition.select(ProjectCondition.template)
            .where(ProjectCondition.proposal == proposal.id)}
    made = 0
    for template in ConditionTemplate.select().where(
            (ConditionTemplate.partnership == proposal.year.partnership_id)
            & ConditionTemplate.retired_at.is_null()).order_by(ConditionTemplate.id):
        if template.id not in have:
            _create(actor, proposal, template.title, template.explanation, template.due,
                    template.needs_file, template=template)
            made += 1
    return made


def attach_year(actor: Actor, year_id: int) -> int:
    """Opening (or reopening) a year: the template, on every project already approved in it."""
    approved = Proposal.select().where((Proposal.year == year_id)
                                       & (Proposal.status == "approved"))
    return sum(attach(actor, proposal) for proposal in approved)


def add_to_project(actor: Actor, proposal_id: int, title: str, explanation: str, due: str,
                   needs_file: bool = False) -> ConditionView:
    """A condition only this project has (the PCC asked for it, say)."""
    title, explanation, due = _checked(title, explanation, due)
    with write_transaction():
        proposal = _proposal(proposal_id)
        require(actor, proposal.year.partnership_id, doing="add a condition to a project")
        made = _create(actor, proposal, title, explanation, due, needs_file)
        _tell_lead(proposal, made, "added")
    return _view(made)


def _create(actor, proposal, title, explanation, due, needs_file, template=None):
    now = times.now()
    made = ProjectCondition.create(proposal=proposal, template=template, title=title,
                                   explanation=explanation, due=due, needs_file=bool(needs_file),
                                   state="outstanding", added_by=actor.audit_name,
                                   created_at=now, updated_by=actor.audit_name, updated_at=now)
    audit.record(actor, "condition.add", "proposal", proposal.id,
                 partnership_id=proposal.year.partnership_id,
                 after={"condition": made.id, "title": title, "due": due})
    return made


def _with_projects():
    """Conditions read with their project and its year (their reference needs both): one
    query for a list, not two more per row."""
    return (ProjectCondition.select(ProjectCondition, Proposal, FinancialYear)
            .join(Proposal).join(FinancialYear))


def for_project(proposal_id: int) -> list[ConditionView]:
    return [_view(c) for c in _with_projects().where(
        ProjectCondition.proposal == proposal_id).order_by(ProjectCondition.id)]


def for_projects(proposal_ids: list[int]) -> list[ConditionView]:
    """Every condition of these projects, project by project."""
    return [_view(c) for c in _with_projects().where(
        ProjectCondition.proposal.in_(proposal_ids))
        .order_by(ProjectCondition.proposal, ProjectCondition.id)]


def outstanding_for(proposal_ids: list[int]) -> dict[int, list[ConditionView]]:
    """Each project's conditions not yet met or waived."""
    found: dict[int, list[ConditionView]] = {pid: [] for pid in proposal_ids}
    for c in _with_projects().where(ProjectCondition.proposal.in_(proposal_ids)
                                    & ProjectCondition.state.not_in(SETTLED)
                                    ).order_by(ProjectCondition.id):
        found[c.proposal_id].append(_view(c))
    return found


def waiting_for_admin(partnership_id: int, limit: int = 10) -> list[ConditionView]:
    """Conditions the leads marked met, waiting for an admin to accept them."""
    return [_view(c) for c in _with_projects().where(
        (FinancialYear.partnership == partnership_id) & (ProjectCondition.state == "submitted"))
        .order_by(ProjectCondition.updated_at).limit(limit)]


def release_blockers(proposal_id: int) -> list[str]:
    """The titles of the project's "before release" conditions not yet met or waived."""
    return [c.title for c in ProjectCondition.select(ProjectCondition.title)
            .where((ProjectCondition.proposal == proposal_id)
                   & (ProjectCondition.due == "release")
                   & ProjectCondition.state.not_in(SETTLED))
            .order_by(ProjectCondition.id)]


def require_released(proposal_id: int, ref: str, doing: str) -> None:
    """No money moves while a release condition is outstanding: refused, naming them."""
    blockers = release_blockers(proposal_id)
    if blockers:
        named = "; ".join(f"“{t}”" for t in blockers)
        raise Conflict(f"No money can be released on {ref} yet, so I can't {doing}: its "
                       f"condition{'s' if len(blockers) > 1 else ''} to meet before release "
                       f"{'are' if len(blockers) > 1 else 'is'} not met: {named}. The "
                       f"project's lead marks them met with `/crg conditions {ref}`.")


def get(condition_id: int) -> ConditionView:
    return _view(_condition(condition_id))


def may_mark_met(actor: Actor, condition_id: int) -> ConditionView:
    """The condition, if this person (the project's lead, or an admin) may say it is met now."""
    found = _condition(condition_id)
    _require_lead(actor, found, "mark a condition met")
    if found.state in SETTLED or found.state == "submitted":
        raise Conflict(f"“{found.title}” on {_ref(found)} is {STATES[found.state]} already.")
    return _view(found)


def mark_met(actor: Actor, condition_id: int, note: str, files: list[SentFile] | tuple = (),
             superadmins: Sequence[str] = ()) -> tuple[ConditionView, list[int]]:
    """The lead says the condition is met: an admin is asked to accept it (the partnership's,
    else `superadmins`, the ADMIN_SLACK_IDS: money waits on the answer). The files (where it
    asks for one) are fetched and kept; their evidence ids are returned to fetch."""
    note = texts.kept(note, "note", texts.LONG, "note", one_line=False)
    files = evidence.checked(files)
    if not note:
        raise InvalidInput("Say how the condition is met (what was done, where it is kept).",
                           field="note")
    with write_transaction():
        may_mark_met(actor, condition_id)
        found = _condition(condition_id)
        if found.needs_file and not files:
            raise InvalidInput(f"“{found.title}” needs a file as its evidence: attach it.",
                               field="files")
        before = _snapshot(found)
        found.state, found.note, found.answer = "submitted", note, ""
        found.updated_by, found.updated_at = actor.audit_name, times.now()
        found.save()
        fetch = evidence.note_pending(files, condition=found)
        partnership_id = found.proposal.year.partnership_id
        audit.record(actor, "condition.mark_met", "proposal", found.proposal_id,
                     partnership_id=partnership_id, before=before, after=_snapshot(found))
        for admin in admins_of(partnership_id) or list(superadmins):
            tell(Note(admin, "condition_submitted", "condition_submitted",
                      {"condition": found.id}, partnership_id=partnership_id))
    return _view(found), fetch


def may_decide(actor: Actor, condition_id: int) -> ConditionView:
    found = _condition(condition_id)
    require(actor, found.proposal.year.partnership_id,
            doing="accept, send back or waive a project's condition")
    if found.state in SETTLED:
        raise Conflict(f"“{found.title}” on {_ref(found)} is {STATES[found.state]} already.")
    return _view(found)


def accept(actor: Actor, condition_id: int) -> ConditionView:
    return _decide(actor, condition_id, "met", "")


def send_back(actor: Actor, condition_id: int, reason: str) -> ConditionView:
    return _decide(actor, condition_id, "outstanding", reason, needs_reason="sent back")


def waive(actor: Actor, condition_id: int, reason: str) -> ConditionView:
    return _decide(actor, condition_id, "waived", reason, needs_reason="waived")


def _decide(actor: Actor, condition_id: int, state: str, reason: str,
            needs_reason: str = "") -> ConditionView:
    reason = texts.kept(reason, "reason", texts.LONG, "reason", one_line=False)
    if needs_reason and not reason:
        raise InvalidInput(f"Say why the condition is {needs_reason}.", field="reason")
    with write_transaction():
        may_decide(actor, condition_id)
        found = _condition(condition_id)
        if state == "met" and found.state != "submitted":
            raise Conflict(f"“{found.title}” on {_ref(found)} has not been marked met by the "
                           "project's lead yet: waive it instead, with a reason, if it does not "
                           "apply.")
        if state == "met" and found.needs_file and not any(
                f.state == "kept" for f in evidence.of_condition(found.id)):
            raise Conflict(f"“{found.title}” on {_ref(found)} needs its file, and none is kept "
                           "(it is still being fetched, or Slack could not give it): send it "
                           "back to the lead to attach it again.")
        before = _snapshot(found)
        found.state, found.answer = state, reason
        found.updated_by, found.updated_at = actor.audit_name, times.now()
        found.save()
        verb = {"met": "accept", "outstanding": "send_back", "waived": "waive"}[state]
        audit.record(actor, f"condition.{verb}", "proposal", found.proposal_id,
                     partnership_id=found.proposal.year.partnership_id, before=before,
                     after=_snapshot(found))
        _tell_lead(found.proposal, found, verb)
        tell(Note(notes.REFRESH, "condition_asks", "condition_asks", {"condition": found.id},
                  kind="refresh", partnership_id=found.proposal.year.partnership_id))
    return _view(found)


def asks_of(condition_id: int) -> list[tuple[str, str]]:
    """Where admins were asked to accept the condition: (person, ts) of each DM delivered."""
    found = _condition(condition_id)
    return [(to, ts) for to, ts, *_ in states.delivered_of(
        found.proposal.year.partnership_id, ("condition_submitted",), condition=condition_id)]


def _tell_lead(proposal: Proposal, condition: ProjectCondition, what: str) -> None:
    lead = proposal.contact_slack_id or proposal.proposer_slack_id
    if lead[:1] in ("U", "W"):
        tell(Note(lead, "condition_news", "condition_news",
                  {"condition": condition.id, "what": what},
                  partnership_id=proposal.year.partnership_id))


def _require_lead(actor: Actor, found: ProjectCondition, doing: str) -> None:
    proposal = found.proposal
    partnership_id = proposal.year.partnership_id
    if is_lead(actor, proposal) or role_of(actor, partnership_id) == "admin":
        return
    refuse(actor, partnership_id, f"Only the project's lead or an admin can {doing} on "
           f"{_ref(found)}.", f"tried to {doing} on {_ref(found)}")


def _proposal(proposal_id: int) -> Proposal:
    found = Proposal.get_or_none(Proposal.id == proposal_id)
    if found is None:
        raise NotFound("That project does not exist.")
    return found


def _condition(condition_id: int) -> ProjectCondition:
    found = ProjectCondition.get_or_none(ProjectCondition.id == condition_id)
    if found is None:
        raise NotFound("That condition does not exist (the message may be out of date).")
    return found


def _ref(c: ProjectCondition) -> str:
    return reference(c.proposal.year.label, c.proposal.number)


def _snapshot(c: ProjectCondition) -> dict:
    return {"condition": c.id, "title": c.title, "state": c.state, "note": c.note,
            "answer": c.answer}


def _template_snapshot(t: ConditionTemplate) -> dict:
    return {"title": t.title, "explanation": t.explanation, "due": t.due,
            "needs_file": t.needs_file}


def _template(t: ConditionTemplate) -> TemplateView:
    return TemplateView(t.id, t.partnership_id, t.title, t.explanation, t.due, t.needs_file,
                        t.retired_at is not None)


def _view(c: ProjectCondition) -> ConditionView:
    return ConditionView(c.id, c.proposal_id, _ref(c), c.title, c.explanation, c.due,
                         c.needs_file, c.state, c.note, c.answer)
