"""The papers on the finance page: the Working Group update (.docx) as at a chosen day, and a
partnership's own Word template uploaded for it.

The same services as Slack and the command line decide who may and make the document; this
module only translates between HTTP and them.
"""
import io

from flask import Blueprint, Response, redirect, request, url_for

from backend.domain import fiscal, times
from backend.domain.errors import InvalidInput, NotFound
from backend.domain.papers import access, service, settings
from backend.web import pages

blueprint = Blueprint("papers", __name__, url_prefix="/finance", template_folder="templates")
pages.install(blueprint)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


RETURNS = (("monitoring_return", "mid-year", "Monitoring return, mid-year (.xlsx)"),
           ("monitoring_return", "year-end", "Monitoring return, year-end (.xlsx)"),
           ("year_end_return", "", "Year-end return (.xlsx)"))


def return_links(partnership, start_year: int) -> dict:
    """The returns of a year (a partnership's id, or "all" for the OPCC's), as (label, link)."""
    return {"returns": [(label, url_for("papers.opcc_return", partnership=partnership,
                                        start_year=start_year, kind=kind,
                                        **({"period": period} if period else {})))
                        for kind, period, label in RETURNS]}


def paper_links(actor, partnership_id: int, start_year: int) -> dict:
    """What the overview offers this person for a partnership's year: the update paper (chairs
    and admins), the template form (admins) and the returns; None where they may not."""
    where = {"partnership": partnership_id, "start_year": start_year}
    return {**return_links(partnership_id, start_year),
            "paper": url_for("papers.update_paper", **where)
            if access.offers_paper(actor, partnership_id) else None,
            "template": url_for("papers.paper_template", partnership=partnership_id)
            if access.offers_template(actor, partnership_id) else None,
            "template_name": settings.choices(partnership_id).template_name}


def _partnership(text: str) -> int:
    if not text.isdigit():
        raise NotFound("There is no such partnership.")
    return int(text)


def download(body: bytes, filename: str, content_type: str) -> Response:
    return Response(body, 200, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@blueprint.get("/<partnership>/<int:start_year>/update.docx")
def update_paper(partnership: str, start_year: int):
    actor = pages.signed_in()
    as_at = times.parse_day(request.args.get("as_at") or None, field="as_at")
    asked = service.ask_update(actor, _partnership(partnership), fiscal.label(start_year),
                               as_at=as_at)
    out = io.BytesIO()
    filename = service.write(asked, out)
    return download(out.getvalue(), filename, DOCX)


@blueprint.get("/<partnership>/<int:start_year>/<kind>.xlsx")
def opcc_return(partnership: str, start_year: int, kind: str):
    """A partnership's monitoring or year-end return, or ("all") the OPCC's across them."""
    if kind not in ("monitoring_return", "year_end_return"):
        raise NotFound("There is no such return.")
    actor = pages.signed_in()
    every = partnership == "all"
    asked = service.ask_return(actor, None if every else _partnership(partnership),
                               fiscal.label(start_year), request.args.get("period") or None,
                               kind=kind, every=every)
    out = io.BytesIO()
    filename = service.write(asked, out)
    return download(out.getvalue(), filename, XLSX)


@blueprint.post("/<partnership>/paper-template")
def paper_template(partnership: str):
    """Keep the partnership's own .docx template (admins), or go back to the default."""
    actor = pages.signed_in()
    pid = _partnership(partnership)
    if request.form.get("default"):
        settings.set_template(actor, pid, None)
    else:
        upload = request.files.get("template")
        if upload is None or not upload.filename:
            raise InvalidInput("Choose a Word document (.docx) to upload as the template.")
        settings.set_template(actor, pid, upload.read(settings.MAX_TEMPLATE_BYTES + 1),
                              upload.filename)
    return redirect(url_for("finance.index"), 303)
