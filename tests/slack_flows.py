"""Steps shared by the Slack front tests: set up a partnership and play a user through a form."""
import json

from tests.builders import open_year
from tests.slack.requests import (
    datepicker,
    multi_static_select,
    plain_text,
    static_select,
    users_select,
)

WG = "C_WG"


def partnership(allocation=900_000, name="Northshire CSP", channel=WG):
    return open_year(allocation, name=name, channels=[channel] if channel else [])


def form_values(title="Safer streets", amount="2,500", pot="upfront", lead="County Council",
                priorities=("Preventing Neighbourhood Crime & ASB",), contact="U_ALICE",
                start=None, end=None, q1=""):
    return {
        "title": {"value": plain_text(title)},
        "lead_organisation": {"value": plain_text(lead)},
        "contact": {"value": users_select(contact)},
        "description": {"value": plain_text("Volunteers and kit")},
        "priorities": {"value": multi_static_select([(n, n) for n in priorities])},
        "amount": {"value": plain_text(amount)},
        "pot": {"value": static_select(pot, pot)},
        "planned_start": {"value": datepicker(start)},
        "planned_end": {"value": datepicker(end)},
        "planned_spend_q1": {"value": plain_text(q1)},
        "planned_spend_q2": {"value": plain_text("")},
        "planned_spend_q3": {"value": plain_text("")},
        "planned_spend_q4": {"value": plain_text("")},
    }


def opened_form(harness, text="propose", **kw):
    """Run `/crg propose` and return the modal the bot opened."""
    response = harness.slack.command(text, **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    return harness.fake.last("views.open").arg("view")


def submit_form(harness, view, values, **kw):
    return harness.slack.submit_view(view["callback_id"], values,
                                     private_metadata=view["private_metadata"], **kw)


def propose(harness, user_id="U_ALICE", channel_id=WG, **values):
    view = opened_form(harness, user_id=user_id, channel_id=channel_id)
    response = submit_form(harness, view, form_values(**values), user_id=user_id)
    assert response.status_code == 200 and not response.get_data(as_text=True), \
        response.get_data(as_text=True)
    return json.loads(view["private_metadata"])


def texts_to(fake, user, method="chat.postMessage"):
    """The texts the fake Slack was sent for one person: by DM, or ephemerally (`method`)."""
    return [c.args.get("text") or "" for c in fake.calls_to(method)
            if c.args.get("channel") == user or c.args.get("user") == user]
