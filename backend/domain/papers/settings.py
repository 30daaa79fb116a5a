"""A partnership's choices for its papers: who signs the update, its classification, its own
Word template, which progress measures its reports count and when spend behind needs a reason.

No row means the defaults; the first change makes it. Every change is audited.
"""
import io
import json
import zipfile
from dataclasses import dataclass

from backend.domain import audit, texts, times
from backend.domain.actors import Actor
from backend.domain.errors import InvalidInput
from backend.domain.papers.access import may_set_papers
from backend.domain.partnerships import find_partnership
from models import PaperSettings, database

DEFAULT_CLASSIFICATION = "For Information"
# The measures a partnership chooses from; it may add its own.
USUAL_MEASURES = ("sessions delivered", "people reached", "people trained",
                  "volunteers recruited", "items issued")
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
MAX_MEASURES = 12
MEASURE_NAME = 60


@dataclass(frozen=True)
class PaperChoices:
    partnership_id: int
    chair: str
    deputy_chair: str
    classification: str
    template_name: str  # "": Word's default look (the file itself: `template_of`)
    measures: tuple[str, ...]
    explain_behind_percent: int | None  # None: an explanation is never required


def choices(partnership_id: int) -> PaperChoices:
    """The partnership's choices, without the template's file (up to megabytes: read only when
    a paper is written, by `template_of`)."""
    row = (PaperSettings.select(*[f for f in PaperSettings._meta.sorted_fields
                                  if f is not PaperSettings.template])
           .where(PaperSettings.partnership == partnership_id).first())
    if row is None:
        return PaperChoices(partnership_id, "", "", DEFAULT_CLASSIFICATION, "", (), None)
    return PaperChoices(partnership_id, row.chair, row.deputy_chair, row.classification,
                        row.template_name, tuple(json.loads(row.measures)),
                        row.explain_behind_percent)


def template_of(partnership_id: int) -> bytes | None:
    """The partnership's own Word template, if it gave one."""
    return (PaperSettings.select(PaperSettings.template)
            .where(PaperSettings.partnership == partnership_id).scalar())


def _change(actor: Actor, partnership_name_or_id, what: str, **values) -> PaperChoices:
    partnership = find_partnership(partnership_name_or_id)
    may_set_papers(actor, partnership.id)
    with database.atomic():
        before = choices(partnership.id)
        # Only what changed is written: the template (up to megabytes) is not read back and
        # saved again whenever a name or a measure changes.
        changed = {**values, "updated_by": actor.audit_name, "updated_at": times.now()}
        if not PaperSettings.update(**changed).where(
                PaperSettings.partnership == partnership.id).execute():
            PaperSettings.create(partnership=partnership.id, **changed)
        shown = {k: (f"{len(v):,} bytes" if isinstance(v, bytes) else v)
                 for k, v in values.items()}
        audit.record(actor, f"papers.{what}", "partnership", partnership.id,
                     partnership_id=partnership.id,
                     before={k: getattr(before, k, None) if k != "template" else
                             (before.template_name or "default") for k in values},
                     after=shown)
    return choices(partnership.id)


def set_signatories(actor: Actor, partnership, chair: str, deputy_chair: str,
                    classification: str | None = None) -> PaperChoices:
    values = {"chair": texts.kept(chair, "chair", texts.NAME, "chair's name"),
              "deputy_chair": texts.kept(deputy_chair, "deputy_chair", texts.NAME,
                                         "deputy chair's name")}
    if classification is not None:
        values["classification"] = (texts.kept(classification, "classification", 60,
                                               "classification") or DEFAULT_CLASSIFICATION)
    return _change(actor, partnership, "signatories", **values)


def set_template(actor: Actor, partnership, body: bytes | None, name: str = "") -> PaperChoices:
    """Keep a partnership's own .docx template (None: back to the default)."""
    if body is not None:
        check_template(body)
        name = texts.kept(name or "template.docx", "template", texts.TITLE, "file name")
    return _change(actor, partnership, "template", template=body, template_name=name or "")


def check_template(body: bytes) -> None:
    """A Word document (.docx) of a sensible size, or a refusal that says what it is not."""
    if len(body) > MAX_TEMPLATE_BYTES:
        raise InvalidInput(f"The template is {len(body):,} bytes; keep it under "
                           f"{MAX_TEMPLATE_BYTES // (1024 * 1024)} MB.", field="template")
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        names = set()
    if "word/document.xml" not in names:
        raise InvalidInput("That file is not a Word document (.docx); save the template from "
                           "Word as a .docx and try again.", field="template")


def parse_measures(text: str) -> tuple[str, ...]:
    """"sessions delivered, people reached, our own" as the measures' names, checked."""
    names = []
    for part in (text or "").split(","):
        name = texts.kept(part, "measures", MEASURE_NAME, "measure's name").lower()
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_MEASURES:
        raise InvalidInput(f"Choose at most {MAX_MEASURES} measures.", field="measures")
    return tuple(names)


def set_measures(actor: Actor, partnership, measures: str,
                 explain_behind_percent: int | None = None) -> PaperChoices:
    """The measures its reports count, and (if given) how far behind its planned profile a
    project's spend may fall before a report must say why (0 to 100; -1: never required)."""
    values = {"measures": json.dumps(list(parse_measures(measures)))}
    if explain_behind_percent == -1:
        values["explain_behind_percent"] = None
    elif explain_behind_percent is not None:
        if not 0 <= explain_behind_percent <= 100:
            raise InvalidInput("The percentage behind profile must be from 0 to 100.",
                               field="explain_behind_percent")
        values["explain_behind_percent"] = explain_behind_percent
    return _change(actor, partnership, "measures", **values)
