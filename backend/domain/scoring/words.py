"""How the ranking is said in words, the same in Slack and on the command line: means to two
places (exact, halves up), and where the money runs out ("The top six fit in £26,440; the
seventh would take it to £28,900")."""
from fractions import Fraction

from backend.domain.money import format_pence
from backend.domain.scoring.ranking import Ranking, Standing
from backend.domain.scoring.results import RoundView

_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen", "twenty")
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
             "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth")


def count_word(n: int) -> str:
    return _WORDS[n - 1] if 1 <= n <= len(_WORDS) else str(n)


def ordinal(n: int) -> str:
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def two_places(value: Fraction) -> str:
    """A mean to two decimal places, halves rounded up (exact: no float in between)."""
    hundredths = int(value * 100 + Fraction(1, 2)) if value >= 0 else -int(-value * 100
                                                                            + Fraction(1, 2))
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def money_line(ranking: Ranking) -> str:
    """Where the money runs out: "The top six fit in £26,440; the seventh would take it to
    £28,900 (the upfront pot has £27,000 left)."."""
    standings, pot = ranking.standings, format_pence(ranking.pot_pence)
    fitting, over = ranking.fitting, ranking.first_over
    if not standings:
        return ""
    if over is None:
        total = standings[-1].cumulative_pence
        every = "it fits" if len(standings) == 1 else f"all {count_word(len(standings))} fit"
        return (f"Together {every} in {format_pence(total)}, within the {pot} left in the "
                f"upfront pot ({format_pence(ranking.pot_pence - total)} to spare).")
    if fitting == 0:
        return (f"The first alone would take it to {format_pence(over.cumulative_pence)}, past "
                f"the {pot} left in the upfront pot.")
    last = standings[fitting - 1]
    top = "The top one fits" if fitting == 1 else f"The top {count_word(fitting)} fit"
    said = (f"{top} in {format_pence(last.cumulative_pence)}; the {ordinal(fitting + 1)} would "
            f"take it to {format_pence(over.cumulative_pence)} (the upfront pot has {pot} left).")
    if last.rank is not None and last.rank == over.rank:
        said += (f" The {ordinal(fitting)} and {ordinal(fitting + 1)} are tied across the line: "
                 "the group decides between them.")
    return said


def figures(s: Standing, r: RoundView) -> str:
    """Mean, spread and number of scores, with who is missing: "3.40 of 5 · spread 1.20 ·
    4 scores, 1 not in, 1 conflict"."""
    if s.mean is None:
        said = "no scores"
    else:
        said = (f"mean {two_places(s.mean)} of {r.high} · spread {two_places(s.spread)} · "
                f"{s.count} score{'s' if s.count != 1 else ''}")
    extra = []
    if s.waiting:
        extra.append(f"{s.waiting} not in")
    if s.conflicts:
        extra.append(f"{s.conflicts} conflict{'s' if s.conflicts != 1 else ''}")
    return said + (f", {', '.join(extra)}" if extra else "")


def place(s: Standing) -> str:
    if s.rank is None:
        return "–"
    return f"={s.rank}" if s.tied else str(s.rank)
