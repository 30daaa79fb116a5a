"""Proposing, editing and withdrawing projects, and reading them back.

A proposal's money is only requested here; it is committed when the PCC approves it
(`backend.domain.decisions`). Submission checks the pot now, so a partner hears at once when
they ask for more than the pot has or the tactical pot is still locked.
"""
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from peewee import fn

from backend.domain import audit, directory, fiscal, partnerships, prepared, texts, times
from backend.domain.actors import Actor, is_lead, role_of
from backend.domain.audit import DENIED
from backend.domain.database import is_postgres
from backend.domain.errors import (
    Conflict,
    FieldErrors,
    InvalidInput,
    NotFound,
    PotLocked,
)
from backend.domain.ledger import tactical_locked_message, year_query, year_transaction
from backend.domain.money import format_pence, parse_amount
from backend.domain.outbox import notes
from backend.domain.outbox.notes import Note
from backend.domain.permissions import refuse
from backend.domain.pots import available, available_query
from backend.domain.prepared import Prepared, PreparedInsert, slot
from backend.domain.rounds import after_final_decision
from backend.domain.workflow import (
    EDITABLE_STATUSES,
    FINAL_STATUSES,
    REFERENCE_PATTERN,
    STATE_PHRASES,
    STATUS_LABELS,
    reference,
)
from backend.domain.years import find_year
from models import Channel, FinancialYear, Partnership, Person, Priority, Proposal

MAX_TITLE = 200


@dataclass(frozen=True)
class Draft:
    """What a partner typed into the proposal form, not yet checked."""

    title: str = ""
    lead_organisation: str = ""
    contact_name: str = ""
    contact_slack_id: str = ""
    description: str = ""
    priorities: tuple[str, ...] = ()
    amount: str = ""
    pot: str = ""
    planned_start: date | None = None
    planned_end: date | None = None
    planned_spend: dict[str, str] = field(default_factory=dict)  # {"Q1": "1,000"}


@dataclass(frozen=True)
class ProposalView:
    id: int
    ref: str
    partnership_id: int
    partnership: str
    year_id: int
    year_label: str
    pot: str
    status: str
    title: str
    lead_organisation: str
    contact_name: str
    contact_slack_id: str
    proposer_slack_id: str
    description: str
    priorities: tuple[str, ...]
    amount_pence: int
    approved_pence: int | None
    planned_start: date | None
    planned_end: date | None
    planned_spend: dict[str, int]
    decision_note: str
    wg_decided_at: datetime | None
    opcc_submitted_on: date | None
    pcc_decided_at: datetime | None
    post_channel: str
    post_ts: str
    created_at: datetime
    updated_at: datetime

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


def view(p: Proposal) -> ProposalView:
    year = p.year
    return ProposalView(
        p.id, reference(year.label, p.number), year.partnership_id, year.partnership.name,
        year.id, year.label, p.pot, p.status, p.title, p.lead_organisation, p.contact_name,
        p.contact_slack_id, p.proposer_slack_id, p.description, tuple(json.loads(p.priorities)),
        p.amount_pence, p.approved_pence, p.planned_start, p.planned_end,
        {k: int(v) for k, v in json.loads(p.planned_spend).items()}, p.decision_note,
        p.wg_decided_at, p.opcc_submitted_on, p.pcc_decided_at, p.post_channel, p.post_ts,
        p.created_at, p.updated_at)


def snapshot(p: Proposal) -> dict:
    """The fields an audit record keeps of a proposal, before and after a change."""
    return {"status": p.status, "title": p.title, "pot": p.pot,
            "amount": format_pence(p.amount_pence),
            "approved": format_pence(p.approved_pence) if p.approved_pence is not None else None,
            "note": p.decision_note}


_PRIORITY_NAMES = Prepared(lambda: (
    Priority.select(Priority.name).where(Priority.year == slot("year")).order_by(Priority.position)))
