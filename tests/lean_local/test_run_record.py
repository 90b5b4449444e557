"""The run record's order and fill frames: built column by column, they equal the frames pandas infers
from one record per order or fill (LEAN's enum names, datetime64 times with NaT for an order never filled)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from lean_local.engine.common import Market, SecurityType, Symbol
from lean_local.engine.fill_records import FILL_COLUMNS, FillRecords
from lean_local.engine.identifiers import SecurityIdentifier
from lean_local.engine.orders import Order, OrderStatus, OrderType
from lean_local.engine.run_record import (
    ORDER_COLUMNS,
    _datetime_column,
    _each_once,
    _fill_frame,
    _float_series,
    _numeric_column,
    _order_frame,
    _pascal,
    _prices_panel,
)


def _orders(filled: bool) -> list[Order]:
    placed = datetime(2010, 1, 4, 16, 0, 0, 5)
    orders = []
    for k, quantity in enumerate([3.0, -2.0, 0.0, float("nan"), 7.5]):
        order = Order(k + 1, f"S{k}", OrderType.MARKET_ON_OPEN if k % 2 else OrderType.LIMIT, quantity,
                      placed + timedelta(days=k), tag=f"t{k}")
        if filled and k != 1:
            order.status, order.price, order.last_fill_time = OrderStatus.FILLED, 1.5 + k, order.time + timedelta(hours=17)
        orders.append(order)
    return orders


def _inferred(orders: list[Order]) -> pd.DataFrame:
    return pd.DataFrame([{
        "id": o.id, "symbol": str(o.symbol), "type": _pascal(o.type.name), "status": _pascal(o.status.name),
        "direction": _pascal(o.direction.name), "quantity": o.quantity, "price": o.price, "time": o.time,
        "last_fill_time": o.last_fill_time, "value": o.value, "fee": o.fee, "tag": o.tag} for o in orders],
        columns=ORDER_COLUMNS)


@pytest.mark.parametrize("filled", [True, False])
def test_order_frame_equals_the_frame_inferred_from_records(filled):
    orders = _orders(filled)
    frame = _order_frame(orders)
    assert_frame_equal(frame, _inferred(orders), check_exact=True)
    assert frame["direction"].tolist() == ["Buy", "Sell", "Hold", "Hold", "Buy"]
    assert str(frame["time"].dtype) == "datetime64[ns]"
    # an order never filled has no fill time: NaT beside filled ones, objects when none filled (as pandas infers)
    assert (str(frame["last_fill_time"].dtype), frame["last_fill_time"].isna().sum()) == \
        (("datetime64[ns]", 1) if filled else ("object", 5))


def test_each_once_converts_each_distinct_value_once_in_the_values_order():
    calls = []

    def convert(value):
        calls.append(value)
        return f"<{value}>"

    column = _each_once(["b", "a", "b", "b", "a"], convert)
    assert column.dtype == object and column.tolist() == ["<b>", "<a>", "<b>", "<b>", "<a>"]
    assert sorted(calls) == ["a", "b"]
    # a ticker's two securities (a reused ticker: their identifiers differ) each get their own text
    first, later = Symbol(SecurityIdentifier("AAA", SecurityType.EQUITY, Market.USA, datetime(1999, 1, 4)), "AAA"), \
        Symbol(SecurityIdentifier("AAA", SecurityType.EQUITY, Market.USA, datetime(2015, 6, 1)), "AAA")
    assert first != later
    assert _each_once([first, later, first], str).tolist() == ["AAA", "AAA", "AAA"]
    assert _each_once([OrderType.LIMIT, OrderType.MARKET_ON_OPEN], lambda m: _pascal(m.name)).tolist() == \
        ["Limit", "MarketOnOpen"]


def test_order_frame_keeps_a_timestamps_nanoseconds():
    orders = _orders(True)
    orders[0].time = pd.Timestamp("2010-01-04 16:00:00.000000001")
    frame = _order_frame(orders)
    assert_frame_equal(frame, _inferred(orders), check_exact=True)
    assert frame["time"][0] == pd.Timestamp("2010-01-04 16:00:00.000000001")


def _fills(times: list) -> list[dict]:
    return [{"time": time, "order_id": k + 1, "symbol": f"S{k}", "quantity": 2.0 - k, "fill_price": 10.5,
             "fill_value": (2.0 - k) * 10.5, "fee": 1.0, "conversion_rate": 1.0, "dollar_volume": 5e6,
             "is_long_before": k % 2 == 0, "realized_pnl": 0.25 * k} for k, time in enumerate(times)]


@pytest.mark.parametrize("times", [
    [datetime(2010, 1, 4, 16), datetime(2010, 1, 4, 16), datetime(2010, 1, 5, 16, 0, 0, 7)],
    [pd.Timestamp("2010-01-04 16:00:00.000000001"), datetime(2010, 1, 5, 16)],
    [],
])
def test_fill_frame_equals_the_frame_inferred_from_the_records(times):
    fills = _fills(times)
    records = FillRecords()
    for fill in fills:
        records.append(**fill)
    assert list(records) == fills
    frame = _fill_frame(records)
    assert_frame_equal(frame, pd.DataFrame(fills, columns=FILL_COLUMNS), check_exact=True)
    assert frame.columns.tolist() == FILL_COLUMNS
    assert str(frame["time"].dtype) == ("datetime64[ns]" if times else "object")


def test_fill_frame_infers_mixed_columns_as_pandas_does():
    fills = _fills([datetime(2010, 1, 4, 16), datetime(2010, 1, 5, 16), datetime(2010, 1, 6, 16)])
    fills[0]["quantity"], fills[1]["fee"], fills[2]["is_long_before"] = 3, 1, 0  # an int among floats or bools
    records = FillRecords()
    for fill in fills:
        records.append(**fill)
    frame = _fill_frame(records)
    assert_frame_equal(frame, pd.DataFrame(fills, columns=FILL_COLUMNS), check_exact=True)
    assert [str(frame[name].dtype) for name in ("quantity", "fee", "is_long_before", "order_id")] == \
        ["float64", "float64", "object", "int64"]


def test_order_frame_converts_shared_times_and_missing_fill_times_as_pandas_does():
    orders = _orders(True) + _orders(False) + _orders(True)  # each time three times, fill times and None
    for k, order in enumerate(orders):
        order.id = k + 1
    frame = _order_frame(orders)
    assert_frame_equal(frame, _inferred(orders), check_exact=True)
    assert frame["last_fill_time"].isna().sum() == 7


def test_datetime_column_converts_runs_of_one_object_and_equal_copies_alike():
    step, later = datetime(2010, 1, 4, 16), datetime(2010, 1, 5, 16, 0, 0, 7)
    copy = datetime(2010, 1, 4, 16)  # equal to step, another object: a run of its own, the same value
    values = [None, None, step, step, copy, later, later, None, step]
    column = _datetime_column(values)
    assert column.dtype == np.dtype("datetime64[ns]")
    assert column.view("i8").tolist() == pd.DatetimeIndex(values).asi8.tolist()
    assert pd.isna(column).tolist() == [True, True, False, False, False, False, False, True, False]
    assert column[5] == np.datetime64("2010-01-05T16:00:00.000007")
    assert _datetime_column([None, None]) == [None, None]  # None only: objects, as pandas keeps them
    mixed = [step, step, pd.Timestamp("2010-01-04 16:00:00.000000001")]
    assert _datetime_column(mixed) is mixed  # a Timestamp among them: left to pandas' inference


@pytest.mark.parametrize("values", [[0.1, -2.5e300, float("nan"), float("inf"), -0.0], [1, 2, -(2**63)], [True, False],
                                    [1, 2.5], [None, 1.0], [2**70, 1], [], [1, -1, 0, 5]])
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_])
def test_numeric_column_is_np_array_of_the_list(values, dtype):
    """The same bits and dtype as ``np.array(values, dtype=dtype)``, or its error."""
    try:
        expected = np.array(values, dtype=dtype)
    except (TypeError, OverflowError, ValueError) as error:
        with pytest.raises(type(error)):
            _numeric_column(values, dtype)
        return
    column = _numeric_column(values, dtype)
    assert column.dtype == expected.dtype and column.tobytes() == expected.tobytes()


@pytest.mark.parametrize("values", [[1.5, 2, float("nan")], [np.float64(2.5), -0.0, 3.0]])
def test_float_series_is_the_series_pandas_makes_of_the_list(values):
    index = pd.DatetimeIndex(np.array([1, 2, 3], dtype="datetime64[ns]"))
    series = _float_series(values, index)
    assert_series_equal(series, pd.Series(values, index=index, dtype=float), check_exact=True)
    assert series.to_numpy().tobytes() == np.array(values, dtype=float).tobytes()  # -0.0 and NaN bits too


def test_prices_panel_stacks_full_samples_and_pads_earlier_ones_with_zeros():
    full = _prices_panel([np.array([1.0, 2.0]), np.array([3.0, -0.0])], 2)
    assert full.tolist() == [[1.0, 2.0], [3.0, -0.0]] and full.dtype == np.float64
    assert full.tobytes() == np.vstack([[1.0, 2.0], [3.0, -0.0]]).tobytes() and full.flags.c_contiguous
    grown = _prices_panel([np.array([1.0]), np.array([3.0, 4.0])], 2)  # the second column added after the first
    assert grown.tolist() == [[1.0, 0.0], [3.0, 4.0]]
