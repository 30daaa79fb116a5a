"""The life of a proposal: who may decide what, from which state, and only once."""
import threading

import pytest

from backend.domain import decisions, directory, proposals
from backend.domain.actors import Actor
from backend.domain.errors import Conflict, InvalidInput, NotAllowed
from backend.domain.pots import year_figures
from models import FinancialYear, Member, Partnership
from tests.builders import ADMIN, PROPOSER, open_year, submit, to_opcc

CHAIR = Actor("U_CHAIR", "Chris Chair")
STRANGER = Actor("U_OTHER", "Someone Else")


def grant(actor, year, role):
    from backend.domain import times

    Member.create(partnership=Partnership.get_by_id(year.partnership_id), slack_user_id=actor.id,
                  role=role, granted_by="test", granted_at=times.now())


def test_full_upfront_life(db):
    year = open_year(900_000)
    pid = submit(year, "2,000")
    grant(CHAIR, year, "chair")
    for action, status in [("shortlist", "shortlisted"), ("support", "supported")]:
        assert decisions.decide(CHAIR, pid, action).proposal.status == status
    assert decisions.decide(ADMIN, pid, "submit_to_opcc").proposal.opcc_submitted_on
    outcome = decisions.approve(ADMIN, pid, amount_pence=150_000)
    assert outcome.proposal.approved_pence == 150_000 and outcome.committed_pence == 150_000
    assert outcome.rolled_over_pence == 600_000 - 150_000
    actions = [h.action for h in proposals.history(pid)]
    assert actions == ["proposal.submit", "proposal.shortlist", "proposal.support",
                       "proposal.submit_to_opcc", "proposal.approve"]


def test_partners_cannot_decide_and_nothing_changes(db):
    year = open_year(900_000)
    pid = submit(year)
    with pytest.raises(NotAllowed, match="Only a working-group or CSP chair"):
        decisions.decide(STRANGER, pid, "shortlist")
    grant(CHAIR, year, "chair")
    decisions.decide(CHAIR, pid, "support")
    with pytest.raises(NotAllowed, match="admin"):
        decisions.decide(CHAIR, pid, "submit_to_opcc")
    assert proposals.get(pid).status == "supported"


def test_roles_are_per_partnership(db):
    mine, other = open_year(900_000), open_year(900_000)
    grant(CHAIR, mine, "chair")
    pid = submit(other)
    with pytest.raises(NotAllowed):
        decisions.decide(CHAIR, pid, "shortlist")


def test_a_repeated_decision_is_refused_naming_who_made_it(db):
    year = open_year(900_000)
    pid = submit(year)
    decisions.decide(ADMIN, pid, "shortlist")
    with pytest.raises(Conflict, match=r"already shortlisted by command line \(tests\)"):
        decisions.decide(ADMIN, pid, "shortlist")
    grant(CHAIR, year, "chair")
    directory.learn(CHAIR.id, display_name="Cat", real_name="Cat Chair")
    decisions.decide(CHAIR, pid, "support")
    with pytest.raises(Conflict, match="already supported by Cat Chair on"):  # a name, not an id
        decisions.decide(ADMIN, pid, "support", expected_status="shortlisted")


def test_reasons_are_required_where_the_proposer_needs_them(db):
    year = open_year(900_000)
    pid = submit(year)
    with pytest.raises(InvalidInput, match="Say why"):
        decisions.decide(ADMIN, pid, "decline", reason=" ")
    with pytest.raises(InvalidInput, match="what the proposer should change"):
        decisions.decide(ADMIN, pid, "request_changes")
    decisions.decide(ADMIN, pid, "request_changes", reason="Add dates")
    view = proposals.get(pid)
    assert view.status == "changes_requested" and view.decision_note == "Add dates"


def test_changes_requested_then_resubmitted(db):
    from tests.builders import draft

    year = open_year(900_000)
    pid = submit(year, "2,000")
    decisions.decide(ADMIN, pid, "request_changes", reason="Smaller please")
    view = proposals.edit(PROPOSER, pid, draft("1,500"))
    assert view.status == "submitted" and view.amount_pence == 150_000
    with pytest.raises(NotAllowed):
        proposals.edit(STRANGER, pid, draft("1,000"))
    decisions.decide(ADMIN, pid, "shortlist")
    with pytest.raises(Conflict, match="can no longer be edited"):
        proposals.edit(PROPOSER, pid, draft("1,000"))


def test_shortlisting_and_deferral_are_for_upfront_only(db):
    year = open_year(900_000)
    up = submit(year)
    to_opcc(up)
    decisions.approve(ADMIN, up)
    tactical = submit(year, pot="tactical")
    with pytest.raises(Conflict, match="tactical proposal"):
        decisions.decide(ADMIN, tactical, "shortlist")
    to_opcc(tactical, pot="tactical")
    assert decisions.approve(ADMIN, tactical).proposal.status == "approved"


def test_support_warns_when_earmarks_pass_the_pot(db):
    year = open_year(900_000)  # upfront £6,000
    a, b = submit(year, "4,000"), submit(year, "3,000")
    assert decisions.decide(ADMIN, a, "support").warnings == ()
    outcome = decisions.decide(ADMIN, b, "support")
    assert "£7,000, more than the £6,000" in outcome.warnings[0]
    assert year_figures(FinancialYear.get_by_id(year.id)).pots["upfront"].earmarked == 700_000


def test_withdrawal_is_final_and_may_close_the_round(db):
    year = open_year(900_000)
    pid = submit(year)
    with pytest.raises(NotAllowed):
        proposals.withdraw(STRANGER, pid)
    proposals.withdraw(PROPOSER, pid)
    with pytest.raises(Conflict, match="already withdrawn"):
        proposals.withdraw(PROPOSER, pid)
    assert not year_figures(FinancialYear.get_by_id(year.id)).pots["tactical"].locked


def test_two_chairs_deciding_at_once_one_wins(db):
    year = open_year(900_000)
    pid = submit(year)
    results, barrier = [], threading.Barrier(4)

    def chair(action):
        barrier.wait()
        try:
            outcome = decisions.decide(ADMIN, pid, action, reason="r", expected_status="submitted")
            results.append(("ok", outcome.proposal.status))
        except Conflict as refusal:
            results.append(("refused", refusal.message))
        finally:
            from models import database
            database.close()

    threads = [threading.Thread(target=chair, args=(a,))
               for a in ("shortlist", "support", "decline", "defer")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    wins = [r for r in results if r[0] == "ok"]
    assert len(wins) == 1, results
    assert all("already" in message for kind, message in results if kind == "refused")