_SEPARATOR = "\x1f"  # between the priorities' names read in one column (no name holds it)


def _submit_reading():
    """What a submission needs to know, read once it holds the year's lock: the proposal
    its key already made (a Slack retry or a double click), the year's last number (the new one
    follows it; read from the unique index, however many the year has), what the chosen pot has
    available, the working group's channel, the year's priorities, and the contact's name if the
    directory knows it."""
    joined = fn.string_agg if is_postgres() else fn.group_concat
    return year_query(
        Proposal.select(Proposal.id).where(Proposal.submission_key == slot("key"))
        .alias("existing_id"),
        Proposal.select(fn.MAX(Proposal.number)).where(Proposal.year == FinancialYear.id)
        .alias("last_number"),
        available_query().alias("pot_available"),
        Channel.select(Channel.slack_channel_id).where(
            (Channel.partnership == FinancialYear.partnership)
            & (Channel.is_working_group == True)).alias("wg_channel"),  # noqa: E712
        Priority.select(joined(Priority.name, _SEPARATOR)).where(Priority.year == FinancialYear.id)
        .alias("priority_names"),
        Person.select(directory.name_column()).where(Person.slack_user_id == slot("contact"))
        .alias("contact_known_as"))


_ON_SUBMIT = Prepared(_submit_reading, on_server=True)
_INSERT = PreparedInsert(Proposal)


def _checked(draft: Draft, year: FinancialYear, actor: Actor, known_name: str = "",
             priorities: list[str] | None = None) -> dict:
    """The proposal's columns from a draft, or every problem at once against its field.

    The contact's name is the one typed, else the directory's (`known_name`); while neither is
    known it stays empty, never the Slack id, and the directory fills it in when Slack answers.
    """
    errors: dict[str, str] = {}
    texts_kept = {}
    for name, limit, what, one_line in (
            ("title", MAX_TITLE, "title", True),
            ("lead_organisation", texts.TITLE, "lead organisation", True),
            ("contact_name", texts.NAME, "contact's name", True),
            ("description", texts.LONG, "description", False)):
        try:
            texts_kept[name] = texts.kept(getattr(draft, name), name, limit, what,
                                          one_line=one_line)
        except InvalidInput as refusal:
            errors[name] = refusal.message
    title, lead = texts_kept.get("title"), texts_kept.get("lead_organisation")
    if title == "":
        errors["title"] = "Give the project a title."
    if lead == "":
        errors["lead_organisation"] = "Name the organisation that will lead the project."
    pot = _pot_kind(draft)
    if pot not in ("upfront", "tactical"):
        errors["pot"] = "Choose the upfront or the tactical pot."
    amount = None
    try:
        amount = parse_amount(draft.amount, field="amount")
    except InvalidInput as refusal:
        errors["amount"] = refusal.message
    known = priorities if priorities is not None else [
        name for (name,) in _PRIORITY_NAMES.rows(year=year.id)]
    chosen = list(dict.fromkeys(p for p in draft.priorities[:len(known) + 1] if p))
    unknown = [p for p in chosen if p not in known]
    if not chosen:
        errors["priorities"] = "Choose at least one Community Safety Agreement priority."
    elif unknown:
        errors["priorities"] = (f"{', '.join(unknown)} is not a {year.label} priority; choose from "
                                f"the list.")
    errors.update(_date_errors(draft, year))
    spend, spend_error = _planned_spend(draft.planned_spend, amount)
    if spend_error:
        errors["planned_spend"] = spend_error
    if errors:
        raise FieldErrors(errors)
    return dict(title=title, lead_organisation=lead, pot=pot, amount_pence=amount,
                contact_name=texts_kept["contact_name"] or known_name or "",
                contact_slack_id=_user_id(draft.contact_slack_id) or actor.id,
                description=texts_kept["description"], priorities=json.dumps(chosen),
                planned_start=draft.planned_start, planned_end=draft.planned_end,
                planned_spend=json.dumps(spend))


