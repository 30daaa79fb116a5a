"""The words of setting a partnership up: the working group's welcome, the people given roles,
and the admin's summary; and a newly opened year. Built when sent, from what is saved then."""
from backend.domain import partnerships, years
from backend.domain.actors import ROLE_NAMES
from backend.domain.money import format_pence
from backend.slack.text import escape, mention


def _money(year) -> str:
    return (f"{year.label}: allocation {format_pence(year.allocation_pence)}, upfront "
            f"{format_pence(year.upfront_pence)}, tactical {format_pence(year.tactical_pence)}")


def _people(users) -> str:
    return ", ".join(mention(u) for u in users) or "nobody yet"


def setup_channel(payload, settings):
    """The working group hears its channel is set up, and how to begin."""
    partnership = partnerships.get(payload["partnership"])
    year = years.get(payload["year"])
    return (f":white_check_mark: This is now the working group's channel of "
            f"*{escape(partnership.name)}* in the CRG Tracker ({_money(year)}). New proposals are "
            "posted here for the working group. Anyone can propose a project with "
            "`/crg propose`; `/crg help` lists everything."), []


def role_granted(payload, settings):
    """Someone given a role hears who gave it, where, and where to start."""
    partnership = partnerships.get(payload["partnership"])
    return (f"{mention(payload['by'])} made you {ROLE_NAMES[payload['role']]} in "
            f"*{escape(partnership.name)}* in the CRG Tracker. `/crg help` lists what you can "
            "do."), []


def setup_done(payload, settings):
    """The admin who set it up gets the summary, and what to do later."""
    partnership = partnerships.get(payload["partnership"])
    year = years.get(payload["year"])
    channel = partnership.working_group_channel
    roles = "; ".join(f"{role}: {_people(users)}" for role, users in payload["roles"].items())
    return (f"*{escape(partnership.name)}* is set up with <#{channel}> as its working group's "
            f"channel ({_money(year)}; priorities: {len(year.priorities)}). Roles — {roles}. "
            "Later: `/crg year open` for the next year, `/crg channel link` in another channel, "
            "`/crg role @person ROLE` to change roles."), []


def year_opened(payload, settings):
    year = years.get(payload["year"])
    return (f"Opened {year.label} for *{escape(year.partnership)}*: allocation "
            f"{format_pence(year.allocation_pence)}, upfront {format_pence(year.upfront_pence)}, "
            f"tactical {format_pence(year.tactical_pence)}; {len(year.priorities)} priorities "
            f"and the year's usual deadlines. `/crg pots {year.label}` shows it."), []


RENDERERS = {"setup_channel": setup_channel, "role_granted": role_granted,
             "setup_done": setup_done, "year_opened": year_opened}
