"""Claims and conditions in Slack: the forms' submissions and the buttons on their messages.

Every button asks the domain first (`may_…`) and only then opens its form; a refusal is told to
the person where they pressed it. A claim's files are fetched from Slack once the person has
their answer (`bot.background.later`; the clock fetches any a lost process left pending).
"""
from backend.domain import claims, conditions
from backend.domain.outbox import notes
from backend.slack import action_ids
from backend.slack.evidence import fetch_all
from backend.domain.errors import DomainError
from bot.background import later, tell_person
from bot.context import actor_of, number
from bot.forms import REFUSED, open_from_button, saved
from bot.views import claim_forms
from bot.views.finance_forms import errors_for, metadata

# button -> (ask, form): who may press it is the domain's say, asked before the form opens
_CLAIM_BUTTONS = {
    action_ids.CLAIM_QUERY: (claims.may_decide, "claim_query"),
    action_ids.CLAIM_REJECT: (claims.may_decide, "claim_reject"),
    action_ids.CLAIM_ANSWER: (claims.may_answer, "claim_answer"),
}
_CONDITION_BUTTONS = {
    action_ids.CONDITION_SEND_BACK: "condition_send_back",
    action_ids.CONDITION_WAIVE: "condition_waive",
}
# one-question form -> the service it saves through
_ANSWERED = {
    "claim_query": claims.query, "claim_reject": claims.reject, "claim_answer": claims.answer,
    "condition_send_back": conditions.send_back, "condition_waive": conditions.waive,
}


def _fetch_later(settings, evidence_ids) -> None:
    if evidence_ids:
        later(fetch_all, settings, list(evidence_ids))


def register(app, settings) -> None:
    @app.view(claim_forms.CLAIM_CALLBACK)
    def submit_claim(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = metadata(view)
        notes.from_slack(meta.get("channel") or None)
        made = saved(ack, lambda: claims.make(
            actor, meta.get("proposal_id") or 0, **claim_forms.read_claim(view["state"]["values"]),
            submission_key=f"view:{view['id']}", superadmins=settings.admin_slack_ids),
            lambda refusal: errors_for(refusal, claim_forms.CLAIM_BLOCKS))
        if made is not REFUSED:
            _fetch_later(settings, made[1])

    def one_question(callback):
        def submit(ack, body, view, client):
            actor = actor_of(body, settings)
            thing = number(str(metadata(view).get("id") or "")) or 0
            values = view["state"]["values"]
            field = claim_forms.ASK[callback][3]
            if callback == "claim_answer":  # the answer may correct the claim, bring files
                done = saved(ack, lambda: claims.answer(
                    actor, thing, **claim_forms.read_answer(values)),
                    lambda refusal: errors_for(refusal, claim_forms.ANSWER_BLOCKS))
                if done is not REFUSED:
                    _fetch_later(settings, done[1])
                return
            saved(ack, lambda: _ANSWERED[callback](
                actor, thing, claim_forms.asked(values, callback)),
                lambda refusal: errors_for(refusal, (field,)))
        return submit

    for callback in _ANSWERED:
        app.view(callback)(one_question(callback))

    def at_once(service):
        """A button that needs no form (Approve, Accept): the service decides, and a refusal
        is told to the person where they pressed it."""
        def pressed(ack, body, action, client):
            ack()
            actor = actor_of(body, settings)
            try:
                service(actor, number(action.get("value")) or 0)
            except DomainError as refusal:
                tell_person(actor.id, (body.get("channel") or {}).get("id"), refusal.message)
        return pressed

    app.action(action_ids.CLAIM_APPROVE)(at_once(claims.approve))
    app.action(action_ids.CONDITION_ACCEPT)(at_once(conditions.accept))

    def claim_button(action_id):
        ask, callback = _CLAIM_BUTTONS[action_id]

        def pressed(ack, body, action, client):
            ack()
            actor = actor_of(body, settings)
            open_from_button(client, body, actor,
                             lambda: ask(actor, number(action.get("value")) or 0),
                             (lambda c, channel: claim_forms.answer_form(c))
                             if callback == "claim_answer" else
                             (lambda c, channel: claim_forms.ask_form(
                                 callback, c.id, claim_forms.claim_about(c))))
        return pressed

    for action_id in _CLAIM_BUTTONS:
        app.action(action_id)(claim_button(action_id))

    # -- conditions ------------------------------------------------------------------------

    @app.view(claim_forms.CONDITION_TEMPLATE_CALLBACK)
    def submit_template(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = metadata(view)
        values = claim_forms.read_condition(view["state"]["values"])
        template_id = number(str(meta.get("template_id") or "")) or 0

        def save():
            if template_id:
                return conditions.edit_template(actor, template_id, **values)
            return conditions.add_template(actor, meta.get("partnership_id") or 0, **values)
        saved(ack, save, lambda refusal: errors_for(refusal, claim_forms.CONDITION_BLOCKS))

    @app.view(claim_forms.CONDITION_PROJECT_CALLBACK)
    def submit_project_condition(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = metadata(view)
        saved(ack, lambda: conditions.add_to_project(
            actor, meta.get("proposal_id") or 0,
            **claim_forms.read_condition(view["state"]["values"])),
            lambda refusal: errors_for(refusal, claim_forms.CONDITION_BLOCKS))

    @app.view(claim_forms.CONDITION_MET_CALLBACK)
    def submit_met(ack, body, view, client):
        actor = actor_of(body, settings)
        meta = metadata(view)
        notes.from_slack(meta.get("channel") or None)
        values = view["state"]["values"]
        done = saved(ack, lambda: conditions.mark_met(
            actor, number(str(meta.get("id") or "")) or 0, claim_forms._text(values, "note"),
            claim_forms.sent_files(values), settings.admin_slack_ids),
            lambda refusal: errors_for(refusal, claim_forms.MET_BLOCKS))
        if done is not REFUSED:
            _fetch_later(settings, done[1])

    @app.action(action_ids.CONDITION_MET)
    def mark_met(ack, body, action, client):
        ack()
        actor = actor_of(body, settings)
        open_from_button(client, body, actor,
                         lambda: conditions.may_mark_met(actor, number(action.get("value")) or 0),
                         claim_forms.met_form)

    def condition_button(action_id):
        callback = _CONDITION_BUTTONS[action_id]

        def pressed(ack, body, action, client):
            ack()
            actor = actor_of(body, settings)
            open_from_button(client, body, actor,
                             lambda: conditions.may_decide(actor, number(action.get("value")) or 0),
                             lambda c, channel: claim_forms.ask_form(
                                 callback, c.id, claim_forms.condition_about(c)))
        return pressed

    for action_id in _CONDITION_BUTTONS:
        app.action(action_id)(condition_button(action_id))

