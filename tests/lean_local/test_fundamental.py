"""A coarse row (``lean_local.engine.fundamental``): three fields of its own, the rest read from its
collection's columns; every field settable, on that row alone."""

from __future__ import annotations

import copy
from datetime import date, datetime

import numpy as np
import pytest

from lean_local.engine import fundamental_data
from lean_local.engine.common import Symbol
from lean_local.engine.errors import NotSupportedError
from lean_local.engine.fundamental import Fundamental, RowColumns, identifier
from lean_local.engine.fundamental_data import FixedFundamentalDataProvider

END = datetime(2020, 1, 7)


def _rows() -> list[Fundamental]:
    """Two rows of one file, its number columns as the cache's record holds them (numpy)."""
    numbers = {"volume": np.array([1000.0, 250.0]), "price_factor": np.array([0.5, 1.0]),
               "split_factor": np.array([0.25, 1.0])}
    columns = RowColumns(numbers, ["AAA X", "BBB Y"], END)
    return [Fundamental(Symbol("AAA"), 40.0, 40_000.0, columns, 0), Fundamental(Symbol("BBB"), 8.0, 2_000.0, columns, 1)]


def test_a_row_reads_its_fields_from_its_collections_columns_as_python_numbers():
    first, second = _rows()
    assert (first.volume, first.price_factor, first.split_factor) == (1000.0, 0.5, 0.25)
    assert (second.volume, second.price_factor, second.split_factor) == (250.0, 1.0, 1.0)
    assert type(first.volume) is float and type(second.split_factor) is float
    assert first.end_time is second.end_time is END
    assert first.time == datetime(2020, 1, 6)
    assert (identifier(first), identifier(second)) == ("AAA X", "BBB Y")
    assert first.price == first.value == 40.0
    assert first.price_scale_factor == 0.125
    assert first.adjusted_price == 5.0  # 40 x 0.5 x 0.25
    assert "%s" % first == "AAA: 40 $40,000"  # noqa: UP031 (LEAN's algorithms log rows so)


def test_setting_a_field_changes_that_row_alone():
    first, second = _rows()
    first.volume = 7.0
    first.split_factor = 0.5
    first.end_time = datetime(2020, 1, 9)
    assert (first.volume, first.price_factor, first.split_factor, first.end_time) == (7.0, 0.5, 0.5,
                                                                                    datetime(2020, 1, 9))
    assert first.adjusted_price == 10.0  # 40 x 0.5 x 0.5
    assert first.time == datetime(2020, 1, 8)
    assert identifier(first) == "AAA X"
    assert (second.volume, second.split_factor, second.end_time) == (250.0, 1.0, END)
    second.value = 9.0
    assert (second.price, first.price) == (9.0, 40.0)


def test_a_copy_set_leaves_its_original():
    first, _ = _rows()
    other = copy.copy(first)
    other.price_factor = 2.0
    assert (other.price_factor, first.price_factor) == (2.0, 0.5)


def test_fundamental_fields_are_read_at_the_rows_day_and_identifier():
    first, second = _rows()
    assert first.has_fundamental_data is False
    provider = FixedFundamentalDataProvider({"CompanyProfile_MarketCap": {"AAA X": 123}}, {})
    asked = []

    class Recording:
        def get(self, day: date, sid: str, name: str, kind: type):
            asked.append((day, sid, name))
            return provider.get(day, sid, name, kind)

    with fundamental_data.using(Recording()):
        assert first.market_cap == 123 and first.company_profile.market_cap == 123
        assert second.has_fundamental_data is True
    assert asked[0] == (date(2020, 1, 6), "AAA X", "CompanyProfile_MarketCap")
    assert asked[-1] == (date(2020, 1, 6), "BBB Y", "HasFundamentalData")


def test_a_member_lean_has_but_the_runtime_lacks_is_named():
    first, _ = _rows()
    with pytest.raises(NotSupportedError, match="Fundamental.asset_classification"):
        _ = first.asset_classification
    with pytest.raises(AttributeError):
        _ = first._columns_of_another_name

