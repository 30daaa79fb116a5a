"""The finance web page: finance staff and admins download the spend sheets in a browser.

Slack is where people prove who they are: `/crg login` DMs a single-use link
(`backend.domain.login_links`), and following it starts a signed session cookie (HttpOnly,
SameSite=Lax, Secure except on a laptop's plain-http address). Every page checks the person's
role again, and every download goes through the same export service as the command line and
Slack, so this module only translates between HTTP and the services. The HTML is server-
rendered, small and needs no JavaScript.
"""
import io
import json
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template_string,
    session,
    url_for,
)

from backend.domain import directory, fiscal, login_links
from backend.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from backend.domain.exports import service

blueprint = Blueprint("finance", __name__, url_prefix="/finance")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = "application/json"
# A refusal's HTTP status: what went wrong, said in the page's one sentence.
STATUS = {login_links.LinkUnusable: 410, NotAllowed: 403, NotFound: 404, InvalidInput: 400}
NOT_SIGNED_IN = "You are not signed in to the finance page. Type /crg login in Slack for a link."

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · CRG Tracker</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem;
       line-height: 1.5; color: #1b1b1b; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .5rem; border-bottom: 1px solid #ccc; vertical-align: top; }
a { color: #0b4f8a; }
a:focus, button:focus { outline: 3px solid #fd0; }
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
{% if message %}
<p>{{ message }}</p>
{% else %}
<p>Signed in as {{ user }}. Each spend sheet is an Excel workbook for the OPCC; the
360Giving file lists the funded projects in the open data standard.</p>
<table>
<caption>Spend sheets you can download</caption>
<thead><tr><th scope="col">Partnership</th><th scope="col">Year</th>
<th scope="col">Downloads</th></tr></thead>
<tbody>
{% for row in rows %}
<tr><th scope="row">{{ row.name }}</th><td>{{ row.label }}</td>
<td><a href="{{ row.xlsx }}" aria-label="{{ row.name }} {{ row.label }} spend sheet (.xlsx)"
>Spend sheet (.xlsx)</a> ·
<a href="{{ row.json }}" aria-label="{{ row.name }} {{ row.label }} 360Giving file (.json)"
>360Giving file (.json)</a></td></tr>
{% else %}
<tr><td colspan="3">No financial year has been opened yet.</td></tr>
{% endfor %}
</tbody>
</table>
<form method="post" action="{{ logout }}"><p><button type="submit">Sign out</button></p></form>
{% endif %}
</main>
</body>
</html>
"""


@blueprint.record_once
def _session_cookie(state) -> None:
    settings = state.app.config["CRG_SETTINGS"]
    state.app.config.update(SESSION_COOKIE_SECURE=settings.secure_cookies,
                            SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")


def _settings():
    return current_app.config["CRG_SETTINGS"]


def _page(title: str, status: int = 200, **values) -> Response:
    html = render_template_string(PAGE, **{"title": title, "message": "", **values})
    return Response(html, status, content_type="text/html; charset=utf-8")


@blueprint.errorhandler(DomainError)
def _refused(refusal: DomainError):
    status = next((code for kind, code in STATUS.items() if isinstance(refusal, kind)), 409)
    return _page("Not possible", status, message=refusal.message)


@blueprint.after_request
def _private(response: Response) -> Response:
    """Pages and files that belong to one signed-in person: never cached, leaked or framed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link's secret stays out of Referer
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
    return response


@blueprint.get("/login/<token>")
def login(token: str):
    signed = login_links.redeem(token, _settings().admin_slack_ids)
    session.clear()
    session["finance_user"] = signed.user_id
    session["finance_signed_in_at"] = signed.signed_in_at.isoformat()
    return redirect(url_for("finance.index"), 303)


@blueprint.post("/logout")
def logout():
    session.clear()
    return _page("Signed out", message="You are signed out of the finance page.")


def _actor():
    user, when = session.get("finance_user"), session.get("finance_signed_in_at")
    if not user or not when:
        raise NotAllowed(NOT_SIGNED_IN)
    return login_links.signed_in(user, datetime.fromisoformat(when), _settings().admin_slack_ids)


@blueprint.get("/")
@blueprint.get("")  # applied first, so links name /finance
def index():
    actor = _actor()
    mine = login_links.finance_partnerships(actor)
    rows = [_row(p.name, label, p.id) for p in mine for label in reversed(p.years)]
    if actor.superadmin:
        labels = sorted({label for p in mine for label in p.years}, reverse=True)
        rows = [_row("All partnerships", label, "all") for label in labels] + rows
    return _page("Spend sheets", user=directory.label(actor.id), rows=rows,
                 logout=url_for("finance.logout"))


def _row(name: str, label: str, partnership) -> dict:
    where = {"partnership": partnership, "start_year": fiscal.parse_year(label)}
    return {"name": name, "label": label, "xlsx": url_for("finance.workbook", **where),
            "json": url_for("finance.giving360", **where)}


def _selection(partnership: str, start_year: int) -> service.Selection:
    actor = _actor()
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


@blueprint.get("/<partnership>/<int:start_year>/360giving.json")
def giving360(partnership: str, start_year: int):
    selection = _selection(partnership, start_year)
    package = service.giving360_package(selection, _settings())
    body = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
    return _download(body, f"{selection.file_stem}-360giving.json", f"{JSON}; charset=utf-8")
