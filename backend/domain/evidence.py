"""Files kept as evidence: behind a claim (an invoice, a receipt) or a condition (a signed grant
agreement). The tracker keeps the bytes and their SHA-256 itself, so the evidence outlives the
Slack file it came from.

A file is noted as pending in the transaction that makes the claim (or marks the condition met);
the Slack side fetches it just after (`backend.slack.evidence`) and hands the bytes here. A file
Slack cannot serve, or one over `MAX_FILE_BYTES`, is marked missing with the reason, and the
person who sent it is told which file it was; the claim itself is kept.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.domain import audit, times
from backend.domain.actors import Actor, slack_user_of
from backend.domain.database import write_transaction
from backend.domain.errors import InvalidInput
from backend.domain.outbox.notes import Note, tell
from backend.domain.workflow import reference
from models import Evidence

MAX_FILE_BYTES = 10 * 1024 * 1024  # per file: the form says so, and the README
MAX_FILES = 5  # per claim or condition: Slack's file_input allows up to 10
NAME_LIMIT = 200


@dataclass(frozen=True)
class SentFile:
    """A file as Slack's file_input sends it with a submitted form: its id and name."""

    slack_file_id: str
    name: str


@dataclass(frozen=True)
class EvidenceView:
    id: int
    name: str
    state: str  # "pending", "kept" or "missing"
    size: int
    sha256: str
    mimetype: str
    problem: str
    fetched_at: datetime | None

    @property
    def size_label(self) -> str:
        return f"{self.size / 1024:,.0f} KB" if self.size >= 1024 else f"{self.size} bytes"


def limit_label() -> str:
    if MAX_FILE_BYTES >= 1024 * 1024:
        return f"{MAX_FILE_BYTES / (1024 * 1024):g} MB"
    return f"{MAX_FILE_BYTES / 1024:g} KB"


def checked(files: list[SentFile] | tuple) -> list[SentFile]:
    """The files a form sent, within the number allowed and with ids Slack gives files."""
    kept = []
    for sent in files or ():
        file_id = str(sent.slack_file_id or "")
        if not file_id[:1] == "F" or not file_id.isalnum() or len(file_id) > 40:
            raise InvalidInput("One of the files could not be read; attach it again.",
                               field="files")
        name = " ".join(str(sent.name or file_id).split())[:NAME_LIMIT] or file_id
        kept.append(SentFile(file_id, name))
    if len(kept) > MAX_FILES:
        raise InvalidInput(f"Attach at most {MAX_FILES} files.", field="files")
    return kept


def note_pending(files: list[SentFile], *, claim=None, condition=None) -> list[int]:
    """Inside the caller's transaction: the files to fetch, as pending evidence."""
    now = times.now()
    return [Evidence.create(claim=claim, condition=condition, slack_file_id=f.slack_file_id,
                            name=f.name, state="pending", created_at=now).id for f in files]


LEFT_BEHIND = timedelta(minutes=2)  # a file still pending this long was not fetched by its request


def pending(evidence_ids: list[int] | None = None, *,
            noted_before: datetime | None = None) -> list[tuple[int, str]]:
    """(id, Slack file id) of evidence not yet fetched: these, or all of them (noted before a
    moment: the clock's, for files a process that died never fetched)."""
    query = Evidence.select(Evidence.id, Evidence.slack_file_id).where(Evidence.state == "pending")
    if evidence_ids is not None:
        query = query.where(Evidence.id.in_(evidence_ids))
    if noted_before is not None:
        query = query.where(Evidence.created_at < noted_before)
    return [(e.id, e.slack_file_id) for e in query.order_by(Evidence.id)]


def keep(evidence_id: int, content: bytes, mimetype: str = "") -> EvidenceView:
    """The file's bytes, as Slack served them: kept with their SHA-256, or refused as too big."""
    if len(content) > MAX_FILE_BYTES:
        return missing(evidence_id, f"it is {len(content):,} bytes, over the "
                                    f"{limit_label()} limit for a file")
    with write_transaction():
        found = Evidence.get_by_id(evidence_id)
        if found.state != "pending":
            return view(found)
        found.content = content
        found.size = len(content)
        found.sha256 = hashlib.sha256(content).hexdigest()
        found.mimetype = (mimetype or "")[:100]
        found.state, found.fetched_at = "kept", times.now()
        found.save()
        _record(found, "evidence.kept", {"file": found.name, "size": found.size,
                                         "sha256": found.sha256})
    return view(found)


