"""`crg demo`: a made-up partnership whose proposals stand in every state, so a newcomer sees
something real. It is built only through the services, so it obeys every rule the app does.
"""
from datetime import date

from backend.cli.common import actor as operator
from backend.cli.partnerships import render_figures
from backend.domain import decisions, fiscal, partnerships, proposals, spend, times, years
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.outbox import notes
from backend.domain.pots import year_figures
from backend.domain.proposals import Draft


def register(sub) -> None:
    demo = sub.add_parser("demo", help="load a made-up partnership with proposals in every state")
    demo.add_argument("--name", default="Demo Borough CSP")
    demo.set_defaults(func=cmd_demo, needs_schema=True)


def cmd_demo(args, settings):
    name = load_demo(operator(), args.name)
    print(f"Loaded the demo partnership “{name}”. Try: crg pots \"{name}\"")
    print(render_figures(year_figures(years.find_year(name))))


PROPOSERS = [
    Actor("U0DEMOCC01", "Sam Patel (County Council)"),
    Actor("U0DEMOPOL1", "Jo Evans (Police)"),
    Actor("U0DEMOVS01", "Ade Okafor (Victim Support)"),
]


def _draft(title, org, amount, pot, priority, who, start_year, what=""):
    return Draft(title=title, lead_organisation=org, contact_name=who.name.split(" (")[0],
                 contact_slack_id=who.id, description=what or f"{title}, delivered by {org}.",
                 priorities=(priority,), amount=str(amount), pot=pot,
                 planned_start=date(start_year, 6, 1), planned_end=date(start_year + 1, 3, 1))


def load_demo(actor: Actor, name: str) -> str:
    """Two years: last year run to the end (rollover, tactical projects, spend, a cancellation),
    and this year part-way through its upfront round."""
    current = fiscal.year_of(times.today_local())
    with write_transaction(), notes.silenced():  # made-up people: nobody is told anything
        partnerships.add_partnership(actor, name, ["C0DEMOWG01"])
        _last_year(actor, name, current - 1)
        _this_year(actor, name, current)
    return name


def _submit(year_id, who, *args):
    return proposals.submit(who, year_id, _draft(*args, who=who, start_year=_start(year_id)))[0].id


def _start(year_id):
    return years.start_of(year_id)


def _to_opcc(actor, pid):
    for step in ("shortlist", "support", "submit_to_opcc"):
        decisions.decide(actor, pid, step)


def _last_year(actor, name, start):
    year = years.open_year(actor, name, fiscal.label(start), 3_966_100)
    sam, jo, ade = PROPOSERS
    approved = [
        _submit(year.id, sam, "Safer Streets volunteer recruitment", "County Council", 6500,
                "upfront", "Preventing Neighbourhood Crime & ASB"),
        _submit(year.id, jo, "Domestic abuse awareness training for frontline staff", "Police",
                7000, "upfront", "Domestic Abuse"),
        _submit(year.id, ade, "Hate crime reporting centres", "Victim Support", 4000, "upfront",
                "Preventing Extremism and Hate"),
    ]
    refused = _submit(year.id, jo, "Speed indicator devices", "Police", 5200, "upfront",
                      "Road Safety")
    dropped = _submit(year.id, sam, "Youth diversion football", "County Council", 3000,
                      "upfront", "Serious Violence and Organised Crime")
    for pid in approved + [refused]:
        _to_opcc(actor, pid)
    for pid in approved:
        decisions.approve(actor, pid)
    decisions.decide(actor, dropped, "decline", reason="Overlaps with the VRU's programme.")
    decisions.decide(actor, refused, "pcc_decline", reason="Funded from the road safety budget.")
    tactical = _submit(year.id, ade, "Substance misuse CPD event", "Victim Support", 2500,
                       "tactical", "Substance Misuse")
    for step in ("support", "submit_to_opcc"):
        decisions.decide(actor, tactical, step)
    decisions.approve(actor, tactical, amount_pence=230_000)
    spend.record(actor, approved[0], 410_000, date(start, 9, 12), "Volunteer kit", "INV-2231")
    spend.record(actor, approved[1], 350_000, date(start, 11, 3), "Two training days", "INV-2240")
    spend.record(actor, tactical, 230_000, date(start + 1, 2, 20), "Venue and speakers", "CL-88")
    decisions.cancel(actor, approved[2], "OPCC email of 14 January")


def _this_year(actor, name, start):
    year = years.open_year(actor, name, fiscal.label(start), 4_500_100)
    sam, jo, ade = PROPOSERS
    _submit(year.id, sam, "CCTV for the town centre underpass", "District Council", 6000,
            "upfront", "Preventing Neighbourhood Crime & ASB")
    changes = _submit(year.id, jo, "Scam awareness roadshow", "Police", 2500, "upfront",
                      "Safeguarding Vulnerable People")
    decisions.decide(actor, changes, "request_changes", reason="Add the venues and dates.")
    shortlisted = _submit(year.id, ade, "Independent domestic violence advisor hours",
                          "Victim Support", 7000, "upfront", "Domestic Abuse")
    decisions.decide(actor, shortlisted, "shortlist")
    deferred = _submit(year.id, sam, "Street lighting survey", "County Council", 2000, "upfront",
                       "Violence Against Women and Girls")
    decisions.decide(actor, deferred, "defer")
    supported = _submit(year.id, jo, "Knife crime education in schools", "Police", 5000,
                        "upfront", "Serious Violence and Organised Crime")
    decisions.decide(actor, supported, "support")
    with_opcc = _submit(year.id, ade, "Hate crime third-party reporting", "Victim Support", 3500,
                        "upfront", "Preventing Extremism and Hate")
    _to_opcc(actor, with_opcc)
    approved = _submit(year.id, sam, "Bike marking and lock scheme", "District Council", 4500,
                       "upfront", "Preventing Neighbourhood Crime & ASB")
    _to_opcc(actor, approved)
    decisions.approve(actor, approved)
    spend.record(actor, approved, 120_000, date(start, 8, 15), "D-locks and marking kits", "INV-301")
    withdrawn = _submit(year.id, jo, "Drone training", "Police", 6000, "upfront", "Road Safety")
    proposals.withdraw(jo, withdrawn)
