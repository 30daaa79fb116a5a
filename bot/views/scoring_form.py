"""The scoring modal: one input per criterion of the round, a comment, and the conflict box.

Block ids are the domain's field names (`scores.field_of(criterion)`), so a score outside the
scale is refused against its own input. The member's own earlier scores fill the inputs; nobody
else's are ever in it.
"""
import json

from backend.domain.errors import DomainError
from backend.domain.money import format_pence
from backend.domain.scoring import scores
from backend.domain.scoring.scores import ScoringForm
from backend.slack.blocks import context, text_section
from backend.slack.text import escape, shorten
from bot.context import json_object, number
from bot.forms import errors_against

CALLBACK = "scoring_form"
CONFLICT = "conflict"


def _input(block_id: str, label: str, hint: str, initial: str = "", *, multiline=False,
           max_length: int | None = None) -> dict:
    element = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    return {"type": "input", "block_id": block_id, "optional": True, "element": element,
            "label": {"type": "plain_text", "text": label[:2000]},
            "hint": {"type": "plain_text", "text": hint[:2000]}}


def build(form: ScoringForm, channel: str = "") -> dict:
    r, p = form.round, form.proposal
    blocks = [
        text_section(f"*{p.ref}* {escape(shorten(p.title, 200))}\n"
                     f"{format_pence(p.amount_pence)} · {escape(shorten(p.lead_organisation, 120))}"
                     f"\n{escape(p.description)}"),
        context(f"Scoring for {escape(r.meeting_title)}: each criterion {r.low} (lowest) to "
                f"{r.high} (highest). Only you see your scores until scoring closes; you can "
                "change them until then."),
    ]
    for rule in r.rules:
        weight = f" · weight {rule.weight}" if any(x.weight != 1 for x in r.rules) else ""
        initial = str(form.values[rule.id]) if rule.id in form.values else ""
        blocks.append(_input(scores.field_of(rule.id), rule.name,
                             f"A whole number from {rule.low} to {rule.high}{weight}", initial))
    blocks.append(_input("comment", "Comment (optional)", "What the group should hear about "
                         "it; shown with your scores once scoring closes.", form.comment,
                         multiline=True, max_length=scores.COMMENT))
    option = {"text": {"type": "mrkdwn", "text": "*I have a conflict of interest*"},
              "description": {"type": "plain_text", "text": "From the proposing organisation: "
                              "I will not score this one"},
              "value": CONFLICT}
    blocks.append({"type": "input", "block_id": CONFLICT, "optional": True,
                   "label": {"type": "plain_text", "text": "Conflict of interest"},
                   "element": {"type": "checkboxes", "action_id": "value",
                               "options": [option]}})
    return {"type": "modal", "callback_id": CALLBACK,
            "private_metadata": json.dumps({"r": r.id, "p": p.id, "c": channel}),
            "title": {"type": "plain_text", "text": "Score a proposal"},
            "submit": {"type": "plain_text", "text": "Save"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": blocks}


def ids_of(value) -> tuple[int, int]:
    """(round, proposal) a button or the form names; anything forged names none (0)."""
    chosen = json_object(value)
    return number(chosen.get("r")) or 0, number(chosen.get("p")) or 0


def read(values: dict) -> tuple[dict[int, str], str, bool]:
    """(criterion id -> what was typed, comment, conflict declared) from the submitted state."""
    typed = {}
    for block, inputs in values.items():
        if block.startswith("criterion_") and number(block[len("criterion_"):]) is not None:
            typed[int(block[len("criterion_"):])] = (inputs.get("value") or {}).get("value") or ""
    comment = ((values.get("comment") or {}).get("value") or {}).get("value") or ""
    chosen = ((values.get(CONFLICT) or {}).get("value") or {}).get("selected_options") or []
    return typed, comment, any(o.get("value") == CONFLICT for o in chosen)


def errors_for(refusal: DomainError, blocks: list[str]) -> dict[str, str]:
    """Each refusal against its input; one about no input goes against the first."""
    return errors_against(refusal, blocks)
