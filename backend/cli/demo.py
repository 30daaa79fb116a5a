"""`crg demo`: a made-up partnership whose proposals stand in every state, so a newcomer sees
something real. It is built only through the services, so it obeys every rule the app does.

Every step is dated as it would have happened (`times.as_of`): last year's round from April to
March, this year's between 1 April and now, whatever today's date is. So decisions fall inside
their year and before the spend that follows them, an award comes before its project's planned
end, and nothing is dated in the future. Only this year's usual deadlines still to come are made
(last year's are long past), with today's date, as opening the year today would make them.
"""
import hashlib
from datetime import date, datetime, timedelta

from backend.cli.common import actor as operator
from backend.cli.partnerships import render_figures
from backend.domain import (
    claims,
    conditions,
    decisions,
    directory,
    evidence,
    fiscal,
    partnerships,
    proposals,
    spend,
    times,
    years,
)
from backend.domain.actors import Actor
from backend.domain.database import write_transaction
from backend.domain.evidence import SentFile
from backend.domain.outbox import notes
from backend.domain.pots import year_figures
from backend.domain.proposals import Draft

DEFAULT_NAME = "Demo Borough CSP"


def register(sub) -> None:
    demo = sub.add_parser("demo", help="load a made-up partnership with proposals in every state")
    demo.add_argument("--name", default=DEFAULT_NAME,
                      help="its name; another name makes another demo partnership beside it")
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


def demo_channel(name: str) -> str:
    """A made-up channel id of the demo's own, so that each demo partnership has its own."""
    return "C0DEMO" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6].upper()


def _draft(title, org, amount, pot, priority, who, start_year, what=""):
    return Draft(title=title, lead_organisation=org, contact_name=who.name.split(" (")[0],
                 contact_slack_id=who.id, description=what or f"{title}, delivered by {org}.",
                 priorities=(priority,), amount=str(amount), pot=pot,
                 planned_start=date(start_year, 6, 1), planned_end=date(start_year + 1, 3, 1))


def _at(day: date, hour: int = 10) -> datetime:
    """A London wall-clock moment of a day, as the naive UTC the services store."""
    return times.from_local(datetime(day.year, day.month, day.day, hour))


def load_demo(actor: Actor, name: str) -> str:
    """Two years: last year run to the end (rollover, tactical projects, spend, a cancellation),
    and this year part-way through its upfront round."""
    current = fiscal.year_of(times.today_local())
    with write_transaction(), notes.silenced():  # made-up people: nobody is told anything
        with times.as_of(_at(fiscal.first_day(current - 1), 9)):
            partnerships.add_partnership(actor, name, [demo_channel(name)])
            for who in PROPOSERS:  # made-up people: their names come from here, not Slack
                person = who.name.split(" (")[0]
                directory.learn(who.id, display_name=person.split()[0], real_name=person,
                                actor=actor)
        _last_year(actor, name, current - 1)
        this_year = _this_year(actor, name, current)
        years.add_usual_deadlines(actor, this_year)  # today: only those still to come
    return name


# A partnership's usual grant conditions, as PCCs' terms have them.
DEMO_CONDITIONS = (
    ("Signed grant agreement", "The grant agreement signed by the lead organisation.",
     "release", False),
    ("DBS checks", "Anyone working with children or vulnerable adults has a current DBS check.",
     "ongoing", False),
    ("PCC's support acknowledged", "The PCC's logo on publicity for the project.", "ongoing",
     False),
    ("Year-end return", "Spend, outputs and who benefited, for the monitoring return.",
     "year_end", False),
)


def _submit(year_id, who, *args):
    return proposals.submit(who, year_id, _draft(*args, who=who, start_year=_start(year_id)))[0].id


def _start(year_id):
    return years.start_of(year_id)


def _to_opcc(actor, pid, *, shortlist_on: datetime, support_on: datetime, sent_on: datetime):
    for step, when in (("shortlist", shortlist_on), ("support", support_on),
                       ("submit_to_opcc", sent_on)):
        with times.as_of(when):
            decisions.decide(actor, pid, step)


