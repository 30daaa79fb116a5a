"""Block Kit for decisions: the buttons under a proposal post and the small forms some open.

Which buttons appear comes from the domain (`decisions.next_steps`); who may press them is
decided again by the services on every click, so a button is only ever a suggestion.
"""
import json
from datetime import date

from backend import clock
from backend.decisions import next_steps
from backend.money import format_pence
from backend.proposals import ProposalView
from bot.blocks import button, confirm_dialog, context, section
from bot.text import mention, section_text, shorten

FORM_CALLBACK = "decision_form"
LABELS = {
    "shortlist": "Shortlist", "support": "Support", "request_changes": "Ask for changes",
    "defer": "Defer", "decline": "Decline", "submit_to_opcc": "Sent to OPCC",
    "approve": "PCC approved", "pcc_decline": "PCC declined", "vary": "Vary amount",
    "cancel": "Cancel project",
}
STYLES = {"support": "primary", "approve": "primary", "decline": "danger",
          "pcc_decline": "danger", "cancel": "danger"}
# Decisions that need more than a click: what the form asks for.
FORMS = {
    "decline": ("reason",), "request_changes": ("reason",), "defer": ("note",),
    "pcc_decline": ("reason",), "submit_to_opcc": ("date",), "approve": ("amount", "reference"),
    "vary": ("amount", "consent"), "cancel": ("consent",),
}
PAST = {"shortlist": "shortlisted", "support": "supported", "request_changes": "sent back for changes",
        "defer": "deferred to a later meeting", "decline": "declined by the working group",
        "submit_to_opcc": "submitted to the OPCC", "approve": "approved by the PCC",
        "pcc_decline": "declined by the PCC", "vary": "varied", "cancel": "cancelled"}


def _confirm(action: str, p: ProposalView) -> dict:
    question = f"{LABELS[action]} {p.ref} “{section_text(shorten(p.title, 200))}”?"
    return confirm_dialog(LABELS[action], {"type": "mrkdwn", "text": question}, LABELS[action])


def decision_buttons(p: ProposalView) -> list[dict]:
    value = json.dumps({"p": p.id, "s": p.status})
    elements = [button(LABELS[a], f"decide_{a}", value, STYLES.get(a),
                       confirm=None if a in FORMS else _confirm(a, p))
                for a in next_steps(p.status, p.pot)]
    return [{"type": "actions", "block_id": f"decide_{p.id}", "elements": elements}] if elements else []


def last_decision_line(actor: str, action: str, at) -> dict:
    return context(f"Last decision: {PAST.get(action, action)} by {section_text(shorten(actor, 80))}"
                   f" on {clock.show(at)}")


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
                              "initial_date": clock.today_local().isoformat()}),
    "amount": lambda p: _input("amount", "Amount (£)", _text(_pounds(p.approved_pence or p.amount_pence))),
    "reference": lambda p: _input("reference", "OPCC reference (optional)", _text(), optional=True),
    "consent": lambda p: _input("consent", "The OPCC's consent (email date or reference)", _text()),
}


def _pounds(pence: int) -> str:
    pounds, rest = divmod(pence, 100)
    return f"{pounds:,}" + (f".{rest:02d}" if rest else "")


def form(action: str, p: ProposalView, channel: str, ts: str) -> dict:
    meta = {"p": p.id, "a": action, "s": p.status, "c": channel, "t": ts}
    blocks = [section(f"*{p.ref}* {section_text(shorten(p.title, 200))}\nRequested "
                      f"{format_pence(p.amount_pence)} from the {p.pot} pot · proposed by "
                      f"{mention(p.proposer_slack_id)}")]
    blocks += [FIELDS[name](p) for name in FORMS[action]]
    return {"type": "modal", "callback_id": FORM_CALLBACK, "private_metadata": json.dumps(meta),
            "title": {"type": "plain_text", "text": LABELS[action][:24]},
            "submit": {"type": "plain_text", "text": "Record"},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks}


def read_form(values: dict) -> dict:
    def get(block):
        state = (values.get(block) or {}).get("value") or {}
        return state.get("value") or state.get("selected_date") or ""
    raw_date = get("date")
    return {"reason": get("reason"), "amount": get("amount"), "reference": get("reference"),
            "consent": get("consent"), "on": date.fromisoformat(raw_date) if raw_date else None}
