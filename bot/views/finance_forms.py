"""The progress-report and spend modals: built from a project, read back into the services' terms.

Block ids are the services' field names (narrative, outputs, rag, period; amount, date, memo,
reference), so a refusal about one input lands against it; a refusal about no particular input
(who may do it, the project's state) goes against the form's first input.
"""
import json
from datetime import date

from backend.domain import fiscal, progress, spend, texts, times
from backend.domain.errors import DomainError, InvalidInput
from backend.domain.money import format_pence, parse_amount
from backend.domain.papers import measures
from backend.domain.papers import settings as paper_settings
from backend.domain.proposals import ProposalView
from backend.slack.blocks import context, section
from backend.slack.text import SECTION_TEXT_MAX, context_text, escape, shorten
from bot.context import json_object
from bot.forms import errors_against

# The proposal form's input builders, so every modal's inputs are built one way.
from bot.views.proposal_form import _date_input, _option, _text_input

PROGRESS_CALLBACK = "progress_report"
SPEND_CALLBACK = "spend_record"
RAG_OPTIONS = (("red", "Red: serious problems"), ("amber", "Amber: some problems"),
               ("green", "Green: on track"))
PROGRESS_BLOCKS = ("narrative", "outputs", "rag", "period", "explanation",
                   *(measures.field_of(i) for i in range(paper_settings.MAX_MEASURES)))
SPEND_BLOCKS = ("amount", "date", "memo", "reference")
# Inputs the service checks that the form does not show, and where their refusal goes instead.
_ELSEWHERE = {"reported_on": "period"}


def _modal(callback: str, title: str, submit: str, blocks: list[dict], metadata: dict) -> dict:
    return {"type": "modal", "callback_id": callback,
            "title": {"type": "plain_text", "text": title},
            "submit": {"type": "plain_text", "text": submit},
            "close": {"type": "plain_text", "text": "Cancel"},
            "private_metadata": json.dumps(metadata), "blocks": blocks}


def _about(p: ProposalView) -> dict:
    return context(f"*{p.ref}* " + context_text(shorten(p.title, 200)) + " · "
                   + context_text(p.partnership))


def progress_form(p: ProposalView, origin_channel: str = "") -> dict:
    options = [_option(value, label) for value, label in RAG_OPTIONS]
    blocks = [
        _about(p),
        _text_input("narrative", "How is the project going?", multiline=True,
                    max_length=progress.MAX_NARRATIVE),
        _text_input("outputs", "Outputs so far", optional=True, max_length=progress.MAX_OUTPUTS,
                    placeholder="e.g. 2 of 6 sessions delivered, 80+ attendees"),
        {"type": "input", "block_id": "rag", "label": {"type": "plain_text", "text": "RAG status"},
         "element": {"type": "radio_buttons", "action_id": "value", "options": options}},
        _text_input("period", "Period it covers", max_length=progress.MAX_PERIOD,
                    initial=progress.default_period(times.today_local())),
    ]
    chosen = paper_settings.choices(p.partnership_id)
    for i, name in enumerate(chosen.measures):
        blocks.append(_text_input(measures.field_of(i), name.capitalize() + " (so far)",
                                  optional=True, max_length=12, placeholder="a whole number"))
    blocks.append(_text_input(
        "explanation", "If spend is behind its planned profile, why?", multiline=True,
        optional=True, max_length=texts.LONG,
        placeholder=f"Needed when spend is more than {chosen.explain_behind_percent}% behind "
                    "the planned profile" if chosen.explain_behind_percent is not None
                    else "For the OPCC's monitoring return"))
    return _modal(PROGRESS_CALLBACK, "Report progress", "Save report", blocks,
                  {"proposal_id": p.id, "channel": origin_channel,
                   "measures": list(chosen.measures)})


def spend_form(p: ProposalView, origin_channel: str = "") -> dict:
    money = spend.so_far(p.id)
    blocks = [
        _about(p),
        context(f"Approved {format_pence(money.approved)} · spent so far "
                f"{format_pence(money.spent)} · left {format_pence(money.left)}"),
        _text_input("amount", "Amount (£)", placeholder="e.g. 1,250 or 1,250.50"),
        _date_input("date", "Date spent", _likely_day(p)) | {"optional": False},
        _text_input("memo", "What it was for", max_length=500),
        _text_input("reference", "Invoice or claim reference", optional=True, max_length=100),
    ]
    return _modal(SPEND_CALLBACK, "Record spend", "Record", blocks,
                  {"proposal_id": p.id, "channel": origin_channel})


def _likely_day(p: ProposalView) -> date:
    """Today, or the project's year's last day once that year is over (late invoices)."""
    return min(times.today_local(), fiscal.last_day(fiscal.parse_year(p.year_label)))


def metadata(view: dict) -> dict:
    return json_object(view.get("private_metadata"))


def _value(values: dict, block: str) -> dict:
    return (values.get(block) or {}).get("value") or {}


def _text(values: dict, block: str) -> str:
    return _value(values, block).get("value") or ""


def read_progress(values: dict, meta: dict | None = None) -> dict:
    """The submitted report as measures.report's keyword arguments."""
    rag = (_value(values, "rag").get("selected_option") or {}).get("value") or ""
    names = [n for n in (meta or {}).get("measures") or [] if isinstance(n, str)]
    return {"narrative": _text(values, "narrative"), "outputs": _text(values, "outputs"),
            "rag": rag, "period": _text(values, "period"),
            "measures": {name: _text(values, measures.field_of(i))
                         for i, name in enumerate(names)},
            "explanation": _text(values, "explanation")}


def read_spend(values: dict) -> dict:
    """The submitted spend as spend.record's arguments (the amount parsed to pence)."""
    raw = _value(values, "date").get("selected_date")
    try:
        on = date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):  # Slack's datepicker never sends this; a forged form might
        on = None
    if on is None:
        raise InvalidInput("Pick the date the money was spent from the calendar.", field="date")
    return {"amount_pence": parse_amount(_text(values, "amount")), "on": on,
            "memo": _text(values, "memo"), "reference_text": _text(values, "reference")}


def errors_for(refusal: DomainError, blocks: tuple[str, ...]) -> dict[str, str]:
    """A refusal as `response_action: errors`, each sentence against its input."""
    return errors_against(refusal, blocks, lambda field: _ELSEWHERE.get(field, field))


def latest_progress_blocks(proposal_id: int) -> list[dict]:
    """The project's newest progress report, for `/crg show` (nothing if it has none)."""
    latest = progress.latest_progress([proposal_id]).get(proposal_id)
    if latest is None:
        return []
    return [section(shorten(f"*Latest progress* ({escape(latest.period)})\n"
                            f"{escape(latest.summary)}", SECTION_TEXT_MAX))]