def _user_id(text: str) -> str:
    """A Slack user id from a form (a users_select); anything else (a forged value) is none."""
    value = (text or "").strip()
    return value if re.fullmatch(r"[UW][A-Z0-9_]{2,30}", value) else ""


def _pot_kind(draft: Draft) -> str:
    return (draft.pot or "").strip().lower()


def _date_errors(draft: Draft, year: FinancialYear) -> dict[str, str]:
    errors = {}
    first, last = fiscal.first_day(year.start_year), fiscal.last_day(year.start_year)
    if draft.planned_end and draft.planned_end > last:
        errors["planned_end"] = (f"The grant must be spent by {times.show_date(last)}; plan to "
                                 f"finish by then.")
    if draft.planned_start and draft.planned_end and draft.planned_end < draft.planned_start:
        errors["planned_end"] = "The planned end is before the planned start."
    if draft.planned_start and not first <= draft.planned_start <= last:
        errors["planned_start"] = (f"The start must fall in {year.label} "
                                   f"({times.show_date(first)} to {times.show_date(last)}).")
    return errors


def _planned_spend(quarters: dict[str, str], amount: int | None) -> tuple[dict, str | None]:
    spend = {}
    for quarter in ("Q1", "Q2", "Q3", "Q4"):
        text = (quarters.get(quarter) or "").strip()
        if text:
            try:
                spend[quarter] = parse_amount(text, field="planned_spend", allow_zero=True)
            except InvalidInput as refusal:
                return {}, f"{quarter}: {refusal.message}"
    if amount is not None and sum(spend.values()) > amount:
        return {}, (f"The planned spend by quarter adds up to {format_pence(sum(spend.values()))}, "
                    f"more than the {format_pence(amount)} asked for.")
    return spend, None


def _pot_refusal(year: FinancialYear, pot: str, amount: int, left: int) -> None:
    """Why `pot` cannot take `amount` now, if it cannot; `left` is what it has available."""
    if pot == "tactical" and year.rolled_over_at is None:
        raise PotLocked(tactical_locked_message(year), field="pot")
    if pot == "upfront":
        if year.rolled_over_at is not None:
            raise InvalidInput(f"The upfront round for {year.label} is closed: every upfront "
                               "proposal has been decided. Propose this to the tactical pot.",
                               field="pot")
        if year.upfront_cutoff_at is not None and times.now() > year.upfront_cutoff_at:
            raise InvalidInput(f"The proposal cut-off for upfront projects in {year.label} "
                               f"passed on {times.show(year.upfront_cutoff_at)}.", field="pot")
    if amount > left:
        raise InvalidInput(f"The {pot} pot has {format_pence(left)} available; "
                           f"{format_pence(amount)} is more than that.", field="amount")


def submit(actor: Actor, year_id: int, draft: Draft,
           submission_key: str | None = None) -> tuple[ProposalView, bool]:
    """Record a new proposal; returns it and whether it is new.

    The same submission arriving again (a Slack retry, a double click) carries the same key
    and returns the first proposal instead of making a second.
    """
    return prepared.again_if_lost(lambda: _submit(actor, year_id, draft, submission_key))


def _submit(actor: Actor, year_id: int, draft: Draft,
            submission_key: str | None) -> tuple[ProposalView, bool]:
    with year_transaction(year_id, _ON_SUBMIT, key=submission_key, kind=_pot_kind(draft),
                          contact=_user_id(draft.contact_slack_id) or actor.id) as year:
        if year.existing_id:
            return view(Proposal.get_by_id(year.existing_id)), False
        values = _checked(draft, year, actor, year.contact_known_as or "",
                          (year.priority_names or "").split(_SEPARATOR))
        _pot_refusal(year, values["pot"], values["amount_pence"], int(year.pot_available))
        channel = year.wg_channel
        now = times.now()
        proposal = _INSERT.create(year=year, number=(year.last_number or 0) + 1, status="submitted",
                                  proposer_slack_id=actor.id, submission_key=submission_key,
                                  created_at=now, updated_at=now, **values)
        audit.record(actor, "proposal.submit", "proposal", proposal.id,
                     partnership_id=year.partnership_id, after=snapshot(proposal))
        _tell_of_new(proposal, year.partnership_id, channel)
    return view(proposal), True


