"""The words of the proposal workflow, in one table each: statuses, decisions and references.

Every front shows the same proposal moving through the same states (a Slack post, a DM, the
spend sheet's Decisions tab, a refusal), so how each status and each decision is said lives
here once, beside which statuses are final. The rules of who may move a proposal where are
`backend.domain.decisions`'.
"""
import re
from dataclasses import dataclass

STATUS_LABELS = {
    "submitted": "Submitted",
    "changes_requested": "Changes requested",
    "shortlisted": "Shortlisted",
    "deferred": "Deferred to a later meeting",
    "supported": "Supported by the working group",
    "submitted_to_opcc": "Business case with the OPCC",
    "approved": "Approved by the PCC",
    "declined": "Declined by the working group",
    "pcc_declined": "Declined by the PCC",
    "withdrawn": "Withdrawn",
    "cancelled": "Cancelled",
}
# How a status reads inside a sentence: "CRG-2024/25-007 is already {state}".
STATE_PHRASES = {
    "submitted": "submitted",
    "changes_requested": "sent back for changes",
    "shortlisted": "shortlisted",
    "deferred": "deferred",
    "supported": "supported",
    "submitted_to_opcc": "with the OPCC",
    "approved": "approved",
    "declined": "declined",
    "pcc_declined": "declined by the PCC",
    "withdrawn": "withdrawn",
    "cancelled": "cancelled",
}
# Statuses after which a proposal needs no further decision; the rollover waits for them.
FINAL_STATUSES = ("approved", "declined", "pcc_declined", "withdrawn", "cancelled")
EDITABLE_STATUSES = ("submitted", "changes_requested")


@dataclass(frozen=True)
class DecisionWords:
    """How one decision is said.

    `label`: its button ("PCC approved"); `told`: what the proposer hears it was ("approved by
    the PCC"); `past`: what it cannot be any more ("cannot be approved now"); `recorded`: its
    line in the spend sheet's Decisions tab ("Approved by the PCC").
    """

    label: str
    told: str
    past: str
    recorded: str


DECISIONS = {
    "shortlist": DecisionWords("Shortlist", "shortlisted", "shortlisted", "Shortlisted"),
    "support": DecisionWords("Support", "supported", "supported", "Supported"),
    "request_changes": DecisionWords("Ask for changes", "sent back for changes",
                                     "sent back for changes", "Changes requested"),
    "defer": DecisionWords("Defer", "deferred to a later meeting", "deferred", "Deferred"),
    "decline": DecisionWords("Decline", "declined by the working group", "declined", "Declined"),
    "submit_to_opcc": DecisionWords("Sent to OPCC", "submitted to the OPCC",
                                    "submitted to the OPCC", "Submitted to the OPCC"),
    "approve": DecisionWords("PCC approved", "approved by the PCC", "approved",
                             "Approved by the PCC"),
    "pcc_decline": DecisionWords("PCC declined", "declined by the PCC", "declined by the PCC",
                                 "Declined by the PCC"),
    "vary": DecisionWords("Vary amount", "varied", "varied", "Varied"),
    "cancel": DecisionWords("Cancel project", "cancelled", "cancelled", "Cancelled"),
    "withdraw": DecisionWords("Withdraw", "withdrawn", "withdrawn", "Withdrawn"),
}

REFERENCE_PATTERN = re.compile(r"^(?:CRG-)?(?:(\d{4}\s*[/-]\s*\d{2,4})-)?0*(\d{1,6})$",
                               re.IGNORECASE | re.ASCII)


def reference(year_label: str, number: int) -> str:
    """What a proposal is called everywhere: CRG-2024/25-007."""
    return f"CRG-{year_label}-{number:03d}"
