"""Block Kit for decisions: the buttons under a proposal post and its last decision.

Which buttons appear comes from the domain (`decisions.next_steps`); who may press them is
decided again by the services on every click, so a button is only ever a suggestion.
"""
import json

from backend.domain import times
from backend.domain.decisions import next_steps
from backend.domain.proposals import ProposalView
from backend.domain.workflow import DECISIONS
from backend.slack.blocks import button, confirm_dialog, context, who
from backend.slack.text import section_text, shorten

STYLES = {"support": "primary", "approve": "primary", "decline": "danger",
          "pcc_decline": "danger", "cancel": "danger"}
# Decisions that need more than a click: what the form asks for.
FORMS = {
    "decline": ("reason",), "request_changes": ("reason",), "defer": ("note",),
    "pcc_decline": ("reason",), "submit_to_opcc": ("date",), "approve": ("amount", "reference"),
    "vary": ("amount", "consent"), "cancel": ("consent",),
}



def _confirm(action: str, p: ProposalView) -> dict:
    label = DECISIONS[action].label
    question = f"{label} {p.ref} “{section_text(shorten(p.title, 200))}”?"
    return confirm_dialog(label, {"type": "mrkdwn", "text": question}, label)


def decision_buttons(p: ProposalView) -> list[dict]:
    value = json.dumps({"p": p.id, "s": p.status})
    elements = [button(DECISIONS[a].label, f"decide_{a}", value, STYLES.get(a),
                       confirm=None if a in FORMS else _confirm(a, p))
                for a in next_steps(p.status, p.pot)]
    return [{"type": "actions", "block_id": f"decide_{p.id}", "elements": elements}] if elements else []


def last_decision_line(actor: str, action: str, at) -> dict:
    told = DECISIONS[action].told if action in DECISIONS else action
    return context(f"Last decision: {told} by {who(actor)} on {times.show(at)}")
