"""`crg role`: list who holds which role in a partnership, or grant and revoke one."""
from backend.cli.common import actor
from backend.domain import partnerships, people
from backend.domain.actors import ROLE_NAMES, ROLES
from backend.domain.errors import InvalidInput


def cmd_role(args, settings):
    partnership = partnerships.find_partnership(args.partnership)
    if args.user is None:
        held = people.roles_of_partnership(partnership.id)
        print("\n".join(f"{user}  {role}" for user, role in held) if held
              else f"Nobody in {partnership.name} holds a role beyond partner yet.")
        return
    if args.role is None:
        raise InvalidInput("Give the role too: crg role PARTNERSHIP USER_ID ROLE "
                           f"(one of {', '.join(ROLES)}).")
    before = people.grant(actor(), partnership.id, args.user, args.role)
    print(f"{args.user} is now {ROLE_NAMES[args.role.lower()]} in {partnership.name} "
          f"(was {ROLE_NAMES[before]}).")


def register(subparsers) -> None:
    role = subparsers.add_parser("role", help="list roles, or give a Slack user a role "
                                              "(admin, chair, finance; partner takes it away)")
    role.add_argument("partnership")
    role.add_argument("user", nargs="?", metavar="USER_ID", help="a Slack user id, e.g. U0123ABCD")
    role.add_argument("role", nargs="?", metavar="ROLE")
    role.set_defaults(func=cmd_role, needs_schema=True)
