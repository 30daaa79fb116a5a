"""The ranking arithmetic, plain and exact (fractions, never floats), so two proposals with the
same scores tie exactly and the order never depends on rounding.

A member's score of a proposal is the weighted mean of their scores on each criterion
(sum of weight × score over the sum of the weights); a proposal's score is the mean of its
members' scores. Proposals are ranked by that mean, highest first; equal means share a rank
(a tie) and keep agenda order between them; proposals nobody scored come last, unranked. Then,
down the ranking, the amounts asked for are added up against the pot, and the first proposal
that would take the total past it is where the money runs out.
"""
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Rule:
    """A criterion as the round holds it."""

    id: int
    name: str
    low: int
    high: int
    weight: int


@dataclass(frozen=True)
class Entry:
    """A proposal on the agenda and what the members gave it: one {criterion id: score} per
    member who scored it; `waiting` members may still score it; `conflicts` declared one."""

    proposal_id: int
    position: int  # agenda order: ties keep it
    amount_pence: int
    sheets: tuple[dict[int, int], ...]
    waiting: int = 0
    conflicts: int = 0


@dataclass(frozen=True)
class Standing:
    proposal_id: int
    rank: int | None  # None: nobody scored it
    tied: bool  # another proposal has exactly the same mean
    mean: Fraction | None
    spread: Fraction | None  # highest member score less the lowest
    count: int
    waiting: int
    conflicts: int
    amount_pence: int
    cumulative_pence: int
    fits: bool  # the cumulative amount is within the pot


@dataclass(frozen=True)
class Ranking:
    standings: tuple[Standing, ...]
    pot_pence: int

    @property
    def fitting(self) -> int:
        """How many proposals, from the top, fit in the pot together."""
        count = 0
        for s in self.standings:
            if not s.fits:
                break
            count += 1
        return count

    @property
    def first_over(self) -> Standing | None:
        """The proposal that would take the total past the pot, if any."""
        return next((s for s in self.standings if not s.fits), None)


def member_score(rules: tuple[Rule, ...], values: dict[int, int]) -> Fraction:
    """One member's weighted mean over the round's criteria."""
    total_weight = sum(r.weight for r in rules)
    return Fraction(sum(r.weight * values[r.id] for r in rules), total_weight)


def rank(rules: tuple[Rule, ...], entries: list[Entry], pot_pence: int) -> Ranking:
    scored = []
    for e in entries:
        members = [member_score(rules, sheet) for sheet in e.sheets]
        mean = Fraction(sum(members), len(members)) if members else None
        spread = (max(members) - min(members)) if members else None
        scored.append((e, mean, spread, len(members)))
    scored.sort(key=lambda s: (s[1] is None, -(s[1] or 0), s[0].position))
    means = [s[1] for s in scored if s[1] is not None]
    standings, cumulative, still_fits, rank_of = [], 0, True, {}
    for place, (e, mean, spread, count) in enumerate(scored, start=1):
        if mean is not None:
            rank_of.setdefault(mean, place)
        cumulative += e.amount_pence
        still_fits = still_fits and cumulative <= pot_pence
        standings.append(Standing(
            e.proposal_id, rank_of.get(mean) if mean is not None else None,
            mean is not None and means.count(mean) > 1, mean, spread, count, e.waiting,
            e.conflicts, e.amount_pence, cumulative, still_fits))
    return Ranking(tuple(standings), pot_pence)
