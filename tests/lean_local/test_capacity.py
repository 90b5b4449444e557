"""LEAN's running capacity estimate (hand-computed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from lean_local.engine.capacity import CapacityEstimate


def _security(symbol: str = "XYZ", held: float = 0.0):
    return SimpleNamespace(symbol=symbol, invested=held != 0, quote_currency=SimpleNamespace(conversion_rate=1.0),
                           symbol_properties=SimpleNamespace(contract_multiplier=1.0),
                           holdings=SimpleNamespace(absolute_holdings_value=abs(held)))


MONDAY = datetime(2013, 10, 7, 20)  # a daily bar's close, UTC


def test_a_fill_captures_its_bar_and_the_next_days_then_stops():
    security = _security()
    bars = {MONDAY: (10.0, 1e6), MONDAY + timedelta(days=1): (11.0, 2e6), MONDAY + timedelta(days=2): (12.0, 4e6)}
    estimate = CapacityEstimate(datetime(2013, 10, 7), datetime(2013, 10, 31, 23, 59, 59))
    estimate.on_fill(security, MONDAY, 1_000.0)
    for t in sorted(bars):
        estimate.update(t, lambda s, t=t: bars[t], 100_000.0)
    assert estimate.capacity == 0  # the first snapshot is 7 days after the start
    estimate.update(MONDAY + timedelta(days=2), lambda s: None, 100_000.0, force=True)
    # (10 x 1e6 + 11 x 2e6) x 0.02 per trade, all of the sale volume: 640,000 (Wednesday's bar not captured)
    assert estimate.capacity == pytest.approx(640_000.0)
    assert estimate.lowest_capacity_symbol == "XYZ"


def test_fast_trading_discounts_the_captured_volume_and_snapshots_blend():
    security = _security(held=50_000.0)
    estimate = CapacityEstimate(datetime(2013, 10, 7), datetime(2013, 10, 9, 23, 59, 59))
    estimate.on_fill(security, MONDAY, 1_000.0)
    estimate.update(MONDAY, lambda s: (10.0, 1e6), 100_000.0)
    estimate.on_fill(security, MONDAY + timedelta(hours=1), 1_000.0)  # 60 minutes later: 2 x 60 / 390
    estimate.update(MONDAY + timedelta(hours=1), lambda s: (10.0, 1e6), 100_000.0, force=True)
    discount = 2 * 60 / 390
    # all of the sale volume (1) outweighs the holdings' half of the portfolio
    first = (10.0 * 1e6 + 10.0 * discount * 1e6) * 0.02 / 2 / 1.0
    assert estimate.capacity == pytest.approx(first)
    estimate.update(MONDAY + timedelta(days=1), lambda s: (10.0, 1e6), 100_000.0, force=True)
    # after the snapshot the sale volume restarts (so the holdings' 0.5 scales); Tuesday's bar is still
    # captured at the last discount, and the market volume restarts only at the next fill
    second = (10.0 * 1e6 * (1 + 2 * discount)) * 0.02 / 2 / 0.5
    assert estimate.capacity == pytest.approx(0.33 * second + 0.66 * first)
