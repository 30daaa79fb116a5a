"""Short ways for tests to set up partnerships, years and proposals through the real services."""
import itertools
from datetime import date

from backend.domain import decisions, partnerships, proposals, years
from backend.domain.actors import Actor, command_line
from backend.domain.proposals import Draft

ADMIN = command_line("tests")
PROPOSER = Actor("U_PROP", "Pat Proposer")
_names = itertools.count(1)


def open_year(allocation_pence=4_500_100, label="2024/25", name=None, channels=()):
    name = name or f"Partnership {next(_names)}"
    partnerships.add_partnership(ADMIN, name, list(channels))
    return years.open_year(ADMIN, name, label, allocation_pence)


def draft(amount="2,500", pot="upfront", title="Safer streets", **overrides) -> Draft:
    values = dict(title=title, lead_organisation="County Council", contact_name="Pat",
                  description="What it does", priorities=("Domestic Abuse",), amount=amount,
                  pot=pot, planned_start=date(2024, 6, 1), planned_end=date(2025, 3, 1))
    values.update(overrides)
    return Draft(**values)


def submit(year, amount="2,500", pot="upfront", who=PROPOSER, **overrides) -> int:
    view, _ = proposals.submit(who, year.id, draft(amount, pot, **overrides))
    return view.id


def to_opcc(proposal_id, pot="upfront"):
    steps = ("shortlist", "support", "submit_to_opcc") if pot == "upfront" else (
        "support", "submit_to_opcc")
    for step in steps:
        decisions.decide(ADMIN, proposal_id, step)


def approved(year, amount="2,500", pot="upfront", **overrides) -> int:
    pid = submit(year, amount, pot, **overrides)
    to_opcc(pid, pot)
    decisions.approve(ADMIN, pid)
    return pid
