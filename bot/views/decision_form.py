"""The small forms some decision buttons open: a reason, a date, an amount, the OPCC's consent.

Which decisions need one is `backend.slack.decision_blocks.FORMS`; the services check who may
decide and whether the proposal can still move, again when the form is saved.
"""
import json
from datetime import date

from backend.domain import times
from backend.domain.money import as_typed, format_pence
from backend.domain.proposals import ProposalView
from backend.domain.workflow import DECISIONS
from backend.slack.blocks import section
from backend.slack.decision_blocks import FORMS
from backend.slack.text import mention, section_text, shorten

FORM_CALLBACK = "decision_form"


def _input(block_id: str, label: str, element: dict, optional: bool = False) -> dict:
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label}, "element": element}


def _text(initial: str = "", multiline: bool = False) -> dict:
    element = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    return element


FIELDS = {
    "reason": lambda p: _input("reason", "Reason (the proposer will see it)", _text(multiline=True)),
    "note": lambda p: _input("reason", "Note for the proposer (optional)", _text(multiline=True),
                             optional=True),
    "date": lambda p: _input("date", "Date the business case went to the OPCC",
                             {"type": "datepicker", "action_id": "value",
                              "initial_date": times.today_local().isoformat()}),
    "amount": lambda p: _input("amount", "Amount (£)", _text(as_typed(p.approved_pence or p.amount_pence))),
    "reference": lambda p: _input("reference", "OPCC reference (optional)", _text(), optional=True),
    "consent": lambda p: _input("consent", "The OPCC's consent (email date or reference)", _text()),
}


def form(action: str, p: ProposalView, channel: str, ts: str) -> dict:
    meta = {"p": p.id, "a": action, "s": p.status, "c": channel, "t": ts}
    blocks = [section(f"*{p.ref}* {section_text(shorten(p.title, 200))}\nRequested "
                      f"{format_pence(p.amount_pence)} from the {p.pot} pot · proposed by "
                      f"{mention(p.proposer_slack_id)}")]
    blocks += [FIELDS[name](p) for name in FORMS[action]]
    return {"type": "modal", "callback_id": FORM_CALLBACK, "private_metadata": json.dumps(meta),
            "title": {"type": "plain_text", "text": DECISIONS[action].label[:24]},
            "submit": {"type": "plain_text", "text": "Record"},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks}


def read_form(values: dict) -> dict:
    def get(block):
        state = (values.get(block) or {}).get("value") or {}
        return state.get("value") or state.get("selected_date") or ""
    raw_date = get("date")
    return {"reason": get("reason"), "amount": get("amount"), "reference": get("reference"),
            "consent": get("consent"), "on": date.fromisoformat(raw_date) if raw_date else None}
