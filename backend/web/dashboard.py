"""A partnership's year on the finance dashboard, and a page per project.

The year's page: its pots at a glance, the cumulative spend chart (with the same figures in a
table), and the projects table, sortable and filterable by plain links and a GET form
(`project_table`). A project's page: its figures and profile, planned and spent by quarter,
its spend lines, progress reports and history. Both take `?on=YYYY-MM-DD` to show the figures
as at another day. Only for those who see a partnership's whole forecast (`forecast.access`).
"""
from flask import Blueprint, request, url_for

from backend.domain import (
    claims,
    conditions,
    evidence,
    fiscal,
    progress,
    proposals,
    spend,
    times,
)
from backend.domain.audit import HistoryLine
from backend.domain.errors import NotAllowed
from backend.domain.forecast import access, figures, profiles
from backend.domain.forecast.rule import BEHIND_RULE, RULE
from backend.domain.money import format_pence
from backend.domain.workflow import DECISIONS, STATUS_LABELS
from backend.web import pages, project_table
from backend.web.charts import cumulative_chart, row_label

blueprint = Blueprint("dashboard", __name__, url_prefix="/finance", template_folder="templates")
pages.install(blueprint)
# How the history names what is not a decision (decisions have their words in `workflow`).
OTHER_ACTIONS = {"submit": "Proposed", "edit": "Edited", "resubmit": "Resubmitted",
                 "reprofile": "Re-profiled", "report": "Progress reported",
                 "add": "Grant condition added", "mark_met": "Grant condition marked met",
                 "accept": "Grant condition accepted", "send_back": "Grant condition sent back",
                 "waive": "Grant condition waived", "kept": "Evidence kept",
                 "missing": "Evidence missing"}
WHOLE_ONLY = ("The finance dashboard shows a partnership's whole forecast, which is for its "
              "finance staff, chairs and admins.")


def describe(line: HistoryLine) -> str:
    """One line of a project's history in words: "Approved by the PCC (from Business case with
    the OPCC)"."""
    action = line.action.split(".", 1)[-1]
    words = DECISIONS[action].recorded if action in DECISIONS else OTHER_ACTIONS.get(
        action, action.replace("_", " ").capitalize())
    before, after = line.before.get("status"), line.after.get("status")
    if before and after and before != after:
        words += f" (was: {STATUS_LABELS.get(before, before)})"
    return words


def margin_text(forecast) -> str:
    return BEHIND_RULE.format(percent=forecast.margin.percent,
                              minimum=format_pence(forecast.margin.minimum_pence))


@blueprint.get("/<int:partnership_id>/<int:start_year>")
def year(partnership_id: int, start_year: int):
    actor = pages.signed_in()
    query, errors = project_table.read(request.args)
    forecast = figures.for_partnership(actor, partnership_id, fiscal.label(start_year), query.on)
    if not forecast.whole:
        raise NotAllowed(WHOLE_ONLY)
    shown = project_table.apply(forecast.projects, query)
    here = dict(partnership_id=partnership_id, start_year=start_year)

    def view(**params) -> str:
        return url_for("dashboard.year", **here, **params) + "#projects"

    return pages.page(
        "year.html", f"{forecast.partnership} {forecast.label}", 400 if errors else 200,
        actor=actor, wide=True, forecast=forecast, projects=shown, query=query, errors=errors,
        chart=cumulative_chart(forecast.partnership, start_year, forecast.months,
                               forecast.allocation),
        row_label=row_label, rule=RULE, margin_text=margin_text(forecast),
        columns=project_table.COLUMNS, pots=project_table.POTS, rags=project_table.RAGS,
        profiles=project_table.PROFILES, form_url=view(),
        sort_urls={key: view(**query.sort_link(key)) for key in project_table.COLUMNS},
        clear_url=view(**query.params(pot="", rag="", profile="", search="")),
        project_url=_project_urls(here, query),
        outstanding=[items for items in conditions.outstanding_for(
            [p.id for p in forecast.projects]).values() if items],
        xlsx=url_for("finance.workbook", partnership=partnership_id, start_year=start_year),
        json=url_for("finance.giving360", partnership=partnership_id, start_year=start_year))


def _project_urls(here: dict, query):
    """Each project's page address, from one built address (a table of hundreds of rows would
    otherwise build hundreds)."""
    first = url_for("dashboard.project", number=1, **here,
                    **({"on": query.on.isoformat()} if query.on else {}))
    before, _, after = first.partition("/projects/1")
    return lambda p: f"{before}/projects/{int(p.ref.rsplit('-', 1)[1])}{after}"


@blueprint.get("/<int:partnership_id>/<int:start_year>/projects/<int:number>")
def project(partnership_id: int, start_year: int, number: int):
    actor = pages.signed_in()
    query, errors = project_table.read({"on": request.args.get("on", "")})
    found = proposals.find(partnership_id, f"{fiscal.label(start_year)}-{number}")
    if not access.may_see_forecast(actor, partnership_id).whole:
        raise NotAllowed(WHOLE_ONLY)
    forecast = figures.for_project(actor, found.id, query.on)
    lines = spend.lines_for(found.id)
    held = conditions.for_project(found.id)
    return pages.page(
        "project.html", f"{found.ref} {found.title}", 400 if errors else 200, actor=actor,
        project=forecast, proposal=found, errors=errors, query=query,
        quarters=figures.quarter_rows(forecast, start_year), lines=lines,
        claims=claims.for_project(found.id), paid_by=claims.by_spend_line([l.id for l in lines]),
        conditions=held, condition_files=evidence.of_conditions([c.id for c in held]),
        reports=progress.reports_for(found.id), history=proposals.history(found.id),
        reprofiles=profiles.history(found.id), rule=RULE, describe=describe,
        as_at=query.on or times.today_local(),
        year_url=url_for("dashboard.year", partnership_id=partnership_id, start_year=start_year))
