"""Modal submissions: the proposal form (new and edit).

The answer to Slack carries only the outcome (close the modal, or the inline errors); posting
to the working group and confirming to the proposer happen after it, in the background.
"""
from backend import proposals
from backend.errors import DomainError, FieldErrors
from bot import contact_names
from bot.announce import announce_new, refresh_post
from bot.background import later
from bot.context import actor_of
from bot.views import proposal_form


def _errors(refusal: DomainError) -> dict[str, str]:
    if isinstance(refusal, FieldErrors):
        return proposal_form.errors_for_blocks(refusal.errors)
    return proposal_form.errors_for_blocks({refusal.field or "title": refusal.message})


def _draft(body, view, client):
    values = view["state"]["values"]
    contact = (values.get("contact", {}).get("value") or {}).get("selected_user") or body["user"]["id"]
    name = contact_names.name_of(client, contact, body["user"].get("name", ""))
    return proposal_form.metadata(view), proposal_form.read(values, name)


def register(app, settings) -> None:
    @app.view(proposal_form.SUBMIT_CALLBACK)
    def submit(ack, body, view, client):
        actor = actor_of(body, settings)
        try:
            meta, draft = _draft(body, view, client)
            # The view id is the submission's identity: Slack's retries and a double click on
            # Submit carry the same one, and find the proposal already made.
            saved, created = proposals.submit(actor, meta["year_id"], draft,
                                              submission_key=f"view:{view['id']}")
        except DomainError as refusal:
            ack(response_action="errors", errors=_errors(refusal))
            return
        ack()
        if created:
            later(announce_new, client, saved)

    @app.view(proposal_form.EDIT_CALLBACK)
    def edit(ack, body, view, client):
        actor = actor_of(body, settings)
        try:
            meta, draft = _draft(body, view, client)
            changed = proposals.edit(actor, meta["proposal_id"], draft)
        except DomainError as refusal:
            ack(response_action="errors", errors=_errors(refusal))
            return
        ack()
        later(refresh_post, client, changed)