def _tell_of_new(proposal: Proposal, partnership_id: int, channel: str | None) -> None:
    """The working group is shown the new proposal (with its decision buttons) and the proposer
    is told it is saved, with how to follow it; a retried submission, which finds its proposal
    already made, tells nobody again."""
    if channel:
        notes.tell(Note(channel, "proposal_post", "proposal_post", {"proposal": proposal.id},
                        partnership_id=partnership_id))
    notes.tell(Note(proposal.proposer_slack_id, "proposal_saved", "proposal_saved",
                    {"proposal": proposal.id, "channel": channel}, partnership_id=partnership_id))


def tell_of_change(proposal_id: int, partnership_id: int) -> None:
    """Every post of the proposal (its announcement and its agenda posts) is brought up to date
    once a change is written. It goes out behind the posts to the working group's channel, so
    it never overtakes the announcement it updates."""
    channel = partnerships.working_group_channel(partnership_id)
    notes.tell(Note(channel or notes.REFRESH, "proposal_update", "proposal_posts",
                    {"proposal": proposal_id}, kind="refresh", partnership_id=partnership_id))


def _partnership_of(proposal_id: int) -> int:
    return load(proposal_id).year.partnership_id


denials = audit.about("proposal", _partnership_of)


@denials
def edit(actor: Actor, proposal_id: int, draft: Draft) -> ProposalView:
    """Change a proposal while it is only submitted (or sent back for changes, which resubmits it)."""
    year_id = _year_id_of(proposal_id)
    with year_transaction(year_id) as year:
        editable_by(actor, proposal_id)
        proposal = Proposal.get_by_id(proposal_id)
        before = snapshot(proposal)
        contact = _user_id(draft.contact_slack_id) or proposal.contact_slack_id
        values = _checked(draft, year, actor, directory.name_of(contact))
        values["contact_slack_id"] = contact
        _pot_refusal(year, values["pot"], values["amount_pence"],
                     available(year.id, values["pot"]))
        for name, value in values.items():
            setattr(proposal, name, value)
        resubmitted = proposal.status == "changes_requested"
        proposal.status = "submitted"
        proposal.updated_at = times.now()
        proposal.save()
        audit.record(actor, "proposal.resubmit" if resubmitted else "proposal.edit", "proposal",
                     proposal.id, partnership_id=year.partnership_id, before=before,
                     after=snapshot(proposal))
        tell_of_change(proposal.id, year.partnership_id)
    return view(proposal)


@denials
def editable_by(actor: Actor, proposal_id: int) -> ProposalView:
    """The proposal, if this person may edit it now; otherwise the refusal saying why."""
    proposal = load(proposal_id)
    year = proposal.year
    _require_owner(actor, proposal, year, "edit")
    if proposal.status not in EDITABLE_STATUSES:
        raise Conflict(f"{reference(year.label, proposal.number)} can no longer be edited: it "
                       f"is {STATE_PHRASES[proposal.status]}.")
    return view(proposal)


