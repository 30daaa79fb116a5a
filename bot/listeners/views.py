"""Modal submissions: the proposal form (new and edit).

The answer to Slack carries only the outcome (close the modal, or the inline errors); the post
to the working group and the proposer's confirmation are written to the outbox with the proposal
and sent once Slack has its answer (`bot.background`).
"""
from backend.domain import proposals
from backend.domain.errors import DomainError, FieldErrors
from bot import directory
from bot.context import actor_of
from bot.forms import saved
from bot.views import proposal_form


def _errors(refusal: DomainError) -> dict[str, str]:
    if isinstance(refusal, FieldErrors):
        return proposal_form.errors_for_blocks(refusal.errors)
    return proposal_form.errors_for_blocks({refusal.field or "title": refusal.message})


def _draft(body, view, client):
    values = view["state"]["values"]
    contact = (values.get("contact", {}).get("value") or {}).get("selected_user") or body["user"]["id"]
    name = directory.name_for_form(client, contact, body["user"].get("name", ""))
    return proposal_form.metadata(view), proposal_form.read(values, name)


def register(app, settings) -> None:
    @app.view(proposal_form.SUBMIT_CALLBACK)
    def submit(ack, body, view, client):
        actor = actor_of(body, settings)

        def save():
            meta, draft = _draft(body, view, client)
            # The view id is the submission's identity: Slack's retries and a double click on
            # Submit carry the same one, and find the proposal already made.
            return proposals.submit(actor, meta.get("year_id") or 0, draft,
                                    submission_key=f"view:{view['id']}")

        saved(ack, save, _errors)

    @app.view(proposal_form.EDIT_CALLBACK)
    def edit(ack, body, view, client):
        actor = actor_of(body, settings)

        def save():
            meta, draft = _draft(body, view, client)
            return proposals.edit(actor, meta.get("proposal_id") or 0, draft)

        saved(ack, save, _errors)

