"""`/crg role`: who holds which role, and (admins) granting and revoking them."""
import re

from backend.domain import directory, people
from backend.domain.actors import ROLE_NAMES
from backend.slack.blocks import person
from backend.slack.text import escape
from bot.directory import keep_current
from bot.router import Reply, subcommand

# With the command's "escape" setting on, Slack sends a mention as <@U123|name>.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@subcommand("role", "role [@person ROLE]", "list roles, or (admins) give someone a role: "
            "admin, chair, member (of the working group: scores proposals), finance or partner", "/crg role @sam chair")
def role(request, args):
    partnership_id = request.partnership_id
    words = args.split()
    if not words:
        held = people.roles_of_partnership(partnership_id)
        if not held:
            return Reply("Nobody holds a role yet beyond partner. An admin can give one with "
                         "`/crg role @person chair`.")
        known = directory.names(user for user, _ in held)
        return Reply("\n".join(f"• {person(user, known)}: {ROLE_NAMES[r]}" for user, r in held))
    if len(words) != 2:
        return Reply("Write it as `/crg role @person ROLE`, e.g. `/crg role @sam chair`.")
    found = _MENTION.match(words[0])
    user = found.group(1) if found else words[0]
    if not found and not directory.is_user_id(user):
        return Reply(f"“{escape(words[0])}” is not a person: mention them with @, like "
                     "`/crg role @sam chair`, and pick them from the list Slack offers.")
    before = people.grant(request.actor, partnership_id, user, words[1])
    keep_current(request.client, user)
    after = words[1].lower()
    if before == after:
        return Reply(f"{person(user)} was already {ROLE_NAMES[after]}.")
    return Reply(f"{person(user)} is now {ROLE_NAMES[after]} (was {ROLE_NAMES[before]}).")