def missing(evidence_id: int, problem: str) -> EvidenceView:
    """Slack could not give us the file (or it is too big): the claim stays, and whoever sent it
    hears which file is missing and why."""
    with write_transaction():
        found = Evidence.get_by_id(evidence_id)
        if found.state != "pending":
            return view(found)
        found.state, found.problem, found.fetched_at = "missing", problem[:500], times.now()
        found.save()
        _record(found, "evidence.missing", {"file": found.name, "problem": found.problem})
        owner, partnership_id = _sender_of(found)
        if owner[:1] in ("U", "W"):
            tell(Note(owner, "evidence_missing", "evidence_missing", {"evidence": found.id},
                      partnership_id=partnership_id))
    return view(found)


# Who fetches and keeps the files, on the audit trail: the app itself, on the sender's behalf.
FETCHER = Actor(id="system:evidence", name="the evidence fetcher")


def _record(found: Evidence, action: str, after: dict) -> None:
    """The file's fate on the trail of what it is evidence for (its claim, or its project)."""
    owner, partnership_id = _sender_of(found)
    entity, entity_id = (("claim", found.claim_id) if found.claim_id
                         else ("proposal", found.condition.proposal_id))
    audit.record(FETCHER, action, entity, entity_id, partnership_id=partnership_id,
                 after=after | {"evidence": found.id, "sent_by": owner})


def _sender_of(found: Evidence) -> tuple[str, int]:
    if found.claim_id:
        claim = found.claim
        return claim.claimant, claim.proposal.year.partnership_id
    condition = found.condition  # the person who marked it met
    return slack_user_of(condition.updated_by) or "", condition.proposal.year.partnership_id


def belongs_to(evidence_id: int) -> str:
    """What the file was evidence for, in words: "claim CRG-2024/25-001/C1"."""
    found = Evidence.get_by_id(evidence_id)
    if found.claim_id:
        claim = found.claim
        ref = reference(claim.proposal.year.label, claim.proposal.number)
        return f"claim {ref}/C{claim.number}"
    condition = found.condition
    ref = reference(condition.proposal.year.label, condition.proposal.number)
    return f"the condition “{condition.title}” on {ref}"


def get(evidence_id: int) -> EvidenceView:
    return view(Evidence.get_by_id(evidence_id))


def content_of(evidence_id: int) -> tuple[EvidenceView, bytes]:
    found = Evidence.get_by_id(evidence_id)
    return view(found), found.content or b""


def of_claims(claim_ids: list[int]) -> dict[int, list[EvidenceView]]:
    return _of(Evidence.claim, claim_ids)


def of_condition(condition_id: int) -> list[EvidenceView]:
    return of_conditions([condition_id])[condition_id]


def of_conditions(condition_ids: list[int]) -> dict[int, list[EvidenceView]]:
    return _of(Evidence.condition, condition_ids)


def _of(owner, ids: list[int]) -> dict[int, list[EvidenceView]]:
    """The files of each of these claims (or conditions), without their bytes."""
    found: dict[int, list[EvidenceView]] = {i: [] for i in ids}
    for e in Evidence.select(*_LIGHT, owner).where(owner.in_(ids)).order_by(Evidence.id):
        found[getattr(e, owner.name + "_id")].append(view(e))
    return found


# Everything but the bytes: a list of files never reads megabytes it does not show.
_LIGHT = (Evidence.id, Evidence.name, Evidence.state, Evidence.size, Evidence.sha256,
          Evidence.mimetype, Evidence.problem, Evidence.fetched_at)


def view(e: Evidence) -> EvidenceView:
    return EvidenceView(e.id, e.name, e.state, e.size or 0, e.sha256 or "", e.mimetype or "",
                        e.problem or "", e.fetched_at)