@denials
def withdraw(actor: Actor, proposal_id: int) -> ProposalView:
    year_id = _year_id_of(proposal_id)
    with year_transaction(year_id) as year:
        proposal = Proposal.get_by_id(proposal_id)
        _require_owner(actor, proposal, year, "withdraw")
        ref = reference(year.label, proposal.number)
        if proposal.status in FINAL_STATUSES:
            raise Conflict(f"{ref} is already {STATE_PHRASES[proposal.status]}; "
                           + ("an admin can cancel it with the OPCC's consent."
                              if proposal.status == "approved" else "there is nothing to withdraw."))
        before = snapshot(proposal)
        proposal.status = "withdrawn"
        proposal.updated_at = times.now()
        proposal.save()
        audit.record(actor, "proposal.withdraw", "proposal", proposal.id,
                     partnership_id=year.partnership_id, before=before, after=snapshot(proposal))
        tell_of_change(proposal.id, year.partnership_id)
        after_final_decision(year, proposal, actor)
    return view(proposal)


def _require_owner(actor: Actor, proposal: Proposal, year: FinancialYear, doing: str) -> None:
    if is_lead(actor, proposal):
        return
    if role_of(actor, year.partnership_id) != "admin":
        ref = reference(year.label, proposal.number)
        refuse(actor, year.partnership_id,
               f"Only the proposer, the named contact or an admin can {doing} {ref}.",
               f"tried to {doing} {ref}")


def load(proposal_id: int) -> Proposal:
    proposal = Proposal.get_or_none(Proposal.id == proposal_id)
    if proposal is None:
        raise NotFound("That proposal does not exist.")
    return proposal


def _year_id_of(proposal_id: int) -> int:
    return load(proposal_id).year_id


def find(partnership_id: int, ref: str) -> ProposalView:
    """A proposal of a partnership by its reference: CRG-2024/25-007, 2024/25-7, or 7 (this year)."""
    text = (ref or "").strip().upper()
    match = REFERENCE_PATTERN.match(text)
    if not match:
        raise NotFound(f"“{ref}” is not a proposal reference; they look like CRG-2024/25-007.")
    year = find_year(partnership_id, match.group(1))
    proposal = Proposal.get_or_none((Proposal.year == year) & (Proposal.number == int(match.group(2))))
    if not proposal:
        raise NotFound(f"There is no proposal {reference(year.label, int(match.group(2)))} in "
                       f"{year.partnership.name}.")
    return view(proposal)


def get(proposal_id: int) -> ProposalView:
    return view(load(proposal_id))


def get_many(proposal_ids) -> dict[int, ProposalView]:
    """Several proposals by id in one query, for lists (a round's ranking, a member's DM)."""
    ids = list(proposal_ids)
    if not ids:
        return {}
    return {p.id: view(p) for p in with_year_and_partnership().where(Proposal.id.in_(ids))}


def with_year_and_partnership():
    """Proposals with their year and partnership in the same query: `view()` reads both."""
    return (Proposal.select(Proposal, FinancialYear, Partnership)
            .join(FinancialYear).join(Partnership))


def list_for_year(year_id: int, *, status: str | None = None, proposer: str | None = None,
                  pot: str | None = None) -> list[ProposalView]:
    query = (with_year_and_partnership().where(Proposal.year == year_id)
             .order_by(Proposal.number))
    if status:
        query = query.where(Proposal.status == status)
    if proposer:
        query = query.where((Proposal.proposer_slack_id == proposer)
                            | (Proposal.contact_slack_id == proposer))
    if pot:
        query = query.where(Proposal.pot == pot)
    return [view(p) for p in query]


def list_for_person(user_id: str, limit: int = 25) -> list[ProposalView]:
    """A person's proposals (as proposer or named contact) across partnerships, newest first."""
    query = (with_year_and_partnership()
             .where((Proposal.proposer_slack_id == user_id) | (Proposal.contact_slack_id == user_id))
             .order_by(Proposal.created_at.desc(), Proposal.id.desc()).limit(limit))
    return [view(p) for p in query]


def history(proposal_id: int) -> list[audit.HistoryLine]:
    """What happened to the proposal, for everyone who can see it. Refused attempts changed
    nothing and stay in the audit trail only, rather than listing who tried what they may not."""
    return [line for line in audit.history("proposal", proposal_id) if line.action != DENIED]
