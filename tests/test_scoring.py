"""The shortlisting exercise's rules, on both databases, and its arithmetic by hand and by
property: who scores, when, what is refused (and kept on record), rescoring replacing, and the
ranking with the line where the money runs out."""
import json
from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.domain import decisions, meetings, partnerships, people, proposals, times
from backend.domain.actors import Actor
from backend.domain.errors import Conflict, FieldErrors, NotAllowed
from backend.domain.scoring import criteria, results, rounds, scores, words
from backend.domain.scoring.ranking import Entry, Rule, member_score, rank
from backend.slack import scoring_blocks
from jobs.scoring import remind_scorers
from models import AgendaItem, AuditRecord, OutboxMessage, Score, ScoreSheet
from tests.builders import ADMIN, open_year, submit
from tests.test_export_queries import count_queries

MEM1, MEM2, CHAIR, FIN = (Actor("U0MEM1", "Mo"), Actor("U0MEM2", "Meg"), Actor("U0CHAIR", "Cy"),
                          Actor("U0FIN", "Fi"))

# -- the arithmetic by hand -------------------------------------------------------------------

RULES = (Rule(1, "Fit", 0, 5, 2), Rule(2, "Need", 0, 5, 1), Rule(3, "Value", 0, 5, 1))


def test_a_members_score_is_the_weighted_mean_of_their_criteria():
    # (2*5 + 1*3 + 1*1) / 4 = 14/4 = 3.5
    assert member_score(RULES, {1: 5, 2: 3, 3: 1}) == Fraction(7, 2)
    # (2*0 + 1*5 + 1*5) / 4 = 2.5: the heavier criterion pulls it down
    assert member_score(RULES, {1: 0, 2: 5, 3: 5}) == Fraction(5, 2)


def test_ranking_worked_by_hand_with_a_tie_a_gap_and_the_money_line():
    entries = [
        # A: members 3.5 and 2.5 -> mean 3, spread 1; £10,000
        Entry(10, 1, 1_000_000, ({1: 5, 2: 3, 3: 1}, {1: 0, 2: 5, 3: 5}), waiting=1),
        # B: one member, (2*4 + 4 + 4)/4 = 4; £12,000
        Entry(11, 2, 1_200_000, ({1: 4, 2: 4, 3: 4},), conflicts=1),
        # C: nobody scored it yet; £1,000
        Entry(12, 3, 100_000, (), waiting=2),
        # D: (2*3 + 3 + 3)/4 = 3, the same as A: a tie, after A in agenda order; £5,000
        Entry(13, 4, 500_000, ({1: 3, 2: 3, 3: 3},)),
    ]
    ranking = rank(RULES, entries, pot_pence=2_500_000)
    got = [(s.proposal_id, s.rank, s.tied, s.mean, s.spread, s.count, s.cumulative_pence, s.fits)
           for s in ranking.standings]
    assert got == [
        (11, 1, False, Fraction(4), Fraction(0), 1, 1_200_000, True),
        (10, 2, True, Fraction(3), Fraction(1), 2, 2_200_000, True),
        (13, 2, True, Fraction(3), Fraction(0), 1, 2_700_000, False),
        (12, None, False, None, None, 0, 2_800_000, False),
    ]
    assert ranking.fitting == 2 and ranking.first_over.proposal_id == 13
    assert [(s.waiting, s.conflicts) for s in ranking.standings] == [(0, 1), (1, 0), (0, 0), (2, 0)]


def test_when_everything_fits_there_is_no_line():
    ranking = rank(RULES, [Entry(1, 1, 100, ({1: 1, 2: 1, 3: 1},))], pot_pence=100)
    assert ranking.fitting == 1 and ranking.first_over is None


# -- the arithmetic by property ---------------------------------------------------------------

rules_strategy = st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.integers(0, 3), st.integers(1, 7), st.lists(st.integers(1, 10), min_size=n, max_size=n)))


