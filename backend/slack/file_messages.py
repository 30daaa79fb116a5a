"""Files and links sent to a person's DM: the spend sheet, the 360Giving file, a sign-in link.

They are made when the message is sent, not when asked for: a workbook shows the ledger at that
moment, and a sign-in link's secret never rests in the outbox (only its hash is ever stored,
`backend.domain.login_links`). Anything that stops one being made is told to the person.
"""
import io
import json
import logging

from backend.domain import login_links
from backend.domain.actors import Actor
from backend.domain.errors import DomainError
from backend.domain.exports import service
from backend.logs import current_request_id, log_event
from backend.slack.rendered import Post, Upload
from backend.slack.text import escape

log = logging.getLogger("crg.slack.files")
WHAT = {"spend_sheet": ("the spend sheet", "Spend sheet"),
        "giving360": ("the 360Giving file", "360Giving file")}


def _selection(payload) -> service.Selection:
    return service.Selection(tuple(payload["year_ids"]), payload["title"], payload["file_stem"])


def _file(kind: str, selection: service.Selection, settings) -> tuple[bytes, str]:
    if kind == "giving360":
        package = service.giving360_package(selection, settings)
        return (json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8"),
                f"{selection.file_stem}-360giving.json")
    out = io.BytesIO()
    service.write_spend_sheet(selection, out)
    return out.getvalue(), f"{selection.file_stem}.xlsx"


def _export(kind: str):
    what, label = WHAT[kind]

    def build(payload, settings):
        selection = _selection(payload)
        return uploaded(what, label, selection.title, payload["asked"],
                        lambda: _file(kind, selection, settings))
    return build


def uploaded(what: str, label: str, title: str, asked: str, make):
    """The file `make()` returns (body, file name) as an upload to the person's DM, or what
    stopped it said to them: a refusal in its own words, anything else with a reference."""
    try:
        body, filename = make()
    except DomainError as refusal:
        return f"I could not make {what} for {escape(title)}: {escape(refusal.message)}", []
    except Exception:  # told to the person with a reference, logged in full under it
        reference = current_request_id() or "-"
        log_event(log, "export_failed", logging.ERROR, file=what, of=title,
                  reference=reference, exc_info=True)
        return (f"Sorry, something went wrong making {what} for {escape(title)} "
                f"(reference `{escape(reference)}`). Nothing was changed; please try "
                "again, and if it keeps happening send the reference to the community "
                "safety team."), []
    return Upload(filename, f"{label}: {title} ({asked})", body,
                  f"Here is {what} for {escape(title)}.")


def login_link(payload, settings):
    """A single-use link to the finance page, made now: it works once, within its lifetime."""
    user = payload["user"]
    actor = Actor(id=user, name=user, superadmin=user in settings.admin_slack_ids)
    try:
        token = login_links.issue(actor, payload["partnership"])
    except DomainError as refusal:
        return escape(refusal.message), []
    minutes = int(login_links.LINK_LIFETIME.total_seconds() // 60)
    url = f"{settings.public_url.rstrip('/')}/finance/login/{token}"
    return Post(f"Your sign-in link to the finance page (it works once, within {minutes} "
                f"minutes): <{url}|open the finance page>", secret=True)


RENDERERS = {"spend_sheet": _export("spend_sheet"), "giving360": _export("giving360"),
             "login_link": login_link}
