"""`crg forecast`, `crg profile` and `crg behind-margin`: the underspend forecast, on the
command line.

The command line acts as an admin; these only parse, call one service and print the outcome.
"""
import json

from backend.cli.common import actor, parse_day
from backend.domain import partnerships, proposals
from backend.domain.errors import InvalidInput
from backend.domain.forecast import figures, margins, profiles
from backend.domain.forecast.figures import CombinedForecast, ProjectForecast, YearForecast
from backend.domain.forecast.rule import BEHIND_RULE, RULE
from backend.domain.money import ACCEPTED_FORMS, format_pence, parse_amount


def register(subparsers) -> None:
    shown = subparsers.add_parser("forecast", help="the year-end underspend forecast")
    shown.add_argument("target", nargs="*", metavar="PARTNERSHIP [YEAR]",
                       help="a partnership and optionally a year (default: its current one); "
                            "with --all only the year")
    shown.add_argument("--all", action="store_true", dest="all_partnerships",
                       help="every partnership's year, for the OPCC")
    shown.add_argument("--on", help="the date to work it out at (default today): 2024-09-30")
    shown.add_argument("--json", action="store_true", help="the figures as JSON (pence)")
    shown.set_defaults(func=cmd_forecast, needs_schema=True)

    profile = subparsers.add_parser("profile", help="a project's spend profile; with four "
                                    "amounts and --reason, re-profile it")
    profile.add_argument("partnership")
    profile.add_argument("ref", metavar="REF", help="e.g. CRG-2024/25-007")
    profile.add_argument("quarters", nargs="*", metavar="Q1 Q2 Q3 Q4",
                         help=f"the new planned spend of each quarter ({ACCEPTED_FORMS}, or 0)")
    profile.add_argument("--reason", default="", help="why it changes (kept in its history)")
    profile.set_defaults(func=cmd_profile, needs_schema=True)

    margin = subparsers.add_parser("behind-margin", help="when a project counts as behind its "
                                   "profile (default: 25%% and at least £250)")
    margin.add_argument("partnership")
    margin.add_argument("--percent", help="of the spend planned to date, e.g. 25")
    margin.add_argument("--at-least", dest="minimum",
                        help=f"the least shortfall ({ACCEPTED_FORMS})")
    margin.set_defaults(func=cmd_margin, needs_schema=True)


def cmd_forecast(args, settings) -> None:
    target = list(args.target)
    on = parse_day(args.on)
    if args.all_partnerships:
        if len(target) > 1:
            raise InvalidInput("With --all give only a year, e.g. crg forecast --all 2024/25.")
        combined = figures.for_every_partnership(actor(), target[0] if target else None, on)
        print(json.dumps(combined_json(combined), indent=2) if args.json
              else render_combined(combined))
        return
    if not 1 <= len(target) <= 2:
        raise InvalidInput("Say which partnership (and optionally the year), e.g. "
                           "crg forecast \"Northshire CSP\" 2024/25, or use --all.")
    forecast = figures.for_partnership(actor(), target[0], target[1] if len(target) > 1 else None,
                                       on)
    print(json.dumps(year_json(forecast), indent=2) if args.json else render_year(forecast))


def project_json(p: ProjectForecast) -> dict:
    return {"ref": p.ref, "title": p.title, "lead_organisation": p.lead_organisation,
            "pot": p.pot, "status": p.status, "approved_pence": p.approved,
            "profile_pence": dict(zip(("Q1", "Q2", "Q3", "Q4"), p.profile.quarters)),
            "profile_source": p.profile.source, "profile_note": p.profile.note,
            "planned_to_date_pence": p.planned, "spent_to_date_pence": p.spent,
            "variance_pence": p.variance, "variance_percent": p.variance_percent,
            "forecast_pence": p.forecast, "forecast_unspent_pence": p.forecast_unspent,
            "behind": p.behind, "rag": p.rag,
            "last_report_on": p.last_report.reported_on.isoformat() if p.last_report else None}


def year_json(f: YearForecast) -> dict:
    pots = {kind: {"allocated_pence": p.allocated, "committed_pence": p.committed,
                   "uncommitted_pence": p.uncommitted, "spent_to_date_pence": p.spent,
                   "forecast_spend_pence": p.forecast_spend,
                   "forecast_underspend_pence": p.forecast_underspend}
            for kind, p in f.pots.items()}
    return {"partnership": f.partnership, "year": f.label, "as_at": f.on.isoformat(),
            "rule": RULE, "behind_margin": {"percent": f.margin.percent,
                                            "minimum_pence": f.margin.minimum_pence},
            "allocation_pence": f.allocation, "committed_pence": f.committed,
            "planned_to_date_pence": f.planned, "spent_to_date_pence": f.spent,
            "uncommitted_pence": f.uncommitted, "forecast_spend_pence": f.forecast_spend,
            "forecast_unspent_pence": f.forecast_unspent,
            "forecast_underspend_pence": f.forecast_underspend, "pots": pots,
            "projects": [project_json(p) for p in f.projects]}