@st.composite
def rounds_strategy(draw):
    low, width, weights = draw(rules_strategy)
    rules = tuple(Rule(i, f"c{i}", low, low + width, w) for i, w in enumerate(weights, 1))
    sheet = st.fixed_dictionaries({r.id: st.integers(r.low, r.high) for r in rules})
    entries = [Entry(pid, pid, draw(st.integers(0, 10_000_00)),
                     tuple(draw(st.lists(sheet, max_size=4))))
               for pid in range(1, draw(st.integers(1, 8)) + 1)]
    return rules, entries, draw(st.integers(0, 50_000_00))


@given(rounds_strategy())
def test_means_stay_on_the_scale_and_the_order_is_stable(case):
    rules, entries, pot = case
    ranking = rank(rules, entries, pot)
    low, high = rules[0].low, rules[0].high
    standings = ranking.standings
    assert sorted(s.proposal_id for s in standings) == [e.proposal_id for e in entries]
    for s in standings:
        if s.mean is not None:
            assert low <= s.mean <= high and 0 <= s.spread <= high - low and s.count >= 1
    means = [s.mean for s in standings if s.mean is not None]
    assert means == sorted(means, reverse=True)  # highest first, unscored last
    assert all(s.mean is None for s in standings[len(means):])
    for a, b in zip(standings, standings[1:]):  # ties keep agenda order
        if a.mean == b.mean:
            assert a.proposal_id < b.proposal_id
    assert rank(rules, list(reversed(entries)), pot) == ranking  # input order does not matter
    total = 0
    for s in standings:
        total += s.amount_pence
        assert s.cumulative_pence == total and s.fits == (total <= pot)


# -- the rules, on the database ---------------------------------------------------------------


@pytest.fixture
def scoring(db):
    year = open_year(3_000_000, channels=["C_WG"])  # upfront £20,000
    pid = year.partnership_id
    for actor, role in ((MEM1, "member"), (MEM2, "member"), (CHAIR, "chair"), (FIN, "finance")):
        people.grant(ADMIN, pid, actor.id, role)
    held = times.to_local(times.now()).replace(tzinfo=None) + timedelta(days=10)
    meeting = meetings.schedule(ADMIN, year.id, held, held - timedelta(days=3))
    ids = [submit(year, amount, title=title) for amount, title in
           (("9,000", "Walks"), ("8,000", "Signs"), ("6,000", "Kit"))]
    ids.append(submit(year, "1,000", title="Own", who=MEM2))
    return year, meeting, ids


def _typed(r, *values):
    return {rule.id: str(v) for rule, v in zip(r.rules, values)}


def test_members_score_rescore_and_the_closed_round_ranks(scoring):
    year, meeting, (walks, signs, kit, own) = scoring
    r = rounds.open_round(CHAIR, year.id)
    assert [rule.name for rule in r.rules] == list(criteria.DEFAULTS)
    scores.score(MEM1, r.id, walks, _typed(r, 5, 5, 5, 5, 5), "Strong")
    scores.score(MEM1, r.id, walks, _typed(r, 1, 1, 1, 1, 1), "Changed my mind")
    assert Score.select().count() == 5 and ScoreSheet.select().count() == 1  # replaced
    rescore = AuditRecord.get(AuditRecord.action == "scoring.rescore")
    assert '"Evidence of need": 5' in rescore.before and '"Changed my mind"' in rescore.after
    scores.score(MEM2, r.id, walks, _typed(r, 3, 3, 3, 3, 3))
    scores.score(MEM2, r.id, signs, _typed(r, 4, 4, 4, 4, 4))
    scores.score(CHAIR, r.id, kit, _typed(r, 5, 4, 4, 4, 4))
    scores.declare_conflict(MEM1, r.id, kit, "My organisation delivers it")
    with pytest.raises(Conflict):  # nobody sees a ranking while it is open
        results.ranking(r.id)
    _, progress = rounds.progress(CHAIR, r.id)
    assert [(p.member, p.scored, p.conflicts, p.to_do) for p in progress] == [
        ("U0MEM1", 1, 1, 2), ("U0MEM2", 2, 1, 1), ("U0CHAIR", 1, 0, 3)]
    rounds.close_round(CHAIR, r.id)
    _, ranking = results.ranking(r.id)
    # Kit 4.2 (one score), Signs 4, Walks (1 + 3) / 2 = 2, Own unscored.
    assert [(s.proposal_id, s.mean, s.count) for s in ranking.standings] == [
        (kit, Fraction(21, 5), 1), (signs, Fraction(4), 1), (walks, Fraction(2), 2),
        (own, None, 0)]
    assert ranking.pot_pence == 2_000_000 and ranking.fitting == 2
    over = ranking.first_over
    assert over.proposal_id == walks and over.cumulative_pence == 2_300_000
    given_scores = results.closed_scores_of(walks)[0][2]
    assert [(g.member, g.weighted, g.comment) for g in given_scores] == [
        ("U0MEM1", Fraction(1), "Changed my mind"), ("U0MEM2", Fraction(3), "")]


