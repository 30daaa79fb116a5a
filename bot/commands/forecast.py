"""`/crg forecast`: the year-end underspend forecast, re-profiling a project, and the margin.

Who sees how much is the domain's rule (`forecast.access`): finance staff, chairs and admins see
the whole partnership; a partner sees the projects they lead.
"""
from backend.domain import proposals
from backend.domain.errors import InvalidInput
from backend.domain.forecast import figures, margins, profiles
from backend.domain.forecast.rule import BEHIND_RULE
from backend.domain.money import format_pence, parse_amount
from backend.slack.forecast_blocks import forecast_blocks
from backend.slack.text import escape
from bot.router import Reply, subcommand

REPROFILE_USAGE = ("`/crg forecast reprofile REF Q1 Q2 Q3 Q4 REASON`, e.g. `/crg forecast "
                   "reprofile CRG-2024/25-007 0 1,000 2,500 2,500 OPCC agreed a later start`")
MARGIN_USAGE = "`/crg forecast margin PERCENT AMOUNT`, e.g. `/crg forecast margin 25% £250`"


@subcommand("forecast", "forecast [YEAR] | forecast reprofile REF Q1 Q2 Q3 Q4 REASON | forecast "
            "margin [PERCENT AMOUNT]", "the year-end underspend forecast (finance staff, chairs "
            "and admins; partners see their own projects); admins re-profile a project or set "
            "when one counts as behind", "/crg forecast 2024/25")
def show_forecast(request, args):
    words = args.split()
    if words and words[0].lower() == "reprofile":
        return _reprofile(request, words[1:])
    if words and words[0].lower() == "margin":
        return _margin(request, words[1:])
    if len(words) > 1:
        raise InvalidInput("Write it as `/crg forecast` or `/crg forecast 2024/25`.")
    forecast = figures.for_partnership(request.actor, request.partnership_id,
                                       words[0] if words else None)
    return Reply(f"Forecast for {escape(forecast.partnership)} {forecast.label}: "
                 f"{format_pence(forecast.forecast_underspend)} likely to be left on 31 March"
                 if forecast.whole else f"Forecast of your projects in {forecast.label}",
                 forecast_blocks(forecast))


def _reprofile(request, words: list[str]) -> Reply:
    if len(words) < 6:
        raise InvalidInput(f"Write it as {REPROFILE_USAGE}.")
    ref, amounts, reason = words[0], words[1:5], " ".join(words[5:])
    project = proposals.find(request.partnership_id, ref)
    quarters = [parse_amount(a, field="quarters", allow_zero=True) for a in amounts]
    profile = profiles.reprofile(request.actor, project.id, quarters, reason)
    shown = ", ".join(f"Q{q} {format_pence(a)}" for q, a in enumerate(profile.quarters, 1))
    return Reply(f"{project.ref} is re-profiled: {shown}. The earlier profile stays in its "
                 "history.")


def _margin(request, words: list[str]) -> Reply:
    pid = request.partnership_id
    if not words:
        margin = margins.margin_of(pid)
    elif len(words) == 2:
        margin = margins.set_margin(request.actor, pid, percent=margins.parse_percent(words[0]),
                                    minimum_pence=parse_amount(words[1], field="minimum",
                                                               allow_zero=True))
    else:
        raise InvalidInput(f"Write it as {MARGIN_USAGE}; `/crg forecast margin` alone says how "
                           "it is set.")
    said = BEHIND_RULE.format(percent=margin.percent, minimum=format_pence(margin.minimum_pence))
    return Reply(("Done. " if words else "") + said)
