"""Setting up from Slack: `/crg setup` (a partnership, in its working group's channel),
`/crg year open` (another year) and `/crg channel link` (another channel).

Each asks the domain whether this person may, and checks the bot is in the channel
(conversations.info, `is_member`), before any form opens: nobody fills a form in only to be
refused, and no partnership is linked to a channel its posts could not reach.
"""
from slack_sdk.errors import SlackApiError

from backend.domain import claims, fiscal, partnerships, setup, times, years
from backend.domain.errors import DomainError, InvalidInput
from backend.domain.money import format_pence
from backend.domain.papers import year_end
from backend.slack.blocks import person
from backend.slack.text import escape
from bot.forms import open_modal
from bot.router import Reply, subcommand
from bot.views import setup_forms

INVITE = "`/invite @CRG Tracker`"
NOT_A_MEMBER = "not a member"


def admins_line(settings) -> str:
    """Who the tracker's own admins are, as mentions (Slack shows their names)."""
    admins = [person(a) for a in settings.admin_slack_ids]
    if not admins:
        return ("No admin is named yet: whoever deployed the tracker puts their own Slack member "
                "id in its ADMIN_SLACK_IDS setting.")
    if len(admins) == 1:
        return f"Ask {admins[0]}, the tracker's admin."
    return f"Ask {', '.join(admins[:-1])} or {admins[-1]}, the tracker's admins."


def no_partnership_yet(settings, user_id: str) -> str:
    """The first /crg of a new deployment: how to begin, from Slack."""
    start = ("No partnership has been set up in the CRG Tracker yet. An admin can do it from "
             "Slack: type `/crg setup` in the channel that will be the working group's (or press "
             "*Set up a partnership* on my Home tab).")
    if user_id in settings.admin_slack_ids:
        return start + " You are one of the tracker's admins, so you can do it now."
    return f"{start} {admins_line(settings)}"


def membership_problem(client, channel_id: str) -> str | None:
    """Why the bot cannot work in a channel: NOT_A_MEMBER, a sentence when Slack could not say,
    or None when it is a member. A private channel it was never invited to is one Slack will not
    even show it (channel_not_found): that counts as not a member too."""
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as error:
        reason = str(error.response.get("error"))
        if reason == "channel_not_found":
            return NOT_A_MEMBER
        return (f"I could not check that channel: Slack said “{reason}”. If it says "
                "missing_scope, the Slack app needs its manifest updated and reinstalling "
                "(docs/slack-app-setup.md).")
    except OSError:
        return "I could not reach Slack to check that channel; please try again in a minute."
    return None if channel.get("is_member") else NOT_A_MEMBER


def not_in_channel(client, channel_id: str, then: str) -> str | None:
    """What to tell someone who typed a command in a channel the bot cannot work in, or None."""
    problem = membership_problem(client, channel_id)
    if problem == NOT_A_MEMBER:
        return (f"I'm not in this channel yet, so I could not post here. Type {INVITE} in this "
                f"channel, then {then} again.")
    return escape(problem) if problem else None


def _channel_here(request) -> str | None:
    channel = request.channel_id or ""
    return channel if channel[:1] in ("C", "G") else None


@subcommand("setup", "setup", "set up a partnership, in the channel that will be its working "
            "group's (the tracker's admins; opens a form)")
def set_up(request, args):
    channel = _channel_here(request)
    if channel is None:
        return Reply("Type `/crg setup` in the channel that will be the working group's (that "
                     "channel becomes it), or press *Set up a partnership* on my Home tab and "
                     "choose the channel there.")
    try:
        setup.may_set_up(request.actor, channel)
    except DomainError as refusal:
        more = "" if request.actor.superadmin else " " + admins_line(request.settings)
        return Reply(escape(refusal.message) + more)
    problem = not_in_channel(request.client, channel, "`/crg setup`")
    if problem:
        return Reply(problem)
    this_year = fiscal.label(fiscal.year_of(times.today_local()))
    open_modal(request.client, request.trigger_id,
               setup_forms.setup_form(channel, request.actor.id, this_year))
    return None


@subcommand("year", "year open | year close YEAR", "open the next financial year: its "
            "allocation and priorities (admins; opens a form); close an ended year after its "
            "year-end return (admins)", "/crg year open")
def year(request, args):
    words = args.split()
    if len(words) == 2 and words[0].lower() == "close":
        done = year_end.close_year(request.actor, request.partnership_id, words[1])
        return Reply(f"{done.label} is closed, with {format_pence(done.underspend)} to return to "
                     "the OPCC. From now on only an admin can correct its spend, with `/crg "
                     "spend reverse LINE REASON`.")
    if args.strip().lower() != "open":
        return Reply("Write it as `/crg year open`: it opens a form for the next year's "
                     "allocation and priorities; or `/crg year close 2024/25` once a year's "
                     "year-end return is made.")
    partnership_id = request.partnership_id
    years.may_open(request.actor, partnership_id)
    label, priorities = years.suggested_next(partnership_id)
    view = setup_forms.year_form(partnership_id, partnerships.name_of(partnership_id), label,
                                 priorities)
    open_modal(request.client, request.trigger_id, view)
    return None


@subcommand("channel", "channel link [working-group|finance]", "link the channel you type it "
            "in to your partnership, optionally as its working group's or its finance staff's "
            "(where claims are posted) (admins)", "/crg channel link working-group")
def channel(request, args):
    words = args.lower().split()
    if not words or words[0] != "link" or words[1:] not in ([], ["working-group"], ["finance"]):
        return Reply("Write it as `/crg channel link` in the channel to link (add "
                     "`working-group` to make it the channel new proposals are posted to, or "
                     "`finance` to make it the channel claims are posted to).")
    here = _channel_here(request)
    if here is None:
        raise InvalidInput("Type `/crg channel link` in the channel you want to link, not in a "
                           "direct message.")
    partnership_id = request.partnership_id
    partnerships.may_link_channel(request.actor, partnership_id)
    problem = not_in_channel(request.client, here, "`/crg channel link`")
    if problem:
        return Reply(problem)
    if words[1:] == ["finance"]:
        claims.link_finance_channel(request.actor, partnership_id, here)
        return Reply(f"Claims of {escape(partnerships.name_of(partnership_id))} will be posted "
                     "here for finance staff to approve, query or reject.")
    working_group = words[1:] == ["working-group"]
    info = partnerships.add_channel(request.actor, partnership_id, here, working_group)
    role = (" as its working-group channel: new proposals will be posted here"
            if working_group else "")
    return Reply(f"This channel is now linked to {escape(info.name)}{role}. In it, `/crg` "
                 f"works on {escape(info.name)} without asking which partnership you mean.")