def test_refusals_are_against_the_field_and_on_record(scoring):
    year, meeting, (walks, signs, kit, own) = scoring
    with pytest.raises(NotAllowed, match="Only a working-group or CSP chair or a community"):
        rounds.open_round(MEM1, year.id)
    r = rounds.open_round(ADMIN, year.id)
    with pytest.raises(Conflict, match="already open"):
        rounds.open_round(CHAIR, year.id)
    with pytest.raises(FieldErrors) as wrong:
        scores.score(MEM1, r.id, walks, _typed(r, 6, 3, "x", 3, -1))
    fields = wrong.value.errors
    assert set(fields) == {scores.field_of(r.rules[i].id) for i in (0, 2, 4)}
    assert "6 is outside the scale" in fields[scores.field_of(r.rules[0].id)]
    with pytest.raises(NotAllowed, match="Only working-group members and chairs score "
                                          "proposals; you are finance"):
        scores.score(FIN, r.id, walks, _typed(r, 1, 1, 1, 1, 1))
    with pytest.raises(NotAllowed, match="conflict of interest"):
        scores.score(MEM2, r.id, own, _typed(r, 5, 5, 5, 5, 5))
    scores.declare_conflict(MEM1, r.id, kit)
    with pytest.raises(NotAllowed, match="You declared a conflict of interest"):
        scores.score(MEM1, r.id, kit, _typed(r, 1, 1, 1, 1, 1))
    rounds.close_round(CHAIR, r.id)
    with pytest.raises(NotAllowed, match="closed on"):
        scores.score(MEM1, r.id, walks, _typed(r, 1, 1, 1, 1, 1))
    assert Score.select().count() == 0
    denied = [a for a in AuditRecord.select().where(AuditRecord.action == "denied")]
    said = " ".join(d.after for d in denied)
    for attempt in ("tried to open or close scoring", "outside the scale", "tried to score a",
                    "despite a conflict", "after declaring a conflict", "after scoring closed"):
        assert attempt in said, attempt


def test_closing_orders_the_agenda_and_the_clock_reminds_once(scoring):
    year, meeting, (walks, signs, kit, own) = scoring
    meetings.post_agenda(ADMIN, year.id)
    r = rounds.open_round(CHAIR, year.id)
    scores.score(MEM1, r.id, kit, _typed(r, 5, 5, 5, 5, 5))
    soon = meeting.held_at - timedelta(days=1)
    assert rounds.remind_before_meetings(ADMIN, meeting.held_at - timedelta(days=5)) == []
    reminded = rounds.remind_before_meetings(ADMIN, soon)
    assert [x.members for x in reminded] == [("U0MEM1", "U0MEM2", "U0CHAIR")]
    assert rounds.remind_before_meetings(ADMIN, soon) == []
    rounds.close_round(ADMIN, r.id)
    order = [i.proposal_id for i in AgendaItem.select().order_by(AgendaItem.position)]
    assert order[0] == kit and set(order) == {walks, signs, kit, own}
    meetings.post_agenda(ADMIN, year.id)  # posted again: in ranked order
    assert [i.proposal_id for i in AgendaItem.select().order_by(AgendaItem.position)] == order
    assert [json.loads(m.payload)["proposal"] for m in OutboxMessage.select().where(
        OutboxMessage.render == "agenda_item").order_by(OutboxMessage.id)][-4:] == order


