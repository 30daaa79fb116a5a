"""The clock's forecast messages: a lead's project behind at a quarter's end, and the admins'
monthly forecast (when they go out: `backend.domain.forecast.alerts`).

Kept apart from the reminders' wording (`reminder_messages`, which hands these parts here) and
from how messages are claimed and sent, so a change of words cannot touch exactly-once.
"""
from datetime import datetime

from backend.domain import times
from backend.domain.forecast.alerts import BehindNotice, MonthlyNotice
from backend.domain.forecast.rule import RULE
from backend.domain.money import format_pence
from backend.domain.reminders import Due
from backend.slack.blocks import button, context, header, packed_sections, within_message
from backend.slack.action_ids import PROGRESS_ACTION, SPEND_ACTION
from backend.slack.forecast_blocks import (
    margin_sentence,
    percent,
    project_line,
    summary_line,
)
from backend.slack.text import button_text, escape, shorten

FALLBACK_MAX = 3000


def render(items: list[Due], now: datetime) -> tuple[str, list[dict]]:
    """One message for one recipient's forecast parts (behind notices and/or a monthly one)."""
    behind = [i for i in items if isinstance(i.forecast, BehindNotice)]
    monthly = [i for i in items if isinstance(i.forecast, MonthlyNotice)]
    texts, blocks = [], []
    if monthly:
        text, more = _monthly(monthly[0])
        texts.append(text)
        blocks += more
    if behind:
        text, more = _behind(behind)
        texts.append(text)
        blocks += more
    late = [i for i in items if i.late]
    if late:
        blocks.append(context(f"_Sent late: the reminder clock was not running when this was due "
                              f"(from {times.show_weekday(min(i.slot_at for i in late))})._"))
    return (shorten(" ".join(texts), FALLBACK_MAX),
            within_message(blocks, "…and more: `/crg forecast` shows it all."))


def _behind(items: list[Due]) -> tuple[str, list[dict]]:
    first: BehindNotice = items[0].forecast
    projects = [i.forecast.projects[0] for i in items]
    blocks = [header(f"Behind profile at the end of {first.period}"),
              *packed_sections([
                  f"{'This project' if len(projects) == 1 else 'These projects'} of "
                  f"{escape(items[0].partnership)} you lead "
                  f"{'is' if len(projects) == 1 else 'are'} behind the planned spend as at "
                  f"{times.show_date(first.as_at)}:",
                  *(f"• {project_line(p)}" for p in projects),
                  "If spend has happened but is not recorded yet, please record it (or send the "
                  "invoices to finance staff). If the project is running late, say why in a "
                  "progress report: the partnership can then agree a new profile, or move money "
                  "it will not need to other projects in time."])]
    for item in items:
        p, notice = item.forecast.projects[0], item.forecast
        elements = [button(button_text(f"Report progress: {p.ref}"), PROGRESS_ACTION, str(p.id),
                           style="primary")]
        if notice.may_record_spend:
            elements.append(button(button_text(f"Record spend: {p.ref}"), SPEND_ACTION, str(p.id)))
        blocks.append({"type": "actions", "block_id": f"behind_{p.id}", "elements": elements})
    blocks.append(context(RULE))
    names = ", ".join(p.ref for p in projects)
    verb = "is" if len(projects) == 1 else "are"
    return f"{names} {verb} behind profile at the end of {first.period}", blocks


def _monthly(item: Due) -> tuple[str, list[dict]]:
    notice: MonthlyNotice = item.forecast
    f = notice.year
    as_at = times.show_date(notice.as_at)
    lines = [f"As at {as_at}: allocation {format_pence(f.allocation)}, committed "
             f"{format_pence(f.committed)}, planned to date {format_pence(f.planned)}, spent "
             f"{format_pence(f.spent)}.", summary_line(f)]
    if f.behind:
        lines.append(f"*Behind profile ({len(f.behind)})*, with the money each is likely to "
                     "leave unspent:")
        lines += [f"• *{p.ref}* {escape(shorten(p.title, 80))}: planned "
                  f"{format_pence(p.planned)}, spent {format_pence(p.spent)} "
                  f"({percent(p.variance_percent)}); likely to leave "
                  f"{format_pence(p.forecast_unspent)}" for p in f.behind]
    else:
        lines.append("No project is behind its profile by more than the margin.")
    if f.forecast_underspend > 0:
        lines.append("To use it this year, the working group can support tactical proposals "
                     "(`/crg propose`) or vary projects that can spend more; the sooner it is "
                     "moved, the less goes back to the PCC.")
    blocks = [header(f"Monthly forecast: {item.partnership} {f.label}"),
              *packed_sections(lines), context(RULE), context(margin_sentence(f))]
    text = (f"Forecast for {escape(item.partnership)} {f.label} as at {as_at}: "
            f"{format_pence(f.forecast_underspend)} likely to be left on 31 March")
    return text, blocks