def combined_json(c: CombinedForecast) -> dict:
    return {"year": c.label, "as_at": c.on.isoformat(), "rule": RULE,
            "allocation_pence": c.allocation, "committed_pence": c.committed,
            "spent_to_date_pence": c.spent, "forecast_underspend_pence": c.forecast_underspend,
            "partnerships": [year_json(y) for y in c.years]}


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths))) for row in rows)


def _percent(value: int | None) -> str:
    return "–" if value is None else f"{value:+d}%" if value else "0%"


def render_year(f: YearForecast) -> str:
    lines = [f"{f.partnership} {f.label}: forecast as at {f.on:%-d %b %Y}", RULE, ""]
    if f.whole:
        lines.append(f"Forecast underspend on 31 March: {format_pence(f.forecast_underspend)} "
                     f"({format_pence(f.uncommitted)} uncommitted + "
                     f"{format_pence(f.forecast_unspent)} of approved money forecast unspent)")
        for kind, p in f.pots.items():
            lines.append(f"  {kind.capitalize()}: allocated {format_pence(p.allocated)}, "
                         f"committed {format_pence(p.committed)}, spent {format_pence(p.spent)}, "
                         f"forecast underspend {format_pence(p.forecast_underspend)}")
        lines.append("")
    rows = [("Project", "Title", "Approved", "Planned", "Spent", "Variance", "Forecast",
             "Unspent", "")]
    for p in f.projects:
        rows.append((p.ref, p.title[:30], format_pence(p.approved), format_pence(p.planned),
                     format_pence(p.spent), _percent(p.variance_percent), format_pence(p.forecast),
                     format_pence(p.forecast_unspent),
                     "behind" if p.behind else ("assumed profile" if p.profile.assumed else "")))
    lines.append(_table(rows) if f.projects else "No funded projects yet.")
    lines += ["", BEHIND_RULE.format(percent=f.margin.percent,
                                     minimum=format_pence(f.margin.minimum_pence))]
    return "\n".join(lines)


def render_combined(c: CombinedForecast) -> str:
    rows = [("Partnership", "Year", "Allocation", "Committed", "Spent", "Behind",
             "Forecast underspend")]
    for y in c.years:
        rows.append((y.partnership, y.label, format_pence(y.allocation), format_pence(y.committed),
                     format_pence(y.spent), str(len(y.behind)),
                     format_pence(y.forecast_underspend)))
    rows.append(("All partnerships", c.label, format_pence(c.allocation),
                 format_pence(c.committed), format_pence(c.spent), str(len(c.behind)),
                 format_pence(c.forecast_underspend)))
    return "\n".join([f"Every partnership, {c.label}: forecast as at {c.on:%-d %b %Y}", RULE, "",
                      _table(rows)])


def cmd_profile(args, settings) -> None:
    project = proposals.find(partnerships.find_partnership(args.partnership).id, args.ref)
    if args.quarters:
        if len(args.quarters) != 4:
            raise InvalidInput("Give four amounts, one for each quarter (0 for none), e.g. "
                               "crg profile CSP CRG-2024/25-007 0 1,000 2,000 2,000 --reason "
                               "\"late start agreed\".")
        amounts = [parse_amount(q, field="quarters", allow_zero=True) for q in args.quarters]
        profiles.reprofile(actor(), project.id, amounts, args.reason)
        print(f"Re-profiled {project.ref}.")
    current = profiles.profile_of(proposals.get(project.id))
    print(f"{project.ref} profile: " + ", ".join(
        f"Q{q} {format_pence(a)}" for q, a in enumerate(current.quarters, 1)))
    print(current.note)
    for change in profiles.history(project.id)[:-1]:
        print(f"  earlier, by {change.set_by} on {change.set_at:%-d %b %Y}: " + ", ".join(
            f"Q{q} {format_pence(a)}" for q, a in enumerate(change.quarters, 1))
            + f" ({change.reason})")


def cmd_margin(args, settings) -> None:
    found = partnerships.find_partnership(args.partnership)
    if args.percent is not None or args.minimum is not None:
        percent = margins.parse_percent(args.percent) if args.percent is not None else None
        minimum = (parse_amount(args.minimum, field="minimum", allow_zero=True)
                   if args.minimum is not None else None)
        margin = margins.set_margin(actor(), found.id, percent=percent, minimum_pence=minimum)
    else:
        margin = margins.margin_of(found.id)
    print(f"{found.name}: " + BEHIND_RULE.format(percent=margin.percent,
                                                 minimum=format_pence(margin.minimum_pence)))
