"""Claims: a project's lead asks for money with evidence; finance approves, queries or rejects.

An approved claim becomes the project's spend line in the same transaction, with its evidence
linked (`Claim.spend_entry`), under the same rules as any spend (`spend.post_spend`: inside the
year, within what is left, every release condition met). Claims waiting for finance count
against what is left, so two claims cannot both be promised the last pound. Spend that finance
records directly (`/crg spend`) has no claim: it is the central spend, paid by the partnership.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from peewee import fn

from backend.domain import audit, closure, evidence, partnerships, texts, times
from backend.domain.actors import ROLE_NAMES, Actor, is_lead, role_of, slack_user_of
from backend.domain.database import write_transaction
from backend.domain.errors import Conflict, FieldErrors, InvalidInput, NotFound
from backend.domain.evidence import EvidenceView, SentFile
from backend.domain.ledger import SPEND, year_transaction
from backend.domain.money import format_pence
from backend.domain.outbox import notes, states
from backend.domain.outbox.notes import Note, tell
from backend.domain.permissions import refuse, require
from backend.domain.proposals import ProposalView, load, view
from backend.domain.spend import CLAIMS_WAITING, check_in_year, left_to_spend, post_spend
from backend.domain.workflow import reference
from models import Claim, ClaimNote, Evidence, FinanceChannel, FinancialYear, Member, Proposal

STATES = {"pending": "waiting for finance", "queried": "queried by finance",
          "approved": "approved", "rejected": "rejected"}


@dataclass(frozen=True)
class ClaimView:
    id: int
    ref: str
    proposal_id: int
    project_ref: str
    partnership_id: int
    state: str
    amount_pence: int
    cost_on: date
    memo: str
    invoice_ref: str
    claimant: str
    claimant_name: str
    reason: str
    decided_by: str
    decided_at: datetime | None
    spend_entry_id: int | None
    created_at: datetime
    files: tuple[EvidenceView, ...]
    conversation: tuple[tuple[str, str, str], ...]  # (kind, author, text), oldest first

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def waiting(self) -> bool:
        return self.state in CLAIMS_WAITING


def claim_ref(project_ref: str, number: int) -> str:
    return f"{project_ref}/C{number}"


# -- making a claim --------------------------------------------------------------------------

def may_claim(actor: Actor, proposal_id: int) -> ProposalView:
    """The project, if this person (its lead, finance staff or an admin) may claim on it now:
    asked before the form opens and again as it is saved."""
    proposal = load(proposal_id)
    year = proposal.year
    ref = reference(year.label, proposal.number)
    if not is_lead(actor, proposal) and role_of(actor, year.partnership_id) not in (
            "admin", "finance"):
        refuse(actor, year.partnership_id,
               f"Only the project's lead, {ROLE_NAMES['finance']} or {ROLE_NAMES['admin']} can "
               f"claim money on {ref}.", f"tried to claim money on {ref}")
    closure.check_open(actor, proposal.year_id, SPEND)  # a closed year pays no claim: say so now
    if proposal.status != "approved" or not proposal.approved_pence:
        raise Conflict(f"{ref} is not an approved project, so no money can be claimed on it.")
    if left_to_spend(proposal) <= 0:
        raise Conflict(f"{ref} has nothing left to claim: its approved "
                       f"{format_pence(proposal.approved_pence)} is spent or claimed already.")
    return view(proposal)


def make(actor: Actor, proposal_id: int, amount_pence: int, cost_on: date, memo: str,
         invoice_ref: str, files: list[SentFile] | tuple, *, submission_key: str,
         claimant_name: str = "", superadmins: Sequence[str] = ()) -> tuple[ClaimView, list[int]]:
    """A new claim, waiting for finance, and the ids of its files to fetch. A resubmission with
    the same key (Slack's retry, a double click) finds the claim already made. `superadmins`
    (ADMIN_SLACK_IDS) get it when the partnership has nobody of its own to decide it."""
    files = evidence.checked(files)
    memo, invoice_ref = _checked(amount_pence, memo, invoice_ref, needs_files=not files)
    with year_transaction(load(proposal_id).year_id) as year:
        again = Claim.get_or_none(Claim.submission_key == submission_key)
        if again is not None:
            return get(again.id), []
        may_claim(actor, proposal_id)
        proposal = load(proposal_id)
        _within(year, proposal, amount_pence, cost_on)
        number = (Claim.select(fn.MAX(Claim.number)).where(Claim.proposal == proposal)
                  .scalar() or 0) + 1
        now = times.now()
        made = Claim.create(proposal=proposal, number=number, state="pending",
                            amount_pence=amount_pence, cost_on=cost_on, memo=memo,
                            invoice_ref=invoice_ref, claimant=actor.id,
                            claimant_name=(claimant_name or actor.name)[:200],
                            submission_key=submission_key[:200], created_at=now,
                            updated_at=now)
        fetch = evidence.note_pending(files, claim=made)
        audit.record(actor, "claim.make", "claim", made.id, partnership_id=year.partnership_id,
                     after=_snapshot(made) | {"files": [f.name for f in files]})
        _tell_finance(year.partnership_id, made.id, superadmins)
        notes.tell_actor(actor, "claim_saved", {"claim": made.id},
                         partnership_id=year.partnership_id)
    return get(made.id), fetch


def _checked(amount_pence: int, memo: str, invoice_ref: str,
             needs_files: bool = False) -> tuple[str, str]:
    """What was typed, as it will be kept, or every refusal at once against its field."""
    memo = texts.kept(memo, "memo", texts.NOTE, "note of what it was for")
    invoice_ref = texts.kept(invoice_ref, "invoice_ref", texts.REFERENCE,
                             "invoice or receipt reference")
    errors = {}
    if not memo:
        errors["memo"] = "Say what the money was spent on."
    if needs_files:
        errors["files"] = ("Attach the invoice or receipt: a claim is paid against its "
                           "evidence.")
    if amount_pence <= 0:
        errors["amount"] = "The amount claimed must be more than £0."
    if errors:
        raise FieldErrors(errors)
    return memo, invoice_ref


def _within(year, proposal: Proposal, amount_pence: int, cost_on: date,
            claim_id: int | None = None) -> None:
    """Inside the year's transaction: a cost of the project's year, within what is left."""
    check_in_year(year, cost_on)
    left = left_to_spend(proposal, claim_id)
    if amount_pence > left:
        raise InvalidInput(f"{reference(year.label, proposal.number)} has {format_pence(left)} "
                           f"left to claim of its approved {format_pence(proposal.approved_pence)}"
                           " (claims waiting for finance count against it).", field="amount")


# -- finance's decisions -----------------------------------------------------------------------

def may_see_waiting(actor: Actor, partnership_id: int) -> bool:
    """Whether to show this person the claims waiting for finance (finance staff, admins)."""
    return role_of(actor, partnership_id) in ("finance", "admin")


def may_decide(actor: Actor, claim_id: int) -> ClaimView:
    """The claim, if this person (finance staff or an admin) may approve, query or reject it
    now: asked before any form opens, and again as it is saved."""
    found = _claim(claim_id)
    partnership_id = found.proposal.year.partnership_id
    require(actor, partnership_id, "finance", doing="approve, query or reject a claim",
            attempted=f"tried to decide claim {_ref(found)}")
    if found.state not in CLAIMS_WAITING:
        raise Conflict(f"Claim {_ref(found)} is {STATES[found.state]} already"
                       + (f" (by {found.decided_by})." if found.decided_by else "."))
    return get(claim_id)


def approve(actor: Actor, claim_id: int) -> ClaimView:
    """The claim is paid: it becomes the project's spend line, with its evidence, at once."""
    found = _claim(claim_id)
    with year_transaction(found.proposal.year_id) as year:
        may_decide(actor, claim_id)
        found = _claim(claim_id)
        proposal = found.proposal
        ref = reference(year.label, proposal.number)
        files = evidence.of_claims([found.id])[found.id]
        if any(f.state == "pending" for f in files):
            raise Conflict(f"The files of claim {_ref(found)} are still being fetched from "
                           "Slack; try again in a minute.")
        if not any(f.state == "kept" for f in files):
            raise Conflict(f"Claim {_ref(found)} has no evidence kept (Slack could not give "
                           "us its files): query it and ask the lead to attach them again.")
        entry = post_spend(actor, year, proposal, ref, found.amount_pence, found.cost_on,
                           found.memo, _ref(found), claim_id=found.id)
        before = _snapshot(found)
        found.state, found.spend_entry = "approved", entry
        _decided(found, actor)
        audit.record(actor, "claim.approve", "claim", found.id,
                     partnership_id=year.partnership_id, before=before,
                     after=_snapshot(found) | {"spend_line": entry.id})
        _tell_of_decision(found, "approve")
    return get(claim_id)


def query(actor: Actor, claim_id: int, question: str) -> ClaimView:
    """Finance asks the lead something about the claim; it waits for the answer."""
    return _move(actor, claim_id, "query", _said(question, "question", "question"),
                 may_decide)


def reject(actor: Actor, claim_id: int, reason: str) -> ClaimView:
    return _move(actor, claim_id, "reject", _said(reason, "reason", "reason"), may_decide)


def _move(actor: Actor, claim_id: int, what: str, text: str, ask) -> ClaimView:
    """A claim moves on by words (a question, an answer, a rejection's reason): asked again
    (`ask`), kept with the claim, audited and told, in one transaction."""
    state = {"query": "queried", "answer": "pending", "reject": "rejected"}[what]
    with write_transaction():
        ask(actor, claim_id)
        found = _claim(claim_id)
        before = _snapshot(found)
        found.state = state
        if what == "reject":
            found.reason = text
        else:
            ClaimNote.create(claim=found, kind=what, text=text, author=actor.audit_name,
                             created_at=times.now())
        _decided(found, actor, decided=what == "reject")
        audit.record(actor, f"claim.{what}", "claim", found.id,
                     partnership_id=found.proposal.year.partnership_id, before=before,
                     after=_snapshot(found) | ({} if what == "reject" else {what: text}))
        _tell_of_decision(found, what)
    return get(claim_id)


def may_answer(actor: Actor, claim_id: int) -> ClaimView:
    """The claim, if this person (whoever made it, or the project's lead) may answer finance's
    question now."""
    found = _claim(claim_id)
    if actor.id != found.claimant and not is_lead(actor, found.proposal):
        refuse(actor, found.proposal.year.partnership_id,
               f"Only whoever made claim {_ref(found)} or the project's lead can answer it.",
               f"tried to answer the query on claim {_ref(found)}")
    if found.state != "queried":
        raise Conflict(f"Claim {_ref(found)} is {STATES[found.state]}: there is no question "
                       "waiting for an answer.")
    return get(claim_id)


@dataclass(frozen=True)
class Changes:
    """The claim as the lead corrects it while answering a query."""

    amount_pence: int
    cost_on: date
    memo: str
    invoice_ref: str


def answer(actor: Actor, claim_id: int, text: str, files: list[SentFile] | tuple = (),
           changes: Changes | None = None) -> tuple[ClaimView, list[int]]:
    """The lead's answer, perhaps correcting the claim and adding files (a missing receipt):
    the claim goes back to finance. The ids of the new files to fetch come with it."""
    text = _said(text, "answer", "answer")
    files = evidence.checked(files)
    if changes is not None:
        memo, invoice_ref = _checked(changes.amount_pence, changes.memo, changes.invoice_ref)
        changes = Changes(changes.amount_pence, changes.cost_on, memo, invoice_ref)
    with year_transaction(_claim(claim_id).proposal.year_id) as year:
        may_answer(actor, claim_id)
        if changes is not None:
            _edit(actor, year, _claim(claim_id), changes)
        _move(actor, claim_id, "answer", text, may_answer)
        fetch = evidence.note_pending(files, claim=claim_id) if files else []
    return get(claim_id), fetch


def _edit(actor: Actor, year, found: Claim, changes: Changes) -> None:
    """The claim corrected (audited, before and after), if anything changed."""
    before = _snapshot(found)
    if (found.amount_pence, found.cost_on, found.memo, found.invoice_ref) == (
            changes.amount_pence, changes.cost_on, changes.memo, changes.invoice_ref):
        return
    _within(year, found.proposal, changes.amount_pence, changes.cost_on, found.id)
    found.amount_pence, found.cost_on = changes.amount_pence, changes.cost_on
    found.memo, found.invoice_ref = changes.memo, changes.invoice_ref
    found.save()
    audit.record(actor, "claim.edit", "claim", found.id, partnership_id=year.partnership_id,
                 before=before, after=_snapshot(found))


def _said(text: str, field: str, what: str) -> str:
    kept = texts.kept(text, field, texts.LONG, what, one_line=False)
    if not kept:
        raise InvalidInput(f"Write the {what}.", field=field)
    return kept


def _decided(found: Claim, actor: Actor, decided: bool = True) -> None:
    found.updated_at = times.now()
    if decided:
        found.decided_by, found.decided_at = actor.audit_name, found.updated_at
    found.save()


# -- who hears of it -------------------------------------------------------------------------

def finance_channel(partnership_id: int) -> str | None:
    linked = FinanceChannel.get_or_none(FinanceChannel.partnership == partnership_id)
    return linked.slack_channel_id if linked else None


def finance_people(partnership_id: int, superadmins: Sequence[str] = ()) -> list[str]:
    """Who gets a claim by DM when the partnership has no finance channel: its finance staff,
    else its admins, else the tracker's own (a partnership set up with chairs only): a claim
    nobody hears of waits for ever."""
    for role in ("finance", "admin"):
        found = [m for (m,) in Member.select(Member.slack_user_id).where(
            (Member.partnership == partnership_id) & (Member.role == role))
            .order_by(Member.id).tuples()]
        if found:
            return found
    return list(superadmins)


def link_finance_channel(actor: Actor, partnership_id: int, channel: str) -> str:
    """Claims of this partnership are posted to `channel` from now on (linked to it too)."""
    partnerships.may_link_channel(actor, partnership_id)
    channel = partnerships.channel_id(channel)
    owner = partnerships.partnership_for_channel(channel)
    if owner is None:
        partnerships.add_channel(actor, partnership_id, channel)
    elif owner != partnership_id:
        raise Conflict("That channel belongs to another partnership.", field="channel")
    with write_transaction():
        require(actor, partnership_id, doing="link a channel to the partnership")
        before = finance_channel(partnership_id)
        updated = FinanceChannel.update(slack_channel_id=channel, linked_by=actor.audit_name,
                                        linked_at=times.now()).where(
            FinanceChannel.partnership == partnership_id).execute()
        if not updated:
            FinanceChannel.create(partnership=partnership_id, slack_channel_id=channel,
                                  linked_by=actor.audit_name, linked_at=times.now())
        audit.record(actor, "partnership.finance_channel", "partnership", partnership_id,
                     partnership_id=partnership_id, before={"channel": before},
                     after={"channel": channel})
    return channel


def _tell_finance(partnership_id: int, claim_id: int, superadmins: Sequence[str]) -> None:
    channel = finance_channel(partnership_id)
    for recipient in ([channel] if channel else finance_people(partnership_id, superadmins)):
        tell(Note(recipient, "claim_post", "claim_post", {"claim": claim_id},
                  partnership_id=partnership_id))


def _tell_of_decision(found: Claim, what: str) -> None:
    """The claim's post is brought up to date; the claimant (or, for an answer, finance) hears."""
    partnership_id = found.proposal.year.partnership_id
    # Its post in the finance channel, or each finance officer's DM of it: found when it is sent.
    tell(Note(notes.REFRESH, "claim_posts", "claim_posts", {"claim": found.id},
              kind="refresh", partnership_id=partnership_id))
    if what == "answer":
        # The answer goes to whoever asked the question (a queried claim is not yet decided).
        asked = (ClaimNote.select().where((ClaimNote.claim == found) & (ClaimNote.kind == "query"))
                 .order_by(ClaimNote.id.desc()).first())
        who = [slack_user_of(asked.author) or ""] if asked else []
    else:
        who = [found.claimant]
    for person in who:
        if person[:1] in ("U", "W"):
            tell(Note(person, "claim_news", "claim_news", {"claim": found.id, "what": what},
                      partnership_id=partnership_id))


# -- reading ---------------------------------------------------------------------------------

def get(claim_id: int) -> ClaimView:
    return _views([_claim(claim_id)])[0]


def evidence_file(actor: Actor, evidence_id: int) -> tuple[EvidenceView, bytes]:
    """A kept file and its bytes, for finance staff, chairs and admins of its partnership (the
    finance page's download)."""
    found = Evidence.get_or_none(Evidence.id == evidence_id)
    if found is None or found.state != "kept":
        raise NotFound("There is no such file kept.")
    proposal = found.claim.proposal if found.claim_id else found.condition.proposal
    require(actor, proposal.year.partnership_id, "finance", "chair",
            doing="download a claim's or a condition's evidence")
    return evidence.content_of(found.id)


def posts_of(claim_id: int) -> list[tuple[str, str]]:
    """Where the claim was posted for finance, once delivered: (channel or person, ts) of its
    finance-channel post, or of each DM to finance staff when the partnership has no channel."""
    found = _claim(claim_id)
    if found.post_ts:
        return [(found.post_channel, found.post_ts)]
    return [(to, ts) for to, ts, *_ in states.delivered_of(
        found.proposal.year.partnership_id, ("claim_post",), claim=claim_id)]


def _with_projects():
    """Claims read with their project and its year (their reference needs both): one query
    for a list, not two more per row."""
    return Claim.select(Claim, Proposal, FinancialYear).join(Proposal).join(FinancialYear)


def waiting_in(partnership_id: int, limit: int = 10) -> list[ClaimView]:
    """Claims of the partnership waiting for finance, oldest first (the App Home's list)."""
    return _views(list(_with_projects().where(
        (FinancialYear.partnership == partnership_id) & Claim.state.in_(CLAIMS_WAITING))
        .order_by(Claim.created_at, Claim.id).limit(limit)))


def for_project(proposal_id: int) -> list[ClaimView]:
    return _views(list(_with_projects().where(Claim.proposal == proposal_id)
                       .order_by(Claim.number)))


def by_spend_line(entry_ids: list[int]) -> dict[int, ClaimView]:
    """The claim each spend line paid (a line with none is central spend)."""
    found = list(_with_projects().where(Claim.spend_entry.in_(entry_ids)))
    return {c.spend_entry_id: c for c in _views(found)}


def paid_lines(year_ids: list[int]) -> dict[int, tuple[str, tuple[str, ...]]]:
    """For the spend sheet: each spend line of these years paid on a claim, with the claim's
    reference and its files' names (with the start of each file's SHA-256)."""
    found = (Claim.select(Claim.id, Claim.number, Claim.spend_entry, Proposal.number,
                          FinancialYear.label)
             .join(Proposal).join(FinancialYear)
             .where(Proposal.year.in_(year_ids) & Claim.spend_entry.is_null(False))
             .tuples())
    refs = {cid: (entry, claim_ref(reference(label, pnum), number))
            for cid, number, entry, pnum, label in found}
    files: dict[int, list[str]] = {cid: [] for cid in refs}
    for cid, name, state, sha in (Evidence.select(Evidence.claim, Evidence.name, Evidence.state,
                                                  Evidence.sha256)
                                  .where(Evidence.claim.in_(list(refs)))
                                  .order_by(Evidence.id).tuples()):
        files[cid].append(f"{name} (SHA-256 {sha[:12]})" if state == "kept"
                          else f"{name} (missing)")
    return {entry: (ref, tuple(files[cid])) for cid, (entry, ref) in refs.items()}


def _views(found: list[Claim]) -> list[ClaimView]:
    ids = [c.id for c in found]
    files = evidence.of_claims(ids)
    talk: dict[int, list] = {i: [] for i in ids}
    for n in ClaimNote.select().where(ClaimNote.claim.in_(ids)).order_by(ClaimNote.id):
        talk[n.claim_id].append((n.kind, n.author, n.text))
    return [_view(c, files[c.id], talk[c.id]) for c in found]


def _claim(claim_id: int) -> Claim:
    found = Claim.get_or_none(Claim.id == claim_id)
    if found is None:
        raise NotFound("That claim does not exist (the message may be out of date).")
    return found


def _ref(c: Claim) -> str:
    return claim_ref(reference(c.proposal.year.label, c.proposal.number), c.number)


def _snapshot(c: Claim) -> dict:
    return {"claim": _ref(c), "state": c.state, "amount": format_pence(c.amount_pence),
            "cost_on": c.cost_on.isoformat(), "memo": c.memo, "invoice_ref": c.invoice_ref,
            "reason": c.reason}


def _view(c: Claim, files, talk) -> ClaimView:
    proposal: Proposal = c.proposal
    project_ref = reference(proposal.year.label, proposal.number)
    return ClaimView(c.id, claim_ref(project_ref, c.number), proposal.id, project_ref,
                     proposal.year.partnership_id, c.state, c.amount_pence, c.cost_on, c.memo,
                     c.invoice_ref, c.claimant, c.claimant_name, c.reason, c.decided_by,
                     c.decided_at, c.spend_entry_id, c.created_at, tuple(files), tuple(talk))

