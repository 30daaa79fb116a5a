from datetime import date

import pytest

from backend.domain import fiscal
from backend.domain.errors import InvalidInput


@pytest.mark.parametrize("text", ["2024/25", "2024-25", "2024/2025", " 2024 / 25 "])
def test_year_labels(text):
    assert fiscal.parse_year(text) == 2024
    assert fiscal.label(2024) == "2024/25"


@pytest.mark.parametrize("text", ["2024/26", "2024", "24/25", "1999/00", "", "2099/2101"])
def test_bad_year_labels(text):
    with pytest.raises(InvalidInput, match="financial year|outside"):
        fiscal.parse_year(text)


def test_century_turn():
    assert fiscal.parse_year("2099/00") == 2099


@pytest.mark.parametrize("day, quarter, year", [
    (date(2024, 4, 1), 1, 2024), (date(2024, 6, 30), 1, 2024), (date(2024, 7, 1), 2, 2024),
    (date(2024, 12, 31), 3, 2024), (date(2025, 1, 1), 4, 2024), (date(2025, 3, 31), 4, 2024),
])
def test_quarters(day, quarter, year):
    assert fiscal.quarter_of(day) == quarter
    assert fiscal.year_of(day) == year
