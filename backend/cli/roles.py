"""`crg role`: list who holds which role in a partnership, or grant and revoke one."""
from backend.cli.common import actor
from backend.domain import directory, partnerships, people
from backend.domain.actors import ROLE_NAMES, ROLES
from backend.domain.errors import InvalidInput

FIND_AN_ID = ("On the command line a person is their Slack member id, like U0123ABCD, not an "
              "@mention: in Slack, open their profile, click ⋮ (More) and choose “Copy member "
              "ID”. In Slack itself, an admin can type `/crg role @person ROLE` instead.")


def cmd_role(args, settings):
    partnership = partnerships.find_partnership(args.partnership)
    if args.user is None:
        held = people.roles_of_partnership(partnership.id)
        known = directory.names(user for user, _ in held)
        print("\n".join(f"{directory.with_id(user, known)}  {role}" for user, role in held) if held
              else f"Nobody in {partnership.name} holds a role beyond partner yet.")
        return
    user = args.user.strip()
    if not directory.is_user_id(user):
        raise InvalidInput(f"“{user}” is not a Slack member id. {FIND_AN_ID}", field="user")
    if args.role is None:
        raise InvalidInput("Give the role too: crg role PARTNERSHIP USER_ID ROLE "
                           f"(one of {', '.join(ROLES)}).")
    before = people.grant(actor(), partnership.id, user, args.role)
    print(f"{directory.with_id(user)} is now {ROLE_NAMES[args.role.lower()]} in "
          f"{partnership.name} (was {ROLE_NAMES[before]}).")


def register(subparsers) -> None:
    role = subparsers.add_parser("role", help="list roles, or give a Slack user a role "
                                              "(admin, chair, member, finance; partner takes it away)")
    role.add_argument("partnership")
    role.add_argument("user", nargs="?", metavar="USER_ID",
                      help="a Slack member id, e.g. U0123ABCD (not an @mention)")
    role.add_argument("role", nargs="?", metavar="ROLE")
    role.set_defaults(func=cmd_role, needs_schema=True)