def test_scoring_closed_before_the_agenda_is_posted_keeps_the_ranked_order(scoring):
    year, meeting, (walks, signs, kit, own) = scoring
    r = rounds.open_round(CHAIR, year.id)
    scores.score(MEM1, r.id, kit, _typed(r, 5, 5, 5, 5, 5))
    scores.score(MEM1, r.id, signs, _typed(r, 4, 4, 4, 4, 4))
    rounds.close_round(ADMIN, r.id)
    meetings.post_agenda(ADMIN, year.id)
    posted = [json.loads(m.payload)["proposal"] for m in OutboxMessage.select().where(
        OutboxMessage.render == "agenda_item").order_by(OutboxMessage.id)]
    assert posted[:2] == [kit, signs] and set(posted) == {walks, signs, kit, own}
    assert [i.proposal_id for i in AgendaItem.select().order_by(AgendaItem.position)] == posted


def test_the_clock_reminds_members_before_the_meeting(scoring):
    year, meeting, _ = scoring
    rounds.open_round(CHAIR, year.id)
    assert remind_scorers(meeting.held_at - timedelta(days=3)) == 0
    assert remind_scorers(meeting.held_at - timedelta(hours=30)) == 1
    assert remind_scorers(meeting.held_at - timedelta(hours=29)) == 0
    told = [m.recipient for m in OutboxMessage.select().where(
        OutboxMessage.render == "scoring_reminder")]
    assert told == ["U0MEM1", "U0MEM2", "U0CHAIR"]
    assert AuditRecord.get(AuditRecord.action == "scoring.remind").actor.startswith("system:clock")


def test_admins_edit_the_criteria_for_the_next_round(scoring):
    year, meeting, (walks, *_) = scoring
    pid = year.partnership_id
    with pytest.raises(NotAllowed):
        criteria.add(CHAIR, pid, "Partnership working")
    criteria.add(ADMIN, pid, "Partnership working", "2")
    criteria.set_weight(ADMIN, pid, 1, 3)
    criteria.retire(ADMIN, pid, 5)
    shown = criteria.set_scale(ADMIN, pid, 1, 10)
    assert [(c.name, c.low, c.high, c.weight) for c in shown] == [
        (criteria.DEFAULTS[0], 1, 10, 3), *[(n, 1, 10, 1) for n in criteria.DEFAULTS[1:4]],
        ("Partnership working", 1, 10, 2)]
    assert AuditRecord.select().where(AuditRecord.action == "scoring.criteria").count() == 4
    r = rounds.open_round(CHAIR, year.id)
    criteria.set_weight(ADMIN, pid, 1, 1)  # the open round keeps what it opened with
    assert results.get(r.id).rules[0].weight == 3


def test_crg_scoring_on_the_command_line(scoring, crg):
    year, meeting, (walks, signs, kit, own) = scoring
    name = partnerships.name_of(year.partnership_id)
    out = crg("scoring", name)
    assert "1. Fit with the Community Safety Agreement priorities (0–5, weight 1)" in out
    assert "No scoring round has closed in 2024/25 yet." in out
    r = rounds.open_round(CHAIR, year.id)
    scores.score(MEM1, r.id, walks, _typed(r, 4, 4, 4, 4, 4))
    scores.score(MEM1, r.id, signs, _typed(r, 5, 5, 5, 5, 5))
    out = crg("scoring", name, "2024/25")
    assert "U0MEM1 (name not known yet)" in out and "2 scored, 0 conflicts, 2 still to score" in out
    assert "4.00" not in out  # never a score while it is open
    rounds.close_round(CHAIR, r.id)
    out = crg("scoring", name)
    assert "1. CRG-2024/25-002 Signs · £8,000 · mean 5.00 of 5 · spread 0.00 · 1 score, 2 not " \
           "in · running total £8,000" in out
    assert "— the money runs out here —\n  –. CRG-2024/25-003" in out
    assert ("The top two fit in £17,000; the third would take it to £23,000 (the upfront pot "
            "has £20,000 left).") in out
    assert crg("scoring", "Nowhere", ok=False).startswith("There is no partnership called")


