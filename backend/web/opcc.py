"""The OPCC's view: every partnership's year at once, one row each, and the chart summed.

For those allowed to see every partnership (`forecast.access.may_see_every_partnership`: the
admins named in ADMIN_SLACK_IDS).
"""
from flask import Blueprint, request, url_for

from backend.domain import fiscal
from backend.domain.forecast import figures
from backend.domain.forecast.rule import RULE
from backend.web import pages, project_table
from backend.web.charts import cumulative_chart, row_label

blueprint = Blueprint("opcc", __name__, url_prefix="/finance", template_folder="templates")
pages.install(blueprint)


@blueprint.get("/all/<int:start_year>")
def year(start_year: int):
    actor = pages.signed_in()
    query, errors = project_table.read({"on": request.args.get("on", "")})
    combined = figures.for_every_partnership(actor, fiscal.label(start_year), query.on)
    return pages.page(
        "opcc.html", f"All partnerships {combined.label}", 400 if errors else 200, actor=actor,
        wide=True, combined=combined, errors=errors, query=query, rule=RULE, row_label=row_label,
        chart=cumulative_chart("all partnerships", start_year, combined.months,
                               combined.allocation),
        dashboard=lambda y: url_for("dashboard.year", partnership_id=y.partnership_id,
                                    start_year=y.start_year),
        xlsx=url_for("finance.workbook", partnership="all", start_year=start_year),
        json=url_for("finance.giving360", partnership="all", start_year=start_year))
