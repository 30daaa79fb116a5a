"""The shortlisting exercise's buttons and form: Open scoring on the agenda, Score on a DM or an
agenda post, the chair's Remind and Close, and the scoring modal's submission.

Each button asks the domain before anything opens (`may_score`), and the submission asks again;
a refusal is said where the button was, or against the input in the form.
"""
from backend.domain import meetings
from backend.domain.errors import DomainError
from backend.domain.outbox import notes
from backend.domain.scoring import rounds, scores
from backend.slack.scoring_blocks import CLOSE_ACTION, OPEN_ACTION, REMIND_ACTION, SCORE_ACTION
from bot.background import tell_person
from bot.context import actor_of, json_object, number, slack_origin
from bot.forms import open_from_button, saved
from bot.views import scoring_form


def _said_where(body, actor, act) -> None:
    """Run the button's service; its confirmation, or its refusal, said where the button was."""
    channel = slack_origin(body) or ""
    try:
        act()  # confirmed where the button was (`bot.app.where_the_person_is`)
    except DomainError as refusal:
        tell_person(actor.id, channel, refusal.message)


def register(app, settings) -> None:
    @app.action(SCORE_ACTION)
    def open_scoring_form(ack, body, action, client):
        ack()
        actor = actor_of(body, settings)
        round_id, proposal_id = scoring_form.ids_of(action.get("value"))
        open_from_button(client, body, actor,
                         lambda: scores.may_score(actor, round_id, proposal_id),
                         scoring_form.build)

    @app.action(OPEN_ACTION)
    def open_scoring(ack, body, action):
        ack()
        actor = actor_of(body, settings)

        def act():
            meeting = meetings.get(number(action.get("value")) or 0)
            rounds.open_round(actor, meeting.year_id, meeting.id)
        _said_where(body, actor, act)

    @app.action(REMIND_ACTION)
    def remind(ack, body, action):
        ack()
        actor = actor_of(body, settings)
        _said_where(body, actor, lambda: rounds.remind(actor, number(action.get("value")) or 0))

    @app.action(CLOSE_ACTION)
    def close(ack, body, action):
        ack()
        actor = actor_of(body, settings)
        _said_where(body, actor,
                    lambda: rounds.close_round(actor, number(action.get("value")) or 0))

    @app.view(scoring_form.CALLBACK)
    def submit(ack, body, view):
        actor = actor_of(body, settings)
        meta = json_object(view.get("private_metadata"))
        round_id, proposal_id = number(meta.get("r")) or 0, number(meta.get("p")) or 0
        values = view["state"]["values"]
        typed, comment, conflict = scoring_form.read(values)
        blocks = sorted(values, key=lambda b: (not b.startswith("criterion_"), b)) or ["comment"]

        def save():
            if conflict:
                return scores.declare_conflict(actor, round_id, proposal_id, comment)
            return scores.score(actor, round_id, proposal_id, typed, comment)

        notes.from_slack(meta.get("c") or None)  # confirmed where the Score button was
        saved(ack, save, lambda refusal: scoring_form.errors_for(refusal, blocks))
