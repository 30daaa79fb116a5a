"""Amounts as people type them, shown back to the penny, and the grant's split of an allocation."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.domain.errors import InvalidInput
from backend.domain.money import format_pence, parse_amount, split_allocation


@pytest.mark.parametrize("text, pence", [
    ("39661", 3_966_100), ("£39,661", 3_966_100), ("39,661.50", 3_966_150), (" £1,000 ", 100_000),
    ("0.01", 1), ("1,234,567.89", 123_456_789), ("£ 250", 25_000),
])
def test_accepted_forms(text, pence):
    assert parse_amount(text) == pence


@pytest.mark.parametrize("text", ["5e3", "-10", "£", "1.234", "", "1,23", "12,34,567", "1.5",
                                  "ten", "£-5", "NaN", "inf", "1 000", "0", "0.00", None])
def test_refused_forms_name_the_accepted_ones(text):
    with pytest.raises(InvalidInput) as refusal:
        parse_amount(text)
    assert "39661" in refusal.value.message or "more than £0" in refusal.value.message


def test_absurd_amount_is_refused():
    with pytest.raises(InvalidInput, match="more than this tracker can hold"):
        parse_amount("9,999,999,999")


@pytest.mark.parametrize("pence, shown", [(3_966_100, "£39,661"), (3_966_150, "£39,661.50"),
                                          (5, "£0.05"), (0, "£0"), (-15_600, "-£156")])
def test_format(pence, shown):
    assert format_pence(pence) == shown


def test_split_from_the_grant_conditions():
    assert split_allocation(4_500_100) == (3_000_000, 1_500_100)  # £45,001 -> £30,000 / £15,001
    assert split_allocation(3_966_100) == (2_644_000, 1_322_100)
    assert split_allocation(3_966_150) == (2_644_100, 1_322_050)
    assert split_allocation(3_966_199) == (2_644_100, 1_322_099)  # stray pence go to tactical
    assert split_allocation(100_000, "1/2") == (50_000, 50_000)


@given(st.integers(min_value=1, max_value=10**11))
def test_split_is_whole_pounds_and_adds_up(allocation):
    upfront, tactical = split_allocation(allocation)
    assert upfront % 100 == 0 and upfront + tactical == allocation
    assert upfront <= allocation * 2 / 3 < upfront + 100


@given(st.integers(min_value=1, max_value=10**11))
def test_format_then_parse_round_trips(pence):
    assert parse_amount(format_pence(pence) + ("" if pence % 100 else ".00")) == pence
