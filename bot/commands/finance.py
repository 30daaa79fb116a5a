"""Money and progress in Slack: progress reports, spend, the OPCC spend sheets and the finance page.

The services decide who may do what; these handlers ask them before opening a form (so nobody
fills one in only to be refused), and leave building and uploading a workbook (seconds, for a
big year) to the background, answering at once.
"""
import io
import json
import logging

from slack_sdk.errors import SlackClientError

from backend.domain import login_links, partnerships, progress, proposals, spend
from backend.domain.errors import DomainError, InvalidInput
from backend.domain.exports import service
from backend.domain.money import format_pence
from backend.logs import log_event
from backend.slack.announce import dm
from backend.slack.client import SLACK_FAILURES, failure_reason
from backend.slack.text import escape
from bot.background import later
from bot.errors import new_reference
from bot.router import Reply, subcommand
from bot.views import finance_forms

log = logging.getLogger("crg.bot.finance")
# Uploading can also fail between Slack's two calls (the file's own upload URL refusing it).
UPLOAD_FAILURES = (*SLACK_FAILURES, SlackClientError)
WORKBOOK, GIVING360 = "the spend sheet", "the 360Giving file"
TITLES = {WORKBOOK: "Spend sheet", GIVING360: "360Giving file"}


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
    request.client.views_open(trigger_id=request.trigger_id,
                              view=finance_forms.progress_form(found, request.channel_id or ""))
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
    request.client.views_open(trigger_id=request.trigger_id,
                              view=finance_forms.spend_form(found, request.channel_id or ""))
    return None


def _reverse(request, args: str) -> Reply:
    line, _, reason = args.strip().partition(" ")
    if not line.isdigit():
        raise InvalidInput("Write it as `/crg spend reverse LINE REASON`, e.g. `/crg spend reverse "
                           "12 invoice was for another project` (the line number is in the Spend "
                           "sheet).")
    done = spend.reverse(request.actor, int(line), reason)
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
    later(deliver, request.client, request.settings, request.actor.id, selection, what)
    return Reply(f"I'll DM you {what} for {escape(selection.title)} in a moment.")


@subcommand("export", "export [YEAR] [all]", "the OPCC spend sheet (.xlsx) by DM (finance staff, "
            "chairs and admins; `all`: every partnership)", "/crg export 2024/25")
def export(request, args):
    return _export(request, args, "export [YEAR] [all]", WORKBOOK)


@subcommand("export360", "export360 [YEAR] [all]", "the funded projects as a 360Giving file "
            "(.json) by DM", "/crg export360 2024/25")
def export360(request, args):
    return _export(request, args, "export360 [YEAR] [all]", GIVING360)


def _file(selection: service.Selection, settings, what: str) -> tuple[bytes, str]:
    if what == GIVING360:
        package = service.giving360_package(selection, settings)
        return (json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8"),
                f"{selection.file_stem}-360giving.json")
    out = io.BytesIO()
    service.write_spend_sheet(selection, out)
    return out.getvalue(), f"{selection.file_stem}.xlsx"


def deliver(client, settings, user_id: str, selection: service.Selection, what: str) -> None:
    """Build the file and upload it into the person's DM; any failure is told to them plainly."""
    try:
        body, filename = _file(selection, settings, what)
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(channel=channel, file=body, filename=filename,
                               title=f"{TITLES[what]}: {selection.title}",
                               initial_comment=f"Here is {what} for {escape(selection.title)}.")
    except DomainError as refusal:
        dm(client, user_id, f"I could not make {what} for {escape(selection.title)}: "
                            f"{escape(refusal.message)}")
    except UPLOAD_FAILURES as error:
        reason = failure_reason(error) if isinstance(error, SLACK_FAILURES) else str(error)[:200]
        log_event(log, "upload_failed", logging.WARNING, file=what, of=selection.title,
                  to=user_id, error=reason)
        dm(client, user_id, f"I made {what} for {escape(selection.title)} but Slack would not "
                            f"take the upload ({escape(reason)}). Please ask again in a few "
                            "minutes.")
    except Exception:  # told to the person with a reference, and logged in full under it
        ref = new_reference()
        log_event(log, "export_failed", logging.ERROR, file=what, of=selection.title,
                  reference=ref, exc_info=True)
        dm(client, user_id, f"Sorry, something went wrong making {what} for "
                            f"{escape(selection.title)} (reference `{ref}`). Nothing was changed; "
                            "please try again, and if it keeps happening send the reference to "
                            "the community safety team.")


@subcommand("login", "login", "a single-use link to the finance web page, by DM (finance staff "
            "and admins)")
def login(request, args):
    address = request.settings.public_url.rstrip("/")
    if not address:  # never a link to 127.0.0.1, or to an address guessed from a request
        raise InvalidInput("I can't make a sign-in link yet: the tracker doesn't know its own web "
                           "address. Ask whoever runs it to set PUBLIC_URL to the app's https "
                           "address (on Heroku: Settings → Reveal Config Vars; the address is "
                           "under Settings → Domains).")
    token = login_links.issue(request.actor, request.partnership_id)
    url = f"{address}/finance/login/{token}"
    later(send_link, request.client, request.actor.id, url)
    minutes = int(login_links.LINK_LIFETIME.total_seconds() // 60)
    return Reply(f"I've sent you a sign-in link to the finance page by DM. It works once, within "
                 f"{minutes} minutes.")


def send_link(client, user_id: str, url: str) -> None:
    minutes = int(login_links.LINK_LIFETIME.total_seconds() // 60)
    try:
        # No unfurling: a preview fetch must not spend the single-use link before the person does.
        client.chat_postMessage(channel=user_id, unfurl_links=False, unfurl_media=False,
                                text=f"Your sign-in link to the finance page (it works once, "
                                     f"within {minutes} minutes): <{url}|open the finance page>")
    except SLACK_FAILURES as error:
        log_event(log, "sign_in_link_not_sent", logging.WARNING, to=user_id,
                  error=failure_reason(error))
