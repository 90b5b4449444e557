"""The run record's order frame: built column by column, it equals the frame pandas infers from one
record per order (LEAN's enum names, datetime64 times with NaT for an order never filled)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from lean_local.engine.orders import Order, OrderStatus, OrderType
from lean_local.engine.run_record import ORDER_COLUMNS, _order_frame, _pascal


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


def test_order_frame_keeps_a_timestamps_nanoseconds():
    orders = _orders(True)
    orders[0].time = pd.Timestamp("2010-01-04 16:00:00.000000001")
    frame = _order_frame(orders)
    assert_frame_equal(frame, _inferred(orders), check_exact=True)
    assert frame["time"][0] == pd.Timestamp("2010-01-04 16:00:00.000000001")