def test_the_ranking_stays_as_closed(scoring):
    year, meeting, (walks, signs, kit, own) = scoring
    r = rounds.open_round(CHAIR, year.id)
    scores.score(MEM1, r.id, walks, _typed(r, 3, 3, 3, 3, 3))
    scores.score(MEM1, r.id, signs, _typed(r, 4, 4, 4, 4, 4))
    proposals.withdraw(MEM2, own)  # withdrawn while scoring is open: not ranked
    rounds.close_round(CHAIR, r.id)
    _, ranking = results.ranking(r.id)
    assert [s.proposal_id for s in ranking.standings] == [signs, walks, kit]
    assert ranking.pot_pence == 2_000_000
    decisions.decide(ADMIN, signs, "support")  # earmarks £8,000 of the pot afterwards
    _, again = results.ranking(r.id)
    assert again == ranking  # the line the group saw
    assert results.pot_left(year.id) == 1_200_000


def test_the_money_line_in_words():
    def said(amounts, pot, means=None):
        means = means or list(range(len(amounts), 0, -1))
        entries = [Entry(i, i, a, ({1: m, 2: m, 3: m},)) for i, (a, m) in
                   enumerate(zip(amounts, means), 1)]
        return words.money_line(rank(RULES, entries, pot))

    assert said([100_00, 200_00], 500_00) == ("Together all two fit in £300, within the £500 "
                                              "left in the upfront pot (£200 to spare).")
    assert said([100_00], 100_00) == ("Together it fits in £100, within the £100 left in the "
                                      "upfront pot (£0 to spare).")
    assert said([600_00, 100_00], 500_00) == ("The first alone would take it to £600, past the "
                                              "£500 left in the upfront pot.")
    assert said([500_000] * 5 + [144_000, 246_000, 100_00], 2_700_000) == (  # the issue's own
        "The top six fit in £26,440; the seventh would take it to £28,900 (the upfront pot has "
        "£27,000 left).")
    assert said([100_00, 300_00, 300_00], 400_00, means=[5, 3, 3]) == (
        "The top two fit in £400; the third would take it to £700 (the upfront pot has £400 "
        "left). The second and third are tied across the line: the group decides between them.")
    assert [words.ordinal(n) for n in (7, 21, 22, 23, 111)] == [
        "seventh", "21st", "22nd", "23rd", "111th"]
    assert words.two_places(Fraction(1, 8)) == "0.13" and words.two_places(Fraction(7, 3)) == "2.33"


def _queries_to_show_a_round(proposals_in_round: int, name: str) -> int:
    """Opens and closes a round of `proposals_in_round`; counts the queries of its ranking and of
    a member's DM."""
    year = open_year(30_000_000, name=name)
    people.grant(ADMIN, year.partnership_id, MEM1.id, "member")
    held = times.to_local(times.now()).replace(tzinfo=None) + timedelta(days=10)
    meetings.schedule(ADMIN, year.id, held, held - timedelta(days=3))
    for n in range(proposals_in_round):
        submit(year, "1,000", title=f"Project {n}")
    r = rounds.open_round(ADMIN, year.id)
    rounds.close_round(ADMIN, r.id)
    r, ranking = results.ranking(r.id)
    with count_queries() as queries:
        scoring_blocks.ranking_blocks(r, ranking, "Ranked", running=True)
        scoring_blocks.invite_blocks(r, MEM1.id, "Please score")
    return len(queries)


def test_a_rounds_ranking_and_dm_cost_the_same_queries_for_4_proposals_as_for_12(db):
    assert _queries_to_show_a_round(4, "Small CSP") == _queries_to_show_a_round(12, "Large CSP")
