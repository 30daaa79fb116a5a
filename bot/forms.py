"""The one way a modal submission is answered: the service's refusal inline, else the modal closes.

Every form's handler passes the service call and how a refusal maps onto its inputs; nothing is
saved on a refusal, because the service refused inside its own transaction.
"""
from backend.domain.errors import DomainError

REFUSED = object()  # what `saved` returns when the person was shown the refusal


def saved(ack, save, errors_for):
    """Run `save()`; on a DomainError answer `errors_for(refusal)` against the inputs."""
    try:
        result = save()
    except DomainError as refusal:
        ack(response_action="errors", errors=errors_for(refusal))
        return REFUSED
    ack()
    return result