def _last_year(actor, name, start):
    """A whole year, from the allocation in April to the last claims in March."""
    def on(month, day, hour=10):
        return _at(date(start if month >= 4 else start + 1, month, day), hour)

    sam, jo, ade = PROPOSERS
    with times.as_of(on(4, 1, 9)):
        year = years.open_year(actor, name, fiscal.label(start), 3_966_100, usual_deadlines=False)
    with times.as_of(on(4, 10)):
        approved = [
            _submit(year.id, sam, "Safer Streets volunteer recruitment", "County Council", 6500,
                    "upfront", "Preventing Neighbourhood Crime & ASB"),
            _submit(year.id, jo, "Domestic abuse awareness training for frontline staff",
                    "Police", 7000, "upfront", "Domestic Abuse"),
            _submit(year.id, ade, "Hate crime reporting centres", "Victim Support", 4000,
                    "upfront", "Preventing Extremism and Hate"),
        ]
        refused = _submit(year.id, jo, "Speed indicator devices", "Police", 5200, "upfront",
                          "Road Safety")
        dropped = _submit(year.id, sam, "Youth diversion football", "County Council", 3000,
                          "upfront", "Serious Violence and Organised Crime")
    for pid in approved + [refused]:
        _to_opcc(actor, pid, shortlist_on=on(4, 28), support_on=on(4, 28, 11),
                 sent_on=on(5, 30))
    with times.as_of(on(4, 28, 12)):
        decisions.decide(actor, dropped, "decline", reason="Overlaps with the VRU's programme.")
    with times.as_of(on(6, 20)):
        for pid in approved:
            decisions.approve(actor, pid)
        decisions.decide(actor, refused, "pcc_decline",
                         reason="Funded from the road safety budget.")  # the round closes
    with times.as_of(on(7, 1)):
        tactical = _submit(year.id, ade, "Substance misuse CPD event", "Victim Support", 2500,
                           "tactical", "Substance Misuse")
    with times.as_of(on(7, 15)):
        decisions.decide(actor, tactical, "support")
    with times.as_of(on(7, 20)):
        decisions.decide(actor, tactical, "submit_to_opcc")
    with times.as_of(on(8, 5)):
        decisions.approve(actor, tactical, amount_pence=230_000)
    with times.as_of(on(9, 15)):
        spend.record(actor, approved[0], 410_000, date(start, 9, 12), "Volunteer kit",
                     "INV-2231")
    with times.as_of(on(11, 7)):
        spend.record(actor, approved[1], 350_000, date(start, 11, 3), "Two training days",
                     "INV-2240")
    with times.as_of(on(1, 16)):
        decisions.cancel(actor, approved[2], "OPCC email of 14 January")
    with times.as_of(on(2, 24)):
        spend.record(actor, tactical, 230_000, date(start + 1, 2, 20), "Venue and speakers",
                     "CL-88")


def _this_year(actor, name, start) -> int:
    """This year so far: its steps spread between 1 April and now, in order, so that they fit
    whether today is the year's first day or its last."""
    first = _at(fiscal.first_day(start), 0)
    elapsed = max(times.now() - first, timedelta(0))

    def by(share: float) -> datetime:  # `share` of the way from 1 April to now
        return first + elapsed * share

    sam, jo, ade = PROPOSERS
    with times.as_of(by(0.02)):
        year = years.open_year(actor, name, fiscal.label(start), 4_500_100, usual_deadlines=False)
    with times.as_of(by(0.10)):
        _submit(year.id, sam, "CCTV for the town centre underpass", "District Council", 6000,
                "upfront", "Preventing Neighbourhood Crime & ASB")
        changes = _submit(year.id, jo, "Scam awareness roadshow", "Police", 2500, "upfront",
                          "Safeguarding Vulnerable People")
        shortlisted = _submit(year.id, ade, "Independent domestic violence advisor hours",
                              "Victim Support", 7000, "upfront", "Domestic Abuse")
        deferred = _submit(year.id, sam, "Street lighting survey", "County Council", 2000,
                           "upfront", "Violence Against Women and Girls")
        supported = _submit(year.id, jo, "Knife crime education in schools", "Police", 5000,
                            "upfront", "Serious Violence and Organised Crime")
        with_opcc = _submit(year.id, ade, "Hate crime third-party reporting", "Victim Support",
                            3500, "upfront", "Preventing Extremism and Hate")
        approved = _submit(year.id, sam, "Bike marking and lock scheme", "District Council",
                           4500, "upfront", "Preventing Neighbourhood Crime & ASB")
        withdrawn = _submit(year.id, jo, "Drone training", "Police", 6000, "upfront",
                            "Road Safety")
    with times.as_of(by(0.25)):
        decisions.decide(actor, changes, "request_changes", reason="Add the venues and dates.")
        decisions.decide(actor, shortlisted, "shortlist")
        decisions.decide(actor, deferred, "defer")
        decisions.decide(actor, supported, "support")
    for pid in (with_opcc, approved):
        _to_opcc(actor, pid, shortlist_on=by(0.25), support_on=by(0.30), sent_on=by(0.40))
    with times.as_of(by(0.45)):
        proposals.withdraw(jo, withdrawn)
    with times.as_of(by(0.50)):  # the grant's usual conditions, before this year's approval
        for title, what, due, needs_file in DEMO_CONDITIONS:
            conditions.add_template(actor, year.partnership_id, title, what, due, needs_file)
    with times.as_of(by(0.60)):
        decisions.approve(actor, approved)
    agreement = conditions.for_project(approved)[0]
    with times.as_of(by(0.70)):  # met, so the spend below may be recorded
        conditions.mark_met(actor, agreement.id, "Signed by the District Council on 3 June.")
        conditions.accept(actor, agreement.id)
    spent_on = max(times.to_local(by(0.60)).date(), times.to_local(by(0.80)).date())
    with times.as_of(by(0.80)):
        spend.record(actor, approved, 120_000, spent_on, "D-locks and marking kits", "INV-301")
        # The lead's claim for the next invoice, waiting for finance, with its receipt kept.
        made, (receipt,) = claims.make(
            sam, approved, 45_000, spent_on, "Marking kit refills", "INV-317",
            [SentFile("F0DEMO0001", "INV-317 receipt.txt")], submission_key=f"demo:{year.id}")
        evidence.keep(receipt, b"District Council Community Safety\nInvoice INV-317\n"
                               b"Marking kit refills x 30 ........ 450.00\n", "text/plain")
    return year.id
