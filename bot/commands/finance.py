"""Money and progress in Slack: progress reports, spend, the OPCC spend sheets and the finance page.

The services decide who may do what; these handlers ask them before opening a form (so nobody
fills one in only to be refused). A workbook (seconds to build, for a big year) and a sign-in
link are made and sent through the outbox once the person has their answer.
"""


from backend.domain import login_links, partnerships, progress, proposals, spend
from backend.domain.errors import InvalidInput
from backend.domain.exports import service
from backend.domain.money import format_pence
from backend.slack.text import escape
from bot.context import number
from bot.forms import open_modal
from bot.router import Reply, subcommand
from bot.views import finance_forms

WORKBOOK, GIVING360 = "spend_sheet", "giving360"
WHAT = {WORKBOOK: "the spend sheet", GIVING360: "the 360Giving file"}


def _ref(args: str, usage: str) -> str:
    words = args.split()
    if not words:
        raise InvalidInput(f"Say which project: `/crg {usage}`, e.g. "
                           f"`/crg {usage.split()[0]} CRG-2024/25-007`.")
    return words[0]


@subcommand("progress", "progress REF", "report how a funded project is going (its lead or an "
            "admin; opens a form)", "/crg progress CRG-2024/25-007")
def report_progress(request, args):
    found = proposals.find(request.partnership_id, _ref(args, "progress REF"))
    found = progress.may_report(request.actor, found.id)  # refused before anything is typed
    open_modal(request.client, request.trigger_id,
               finance_forms.progress_form(found, request.channel_id or ""))
    return None


@subcommand("spend", "spend REF | spend reverse LINE REASON | spend leads [on|off]",
            "record money spent on an approved project (opens a form), or correct a spend line "
            "(finance staff and admins); whether project leads may record their own project's "
            "spend (admins turn it on or off)", "/crg spend CRG-2024/25-007")
def record_spend(request, args):
    words = args.split(maxsplit=1)
    rest = words[1] if len(words) > 1 else ""
    if words and words[0].lower() == "reverse":
        return _reverse(request, rest)
    if words and words[0].lower() == "leads":
        return _leads(request, rest)
    found = proposals.find(request.partnership_id, _ref(args, "spend REF"))
    found = spend.may_record(request.actor, found.id)  # refused before anything is typed
    open_modal(request.client, request.trigger_id,
               finance_forms.spend_form(found, request.channel_id or ""))
    return None


def _reverse(request, args: str) -> Reply:
    line, _, reason = args.strip().partition(" ")
    if number(line) is None:
        raise InvalidInput("Write it as `/crg spend reverse LINE REASON`, e.g. `/crg spend reverse "
                           "12 invoice was for another project` (the line number is in the Spend "
                           "sheet).")
    done = spend.reverse(request.actor, number(line), reason)
    return Reply(f"Spend line {done.reversal_of} ({format_pence(done.amount_pence)}) is corrected "
                 f"by reversing line {done.id}; the original stays on the record.")


def _leads(request, args: str) -> Reply:
    """Say whether project leads may record their own project's spend; admins switch it."""
    choice = args.strip().lower()
    if choice not in ("", "on", "off"):
        raise InvalidInput("Write it as `/crg spend leads on` or `/crg spend leads off` (on lets "
                           "each project's lead record their own project's spend), e.g. `/crg "
                           "spend leads on`; `/crg spend leads` alone says how it is set now.")
    partnership_id = request.partnership_id
    if choice:
        allowed = spend.allow_leads_to_record_spend(request.actor, partnership_id, choice == "on")
    else:
        allowed = spend.leads_may_record_spend(partnership_id)
    said = ("Done. " if choice else "") + "In " + escape(
        partnerships.find_partnership(partnership_id).name)
    if allowed:
        return Reply(f"{said}, each project's lead may record and correct their own project's "
                     "spend, as well as finance staff and admins (an admin can stop it with "
                     "`/crg spend leads off`).")
    return Reply(f"{said}, only finance staff and admins record spend (an admin can let each "
                 "project's lead record their own project's spend with `/crg spend leads on`).")


def _target(args: str, usage: str) -> tuple[str | None, bool]:
    """[YEAR] [all], in either order."""
    words = args.split()
    everything = any(w.lower() == "all" for w in words)
    years = [w for w in words if w.lower() != "all"]
    if len(years) > 1:
        raise InvalidInput(f"Write it as `/crg {usage}`, e.g. `/crg {usage.split()[0]} 2024/25`.")
    return (years[0] if years else None), everything


def _export(request, args: str, usage: str, what: str) -> Reply:
    year, everything = _target(args, usage)
    partnership = None if everything else request.partnership_id
    selection = service.select(request.actor, partnership, year, all_partnerships=everything)
    service.send_file(request.actor, selection, what)
    return Reply(f"I'll DM you {WHAT[what]} for {escape(selection.title)} in a moment.")


@subcommand("export", "export [YEAR] [all]", "the OPCC spend sheet (.xlsx) by DM (finance staff, "
            "chairs and admins; `all`: every partnership)", "/crg export 2024/25")
def export(request, args):
    return _export(request, args, "export [YEAR] [all]", WORKBOOK)


@subcommand("export360", "export360 [YEAR] [all]", "the funded projects as a 360Giving file "
            "(.json) by DM", "/crg export360 2024/25")
def export360(request, args):
    return _export(request, args, "export360 [YEAR] [all]", GIVING360)


@subcommand("login", "login", "a single-use link to the finance web page, by DM (finance staff, "
            "chairs and admins)")
def login(request, args):
    if not request.settings.public_url.rstrip("/"):
        # never a link to 127.0.0.1, or to an address guessed from a request
        raise InvalidInput("I can't make a sign-in link yet: the tracker doesn't know its own web "
                           "address. Ask whoever runs it to set PUBLIC_URL to the app's https "
                           "address (on Heroku: Settings → Reveal Config Vars; the address is "
                           "under Settings → Domains).")
    login_links.send_link(request.actor, request.partnership_id)
    minutes = int(login_links.LINK_LIFETIME.total_seconds() // 60)
    return Reply(f"I've sent you a sign-in link to the finance page by DM. It works once, within "
                 f"{minutes} minutes.")
