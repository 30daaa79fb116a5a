"""What every finance page shares: who is signed in, how a page is rendered, how a refusal is
shown, and the headers that keep one person's pages private.

Each area of the finance web front is a blueprint of its own (`finance`: signing in and the
downloads; `dashboard`: a partnership's year and its projects; `opcc`: every partnership at
once); each calls `install(blueprint)` so they all answer a refusal and protect a page alike.
The HTML comes from Jinja templates in `templates/`, server-rendered, with no JavaScript.
"""
from datetime import date, datetime

from flask import Blueprint, Response, current_app, render_template, session

from backend.domain import directory, finance_sessions, login_links, times
from backend.domain.actors import Actor
from backend.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound
from backend.domain.money import format_pence

# A refusal's HTTP status: what went wrong, said in the page's one sentence.
STATUS = {login_links.LinkUnusable: 410, finance_sessions.SessionEnded: 410, NotAllowed: 403,
          NotFound: 404, InvalidInput: 400}
SESSION_KEY = "finance_session"  # the cookie holds only the session's secret
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the sign-in link's secret stays out of Referer
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
}


def settings():
    return current_app.config["CRG_SETTINGS"]


def signed_in() -> Actor:
    """The person of this browser's session, or a refusal saying how to sign in."""
    return finance_sessions.person_of(session.get(SESSION_KEY), settings().admin_slack_ids)


def signed_in_as(actor: Actor) -> str:
    """How the page names the person signed in: by name, as Slack knows them."""
    return directory.label(actor.id)


def page(template: str, title: str, status: int = 200, actor: Actor | None = None,
         **values) -> Response:
    """A page from its template; with `actor`, its header names who is signed in."""
    html = render_template(template, title=title,
                           signed_in_as=signed_in_as(actor) if actor else None, **values)
    return Response(html, status, content_type="text/html; charset=utf-8")


def message(title: str, text: str, status: int = 200) -> Response:
    return page("message.html", title, status, message=text)


def _refused(refusal: DomainError):
    status = next((code for kind, code in STATUS.items() if isinstance(refusal, kind)), 409)
    return message("Not possible", refusal.message, status)


def _private(response: Response) -> Response:
    """Pages and files that belong to one signed-in person: never cached, leaked or framed."""
    response.headers.update(SECURITY_HEADERS)
    return response


def money(pence: int | None) -> str:
    return "–" if pence is None else format_pence(pence)


def percent(value: int | None) -> str:
    if value is None:
        return "–"
    return f"{value:+d}%" if value else "0%"


def day(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return times.show(value)
    return times.show_date(value)


def install(blueprint: Blueprint) -> None:
    """The shared refusal page, private headers and template filters, on one blueprint."""
    blueprint.register_error_handler(DomainError, _refused)
    blueprint.after_request(_private)

    @blueprint.app_template_filter("money")
    def _money(pence):
        return money(pence)

    @blueprint.app_template_filter("percent")
    def _percent(value):
        return percent(value)

    @blueprint.app_template_filter("day")
    def _day(value):
        return day(value)
