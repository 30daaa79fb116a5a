"""Money as integer pence: parsing what people type, showing it, and splitting an allocation.

Never float: "39,661.50" becomes 3966150 by string arithmetic, so no amount is ever off by a penny.
"""
import re
from fractions import Fraction

from backend.domain.errors import InvalidInput

ACCEPTED_FORMS = "a whole number of pounds like 39661, £39,661 or 39,661.50"
MAX_PENCE = 100_000_000_000  # £1bn: far above any grant, far below a 64-bit column
# ASCII digits only: "١٠٠" or "１００" are refused, not read as 100 (re.ASCII).
_AMOUNT = re.compile(r"^£?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{2}))?$", re.ASCII)


def parse_amount(text, *, field: str = "amount", allow_zero: bool = False) -> int:
    """Pence from what a person typed; refuses anything ambiguous (5e3, -10, 1.234, £)."""
    cleaned = str(text if text is not None else "").strip()
    match = _AMOUNT.match(cleaned)
    if not match:
        shown = cleaned or "nothing"
        raise InvalidInput(f"“{shown}” is not an amount I can read: use {ACCEPTED_FORMS}.",
                           field=field)
    pounds = int(match.group(1).replace(",", ""))
    pence = pounds * 100 + int(match.group(2) or 0)
    if pence == 0 and not allow_zero:
        raise InvalidInput("The amount must be more than £0.", field=field)
    if pence > MAX_PENCE:
        raise InvalidInput(f"{format_pence(pence)} is more than this tracker can hold; "
                           "check the amount.", field=field)
    return pence


def format_pence(pence: int) -> str:
    """£39,661 for whole pounds, £39,661.50 otherwise; a minus sign before the £."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(int(pence)), 100)
    return f"{sign}£{pounds:,}" + (f".{rest:02d}" if rest else "")


def as_typed(pence: int | None) -> str:
    """An amount as a person would type it into a form: 2,500 or 2,500.50 (no £); None: ""."""
    if pence is None:
        return ""
    pounds, rest = divmod(int(pence), 100)
    return f"{pounds:,}" + (f".{rest:02d}" if rest else "")


DEFAULT_SPLIT_RULE = "2/3"


def split_allocation(allocation_pence: int, rule: str = DEFAULT_SPLIT_RULE) -> tuple[int, int]:
    """(upfront, tactical): upfront is the rule's share rounded down to the whole pound.

    The grant conditions give two thirds to upfront projects and the rest (one third plus
    whatever the rounding leaves) to the tactical pot: £45,001 -> £30,000 / £15,001.
    """
    share = Fraction(rule)
    if not 0 <= share <= 1:
        raise InvalidInput(f"The upfront share must be between 0 and 1, not {rule}.")
    upfront_pounds = int(Fraction(allocation_pence, 100) * share)  # floor for non-negatives
    upfront = upfront_pounds * 100
    return upfront, allocation_pence - upfront
