"""The forecast in Slack: what `/crg forecast`, the App Home and the clock's messages show.

Figures come from `backend.domain.forecast` in pence and are shown to the penny; every title a
person typed is escaped. The one-sentence rule is always shown with the figures, so nobody has to
guess how a forecast was made.
"""
from backend.domain import times
from backend.domain.forecast.figures import ProjectForecast, YearForecast
from backend.domain.forecast.rule import BEHIND_RULE, RULE
from backend.domain.money import format_pence
from backend.slack.blocks import context, header, packed_sections, section
from backend.slack.text import context_text, escape, shorten


def percent(value: int | None) -> str:
    return "–" if value is None else f"{value:+d}%" if value else "0%"


def project_line(p: ProjectForecast) -> str:
    """One project: planned and spent to date, the variance, and what it is forecast to leave."""
    behind = " · *behind profile*" if p.behind else ""
    assumed = " (profile assumed)" if p.profile.assumed else ""
    return (f"*{p.ref}* {escape(shorten(p.title, 80))}: approved {format_pence(p.approved)}; "
            f"planned to date {format_pence(p.planned)}{assumed}, spent "
            f"{format_pence(p.spent)} ({percent(p.variance_percent)}); forecast "
            f"{format_pence(p.forecast)}, leaving {format_pence(p.forecast_unspent)}{behind}")


def margin_sentence(f: YearForecast) -> str:
    return BEHIND_RULE.format(percent=f.margin.percent,
                              minimum=format_pence(f.margin.minimum_pence))


def summary_line(f: YearForecast) -> str:
    return (f"Forecast underspend on 31 March: *{format_pence(f.forecast_underspend)}* "
            f"({format_pence(f.uncommitted)} not yet committed, plus "
            f"{format_pence(f.forecast_unspent)} of approved money forecast to be left unspent)")


def forecast_blocks(f: YearForecast, *, limit: int = 25) -> list[dict]:
    """A partnership-year's forecast: the totals (whole view), then each project."""
    as_at = times.show_date(f.on)
    blocks = [header(f"Forecast: {f.partnership} {f.label}"),
              context(context_text(f"As at {as_at}. {RULE}"))]
    if f.whole:
        pots = [f"• {kind.capitalize()}: {format_pence(p.allocated)} allocated, "
                f"{format_pence(p.committed)} committed, {format_pence(p.spent)} spent; "
                f"forecast underspend {format_pence(p.forecast_underspend)}"
                for kind, p in f.pots.items()]
        blocks.extend(packed_sections([summary_line(f),
                                       f"Planned to date {format_pence(f.planned)}, spent "
                                       f"{format_pence(f.spent)}.", *pots]))
    elif not f.projects:
        blocks.append(section("You lead no funded project this year. The whole forecast is for "
                              "finance staff, chairs and admins."))
    lines = [project_line(p) for p in f.projects[:limit]]
    if len(f.projects) > limit:
        lines.append(f"…and {len(f.projects) - limit} more: the finance web page "
                     "(`/crg login`) lists them all.")
    if lines:
        blocks.extend(packed_sections(["*Projects*", *lines]))
    blocks.append(context(context_text(margin_sentence(f))))
    return blocks


def home_blocks(f: YearForecast) -> list[dict]:
    """The App Home's few lines: the money likely to be left and what is behind (or, for a
    partner, how their own projects stand)."""
    behind = [p for p in f.projects if p.behind]
    if f.whole:
        lines = [f"*Forecast, {f.label}* (as at {times.show_date(f.on)}): "
                 f"{format_pence(f.forecast_underspend)} likely to be left on 31 March; "
                 f"{len(behind)} project{'' if len(behind) == 1 else 's'} behind profile."]
    elif f.projects:
        lines = [f"*Your projects' forecast, {f.label}* (as at {times.show_date(f.on)}):"]
    else:
        return []
    shown = behind if f.whole else list(f.projects)
    lines += [f"• {project_line(p)}" for p in shown[:8]]
    if len(shown) > 8:
        lines.append(f"…and {len(shown) - 8} more: `/crg forecast` lists them all.")
    return [*packed_sections(lines), context("`/crg forecast` for the figures. " + RULE)]
