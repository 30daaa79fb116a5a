"""The county's 2024/25 year of the domain notes (DOMAIN.md), replayed through the services:
£39,661 allocated; nine upfront proposals reviewed, seven supported and sent to the OPCC, five approved
(£21,778); the remainder, £17,883, in the tactical pot, of which four chair-supported projects
take £17,727 and £156 is left. Spend with pence, progress on all but one project."""
from dataclasses import dataclass, field
from datetime import date, datetime

from backend.domain import decisions, people, progress, spend, times
from backend.domain.outbox import notes
from tests.builders import ADMIN, approved, open_year, submit, to_opcc

CHAIR, FINANCE, PARTNER = "U0CHAIR", "U0FINANCE", "U_ALICE"
UPFRONT = (("Safer Streets walkabouts", "6,000", "Northshire Police"),
           ("Domestic abuse awareness training", "4,578", "County Council"),
           ("Bike marking events", "3,200", "Northshire Police"),
           ("Youth diversion sessions", "5,000", "Youth Trust"),
           ("Scam awareness campaign", "3,000", "Trading Standards"))
PCC_DECLINED = (("CCTV upgrade", "2,500"), ("Street lighting survey", "2,000"))
WG_DECLINED = (("Office furniture", "1,500"), ("Conference travel", "1,000"))
TACTICAL = (("Shop watch radios", "7,000", "Chamber of Trade", "Radios for town-centre shops."),
            ("Hate crime reporting campaign", "5,500", "District Council",
             "Posters and social media on reporting hate crime."),
            ("Taxi marshals", "3,226.50", "District Council", "Marshals at the late taxi rank."),
            ("Crime prevention packs", "2,000.50", "Fire and Rescue",
             "Door chains and timer switches for repeat victims."))


@dataclass
class Replayed:
    year: object
    upfront: list[int] = field(default_factory=list)
    tactical: list[int] = field(default_factory=list)


def county_2024_25(name: str = "Northshire CSP", channels=()) -> Replayed:
    """The year, each step dated as it happened (proposals in April, the Working Group on 24
    April, the PCC in May, tactical projects in the summer, spend and reports as dated); what
    it would have told people in Slack back then is not told now."""
    with notes.silenced():
        return _replay(name, channels)


def _replay(name: str, channels) -> Replayed:
    with times.as_of(datetime(2024, 4, 2, 9)):
        year = open_year(3_966_100, name=name, channels=list(channels))
        for user, role in ((CHAIR, "chair"), (FINANCE, "finance")):
            people.grant(ADMIN, year.partnership_id, user, role)
        played = Replayed(year)
        played.upfront = [submit(year, amount, title=title, lead_organisation=lead)
                          for title, amount, lead in UPFRONT]
        pcc_declined = [submit(year, amount, title=title) for title, amount in PCC_DECLINED]
        wg_declined = [submit(year, amount, title=title) for title, amount in WG_DECLINED]
    with times.as_of(datetime(2024, 4, 24, 14)):
        for pid in played.upfront + pcc_declined:
            to_opcc(pid)
        for pid in wg_declined:
            decisions.decide(ADMIN, pid, "decline", reason="Not crime reduction")
    with times.as_of(datetime(2024, 5, 20, 10)):
        for pid in pcc_declined:
            decisions.decide(ADMIN, pid, "pcc_decline", reason="Outside the grant's terms")
        for pid in played.upfront:
            decisions.approve(ADMIN, pid)  # the last one rolls the remainder over
    with times.as_of(datetime(2024, 7, 1, 10)):
        for title, amount, lead, does in TACTICAL:
            played.tactical.append(approved(year, amount, "tactical", title=title,
                                            lead_organisation=lead, description=does))
    with times.as_of(datetime(2025, 1, 10, 10)):
        _spend_and_report(played)
    return played


def _spend_and_report(played: Replayed) -> None:
    walks, training, bikes = played.upfront[:3]
    spend.record(ADMIN, walks, 125_050, date(2024, 6, 3), "Hi-vis and leaflets", "INV-1")
    spend.record(ADMIN, walks, 200_000, date(2024, 9, 20), "Overtime")
    spend.record(ADMIN, training, 450_050, date(2024, 10, 1), "Trainer fees", "INV-2")
    wrong = spend.record(ADMIN, bikes, 50_000, date(2024, 7, 1), "Wrong project")
    spend.reverse(ADMIN, wrong.id, "Invoice was for another project")
    spend.record(ADMIN, bikes, 80_000, date(2024, 8, 15), "Marking kits")
    spend.record(ADMIN, played.tactical[0], 700_000, date(2024, 11, 5), "Radios")
    progress.record(ADMIN, walks, narrative="Six walkabouts planned before March.",
                    outputs="2 sessions delivered, over 80 people at each", rag="green",
                    on=date(2024, 9, 12))
    progress.record(ADMIN, training, narrative="Trainer booked for autumn", rag="amber",
                    on=date(2024, 7, 1))
    progress.record(ADMIN, training, narrative="Three courses run, 45 staff trained",
                    outputs="45 people trained", rag="green", on=date(2024, 10, 20))
    progress.record(ADMIN, played.tactical[0], narrative="Radios issued to 30 shops",
                    outputs="30 radios issued", rag="green", on=date(2024, 12, 1))
    for pid in played.upfront[2:] + played.tactical[1:]:
        if pid != played.upfront[4]:  # the scam campaign has not reported: the gap must show
            progress.record(ADMIN, pid, narrative="Started", rag="amber", on=date(2024, 11, 1))
