"""The finance web page: signing in and out, the overview of what a person may see, downloads.

Slack is where people prove who they are: `/crg login` DMs a single-use link
(`backend.domain.login_links`), and following it starts a session on the server
(`backend.domain.finance_sessions`) whose secret goes into a signed cookie (HttpOnly,
SameSite=Lax, Secure except on a laptop's plain-http address); signing out ends the session on
the server, so a copy of the cookie is worthless afterwards. Every page checks the person's
role again, and every download goes through the same export service as the command line and
Slack, so this module only translates between HTTP and the services. A partnership's
dashboard is `dashboard`'s, the view across partnerships `opcc`'s; what they share is `pages`'.
"""
import io
import json

from flask import Blueprint, Response, redirect, session, url_for

from backend.domain import claims, finance_sessions, fiscal, login_links, times
from backend.domain.errors import NotFound
from backend.domain.exports import service
from backend.domain.forecast import figures
from backend.domain.forecast.rule import RULE
from backend.web import pages
from backend.web.papers import paper_links, return_links

blueprint = Blueprint("finance", __name__, url_prefix="/finance", template_folder="templates")
pages.install(blueprint)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = "application/json"
# Evidence is served with its own type only when a browser cannot run it (never HTML or SVG).
SERVED_AS_IS = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/heic",
                "text/plain", "text/csv", "application/msword", XLSX,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.ms-excel", "application/vnd.oasis.opendocument.text",
                "application/vnd.oasis.opendocument.spreadsheet"}


@blueprint.record_once
def _session_cookie(state) -> None:
    settings = state.app.config["CRG_SETTINGS"]
    state.app.config.update(SESSION_COOKIE_SECURE=settings.secure_cookies,
                            SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")


@blueprint.get("/login/<token>")
def login(token: str):
    signed = login_links.redeem(token, pages.settings().admin_slack_ids)
    session.clear()
    session[pages.SESSION_KEY] = signed.session
    return redirect(url_for("finance.index"), 303)


@blueprint.post("/logout")
def logout():
    finance_sessions.end(session.get(pages.SESSION_KEY))  # a copy of the cookie is dead too
    session.clear()
    return pages.message("Signed out", "You are signed out of the finance page.")


@blueprint.get("/")
@blueprint.get("")  # applied first, so links name /finance
def index():
    """Every partnership-year the person may see, newest first, with its figures at a glance."""
    actor = pages.signed_in()
    mine = login_links.finance_partnerships(actor)
    today = times.today_local()
    years = figures.every_year_of([p.id for p in mine], today)
    rows = [dict(forecast=y, dashboard=url_for("dashboard.year", partnership_id=y.partnership_id,
                                               start_year=y.start_year),
                 **_downloads(y.partnership, y.label, y.partnership_id),
                 **paper_links(actor, y.partnership_id, y.start_year)) for y in years]
    opcc = []
    if actor.superadmin:
        labels = sorted({y.start_year for y in years}, reverse=True)
        opcc = [dict(view=url_for("opcc.year", start_year=s),
                     **_downloads("All partnerships", fiscal.label(s), "all"),
                     **return_links("all", s)) for s in labels]
    return pages.page("overview.html", "Finance dashboard", actor=actor, rows=rows, opcc=opcc,
                      today=today, rule=RULE)


def _downloads(name: str, label: str, partnership) -> dict:
    where = {"partnership": partnership, "start_year": fiscal.parse_year(label)}
    return {"name": name, "label": label, "xlsx": url_for("finance.workbook", **where),
            "json": url_for("finance.giving360", **where)}


def _selection(partnership: str, start_year: int) -> service.Selection:
    actor = pages.signed_in()
    label = fiscal.label(start_year)
    if partnership == "all":
        return service.select(actor, year_label=label, all_partnerships=True)
    if not partnership.isdigit():
        raise NotFound("There is no such partnership.")
    return service.select(actor, int(partnership), label)


def _download(body: bytes, filename: str, content_type: str) -> Response:
    return Response(body, 200, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@blueprint.get("/<partnership>/<int:start_year>/spend-sheet.xlsx")
def workbook(partnership: str, start_year: int):
    selection = _selection(partnership, start_year)
    out = io.BytesIO()
    service.write_spend_sheet(selection, out)
    return _download(out.getvalue(), f"{selection.file_stem}.xlsx", XLSX)


@blueprint.get("/evidence/<int:evidence_id>/<path:name>")
def evidence_file(evidence_id: int, name: str):
    """A claim's (or a condition's) file as the tracker keeps it: the same bytes that were sent."""
    kept, body = claims.evidence_file(pages.signed_in(), evidence_id)
    safe = "".join(c if c.isalnum() or c in "._- " else "_" for c in kept.name) or "evidence"
    kind = kept.mimetype if kept.mimetype in SERVED_AS_IS else "application/octet-stream"
    response = _download(body, safe, kind)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/<partnership>/<int:start_year>/360giving.json")
def giving360(partnership: str, start_year: int):
    selection = _selection(partnership, start_year)
    package = service.giving360_package(selection, pages.settings())
    body = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
    return _download(body, f"{selection.file_stem}-360giving.json", f"{JSON}; charset=utf-8")
