"""`crg conditions` and `crg claims`: the grant's conditions and the claims on funded projects.

The command line acts as an admin; these only parse, call one service and print the outcome.
Files are attached in Slack (the form's upload): here a condition is marked met by its note.
"""
from backend.cli.common import actor
from backend.domain import claims, conditions, partnerships, proposals
from backend.domain.money import format_pence


def register(subparsers) -> None:
    usual = subparsers.add_parser("conditions", help="grant conditions: a partnership's usual "
                                  "ones, and each project's")
    sub = usual.add_subparsers(dest="conditions_command", required=True)
    show = sub.add_parser("list", help="a partnership's usual conditions")
    show.add_argument("partnership")
    show.set_defaults(func=cmd_list)
    add = sub.add_parser("add", help="add a usual condition (every project approved from now)")
    add.add_argument("partnership")
    _wording(add)
    add.set_defaults(func=cmd_add)
    edit = sub.add_parser("edit", help="change a usual condition's words")
    edit.add_argument("id", type=int)
    _wording(edit)
    edit.set_defaults(func=cmd_edit)
    retire = sub.add_parser("retire", help="stop attaching a usual condition")
    retire.add_argument("id", type=int)
    retire.set_defaults(func=cmd_retire)
    project = sub.add_parser("project", help="a project's conditions and their state")
    _project_arguments(project)
    project.set_defaults(func=cmd_project)
    require = sub.add_parser("require", help="give one project a condition of its own")
    _project_arguments(require)
    _wording(require)
    require.set_defaults(func=cmd_require)
    met = sub.add_parser("met", help="say a project's condition is met (as its lead would)")
    met.add_argument("id", type=int)
    met.add_argument("--note", required=True)
    met.set_defaults(func=cmd_met)
    accept = sub.add_parser("accept", help="accept a condition marked met")
    accept.add_argument("id", type=int)
    accept.set_defaults(func=cmd_accept)
    for name, helped in (("send-back", "send a condition marked met back to its lead"),
                         ("waive", "waive a project's condition")):
        one = sub.add_parser(name, help=helped)
        one.add_argument("id", type=int)
        one.add_argument("--reason", required=True)
        one.set_defaults(func=cmd_send_back if name == "send-back" else cmd_waive)
    for parser in sub.choices.values():
        parser.set_defaults(needs_schema=True)

    made = subparsers.add_parser("claims", help="claims on a funded project, and finance's "
                                 "decisions on them")
    sub = made.add_subparsers(dest="claims_command", required=True)
    listed = sub.add_parser("list", help="a project's claims and their files")
    _project_arguments(listed)
    listed.set_defaults(func=cmd_claims)
    approve = sub.add_parser("approve", help="approve a claim: it becomes the spend line")
    approve.add_argument("id", type=int, help="the claim's number from `crg claims list`")
    approve.set_defaults(func=cmd_approve)
    for name, helped in (("query", "ask the claim's lead a question"),
                         ("reject", "reject a claim, with the reason")):
        one = sub.add_parser(name, help=helped)
        one.add_argument("id", type=int)
        one.add_argument("text", help="the question" if name == "query" else "the reason")
        one.set_defaults(func=cmd_query if name == "query" else cmd_reject)
    for parser in sub.choices.values():
        parser.set_defaults(needs_schema=True)


def _wording(parser) -> None:
    parser.add_argument("--title", required=True, help='e.g. "Signed grant agreement"')
    parser.add_argument("--due", required=True, choices=tuple(conditions.DUES),
                        help="release: before any money; year_end: before the year-end "
                             "return; ongoing")
    parser.add_argument("--explanation", default="")
    parser.add_argument("--needs-file", action="store_true",
                        help="the lead must attach a file as evidence (in Slack)")


def _words(args) -> dict:
    return {"title": args.title, "explanation": args.explanation, "due": args.due,
            "needs_file": args.needs_file}


def _project_arguments(parser) -> None:
    parser.add_argument("partnership")
    parser.add_argument("ref", metavar="REF", help="e.g. CRG-2024/25-007")


def _project(args) -> proposals.ProposalView:
    return proposals.find(partnerships.find_partnership(args.partnership).id, args.ref)


def _template_line(t) -> str:
    return f"#{t.id}  {t.title}  ({t.due_label}{', needs a file' if t.needs_file else ''})"


def cmd_list(args, settings) -> None:
    found = partnerships.find_partnership(args.partnership)
    usual = conditions.templates(found.id)
    print("\n".join(_template_line(t) for t in usual) if usual
          else f"{found.name} has no usual grant conditions yet.")


def cmd_add(args, settings) -> None:
    found = partnerships.find_partnership(args.partnership)
    print("Added " + _template_line(conditions.add_template(actor(), found.id, **_words(args))))


def cmd_edit(args, settings) -> None:
    print("Changed " + _template_line(conditions.edit_template(actor(), args.id, **_words(args))))


def cmd_retire(args, settings) -> None:
    print("Retired " + _template_line(conditions.retire_template(actor(), args.id)))


def _condition_line(c) -> str:
    return f"#{c.id}  {c.ref}  {c.title}  ({c.due_label}): {c.state_label}"


def cmd_project(args, settings) -> None:
    project = _project(args)
    items = conditions.for_project(project.id)
    print("\n".join(_condition_line(c) for c in items) if items
          else f"{project.ref} has no grant conditions.")


def cmd_require(args, settings) -> None:
    print("Added " + _condition_line(conditions.add_to_project(actor(), _project(args).id,
                                                               **_words(args))))


def cmd_met(args, settings) -> None:
    done, _ = conditions.mark_met(actor(), args.id, args.note,
                                  superadmins=settings.admin_slack_ids)
    print(_condition_line(done))


def cmd_accept(args, settings) -> None:
    print(_condition_line(conditions.accept(actor(), args.id)))


def cmd_send_back(args, settings) -> None:
    print(_condition_line(conditions.send_back(actor(), args.id, args.reason)))


def cmd_waive(args, settings) -> None:
    print(_condition_line(conditions.waive(actor(), args.id, args.reason)))


def _claim_line(c) -> str:
    files = ", ".join(f"{f.name} ({f.state})" for f in c.files) or "no files"
    return (f"#{c.id}  {c.ref}  {format_pence(c.amount_pence)}  {c.memo}  [{c.state_label}]  "
            f"{files}")


def cmd_claims(args, settings) -> None:
    project = _project(args)
    made = claims.for_project(project.id)
    print("\n".join(_claim_line(c) for c in made) if made else f"{project.ref} has no claims.")


def cmd_approve(args, settings) -> None:
    done = claims.approve(actor(), args.id)
    print(f"Approved {done.ref}: spend line {done.spend_entry_id}, "
          f"{format_pence(done.amount_pence)}.")


def cmd_query(args, settings) -> None:
    print(_claim_line(claims.query(actor(), args.id, args.text)))


def cmd_reject(args, settings) -> None:
    print(_claim_line(claims.reject(actor(), args.id, args.text)))
