"""The proposal modal: built from the year (its priorities, which pots are open) and read back
into a `Draft` for the proposals service. Block ids are the service's field names, so the
service's per-field refusals land against the right input (`response_action: errors`).
"""
import json
from datetime import date

from backend.domain.errors import InvalidInput
from backend.domain.money import as_typed, format_pence
from backend.domain.pots import PotState
from backend.domain.proposals import Draft, ProposalView
from backend.domain.years import YearInfo
from backend.slack.blocks import context
from backend.slack.text import modal_title, option_text
from bot.context import json_object

SUBMIT_CALLBACK = "proposal_submit"
EDIT_CALLBACK = "proposal_edit"
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
QUARTER_MONTHS = {"Q1": "Apr–Jun", "Q2": "Jul–Sep", "Q3": "Oct–Dec", "Q4": "Jan–Mar"}


def _text_input(block_id, label, *, initial="", multiline=False, optional=False, hint=None,
                placeholder=None, max_length=None):
    element = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder}
    if max_length:
        element["max_length"] = max_length
    block = {"type": "input", "block_id": block_id, "optional": optional,
             "label": {"type": "plain_text", "text": label}, "element": element}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _option(value: str, text: str) -> dict:
    return {"text": {"type": "plain_text", "text": option_text(text)}, "value": value[:150]}


def _pot_lines(pots: dict[str, PotState]) -> str:
    parts = []
    for kind, pot in pots.items():
        if pot.locked:
            parts.append(f"*{kind.capitalize()}*: locked until every upfront proposal is decided")
        else:
            parts.append(f"*{kind.capitalize()}*: {format_pence(pot.available)} available")
    return " · ".join(parts)


def build(year: YearInfo, pots: dict[str, PotState], proposer_id: str, *,
          existing: ProposalView | None = None, origin_channel: str = "") -> dict:
    e = existing
    default_pot = e.pot if e else ("upfront" if pots["tactical"].locked else "tactical")
    # The option value is the priority's own name (<= 150 characters), so reading the form back
    # needs no database; the service checks the names against the year's list.
    priority_options = [_option(name, name) for name in year.priorities]
    chosen = [o for o, name in zip(priority_options, year.priorities) if e and name in e.priorities]
    priorities = {"type": "multi_static_select", "action_id": "value",
                  "placeholder": {"type": "plain_text", "text": "Choose one or more"},
                  "options": priority_options}
    if chosen:
        priorities["initial_options"] = chosen
    pot_options = [_option("upfront", "Upfront (agreed at the start of the year)"),
                   _option("tactical", "Tactical (in-year spending)")]
    contact = {"type": "users_select", "action_id": "value",
               "initial_user": (e.contact_slack_id if e and e.contact_slack_id else proposer_id)}
    blocks = [
        context(f"{year.partnership} · {year.label} · {_pot_lines(pots)}"),
        _text_input("title", "Project title", initial=e.title if e else "", max_length=200),
        _text_input("lead_organisation", "Lead organisation",
                    initial=e.lead_organisation if e else "", placeholder="e.g. District Council"),
        {"type": "input", "block_id": "contact", "label": {"type": "plain_text", "text": "Contact"},
         "element": contact},
        _text_input("description", "What the project does", multiline=True,
                    initial=e.description if e else "", max_length=3000),
        {"type": "input", "block_id": "priorities", "element": priorities,
         "label": {"type": "plain_text", "text": "Community Safety Agreement priorities"}},
        _text_input("amount", "Amount requested (£)", initial=as_typed(e.amount_pence) if e else "",
                    placeholder="e.g. 2,500 or 2,500.50"),
        {"type": "input", "block_id": "pot", "label": {"type": "plain_text", "text": "Pot"},
         "element": {"type": "radio_buttons", "action_id": "value", "options": pot_options,
                     "initial_option": pot_options[0 if default_pot == "upfront" else 1]}},
        _date_input("planned_start", "Planned start", e.planned_start if e else None),
        _date_input("planned_end", "Planned end", e.planned_end if e else None),
    ]
    for quarter in QUARTERS:
        initial = as_typed(e.planned_spend.get(quarter)) if e and quarter in e.planned_spend else ""
        blocks.append(_text_input(f"planned_spend_{quarter.lower()}",
                                  f"Planned spend {quarter} ({QUARTER_MONTHS[quarter]}) £",
                                  initial=initial, optional=True))
    metadata = {"year_id": year.id, "channel": origin_channel, "proposal_id": e.id if e else None}
    return {
        "type": "modal",
        "callback_id": EDIT_CALLBACK if e else SUBMIT_CALLBACK,
        "title": {"type": "plain_text", "text": modal_title(f"Edit {e.ref}" if e else "Propose a project")},
        "submit": {"type": "plain_text", "text": "Save changes" if e else "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


def _date_input(block_id: str, label: str, initial: date | None) -> dict:
    element = {"type": "datepicker", "action_id": "value"}
    if initial:
        element["initial_date"] = initial.isoformat()
    return {"type": "input", "block_id": block_id, "optional": True, "element": element,
            "label": {"type": "plain_text", "text": label}}


def metadata(view: dict) -> dict:
    return json_object(view.get("private_metadata"))


def read(values: dict, contact_name: str) -> Draft:
    """The submitted state as a Draft; what is missing comes back empty for the service to judge."""
    def value(block):
        return (values.get(block, {}).get("value") or {})

    def text(block):
        return value(block).get("value") or ""

    def day(block):
        raw = value(block).get("selected_date")
        try:
            return date.fromisoformat(raw) if raw else None
        except (TypeError, ValueError):  # Slack's datepicker never sends this; a forged form might
            raise InvalidInput("Pick the date from the calendar.", field=block)

    priorities = tuple(o.get("value") or "" for o in value("priorities").get("selected_options") or [])
    return Draft(
        title=text("title"), lead_organisation=text("lead_organisation"),
        contact_name=contact_name, contact_slack_id=value("contact").get("selected_user") or "",
        description=text("description"), priorities=priorities, amount=text("amount"),
        pot=(value("pot").get("selected_option") or {}).get("value") or "",
        planned_start=day("planned_start"), planned_end=day("planned_end"),
        planned_spend={q: text(f"planned_spend_{q.lower()}") for q in QUARTERS})


FORM_BLOCKS = ("title", "lead_organisation", "contact", "description", "priorities", "amount",
               "pot", "planned_start", "planned_end")


def errors_for_blocks(errors: dict[str, str]) -> dict[str, str]:
    """The service's field names as the modal's block ids.

    Planned-spend refusals start with their quarter ("Q3: ...") and go against that input; a
    refusal about no particular input goes against the title, at the top of the form.
    """
    mapped = {}
    for field, message in errors.items():
        if field == "planned_spend":
            quarter = message[:2] if message[:2] in QUARTERS else "Q1"
            block = f"planned_spend_{quarter.lower()}"
        else:
            block = field if field in FORM_BLOCKS else "title"
        mapped[block] = f"{mapped[block]} {message}" if block in mapped else message
    return mapped
