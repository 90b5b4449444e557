"""Tests of the risk rules."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.risk import (
    liquidity_cap,
    min_price_ok,
    position_targets,
    select_entries,
    stop_hit,
    time_stop_hit,
)


def test_stop_hit_long_and_short():
    entry = np.array([100.0, 100.0, 100.0, 100.0, 100.0, 100.0])
    price = np.array([95.0, 95.01, 105.0, 104.99, np.nan, 50.0])
    direction = np.array([1, 1, -1, -1, 1, 0])
    np.testing.assert_array_equal(stop_hit(entry, price, direction), [True, False, True, False, False, False])
    np.testing.assert_array_equal(stop_hit(entry, price, direction, stop_pct=0.10), [False] * 6)
    assert bool(stop_hit(10.0, 9.0, 1, 0.1))


def test_time_stop():
    np.testing.assert_array_equal(time_stop_hit([0, 5, 6, 9]), [False, False, True, True])
    np.testing.assert_array_equal(time_stop_hit([2, 3], max_bars=3), [False, True])


def test_min_price():
    np.testing.assert_array_equal(min_price_ok([0.99, 1.0, 5.0, np.nan]), [False, True, True, False])
    np.testing.assert_array_equal(min_price_ok([4.0, 5.0], min_price=5.0), [False, True])


def test_select_entries_best_first_with_ties_and_limits():
    scores = np.array([0.55, 0.9, np.nan, 0.7, 0.9, 0.65, 0.61])
    eligible = np.array([True, True, True, True, True, False, True])
    np.testing.assert_array_equal(select_entries(scores, eligible), [1, 4, 3, 6, 0])
    np.testing.assert_array_equal(select_entries(scores, eligible, max_positions=2), [1, 4])
    np.testing.assert_array_equal(select_entries(scores, eligible, min_score=0.60), [1, 4, 3, 6])
    np.testing.assert_array_equal(select_entries(scores, max_positions=0), [])
    np.testing.assert_array_equal(select_entries(scores), [1, 4, 3, 5, 6, 0])


def test_liquidity_cap():
    got = liquidity_cap([10_000.0, -10_000.0, 10_000.0, 5_000.0, 1_000.0], [100_000.0, 100_000.0, np.nan, 0.0, 1e9])
    np.testing.assert_array_equal(got, [5_000.0, -5_000.0, 0.0, 0.0, 1_000.0])
    np.testing.assert_array_equal(liquidity_cap([10_000.0], [100_000.0], cap=0.01), [1_000.0])


def test_position_targets_equal_split_with_cap():
    # Long book 1.1 x 100k over 4 positions = 27.5k each; the third can take only 5% of 200k = 10k.
    weights = position_targets(1.1, 100_000.0, [1e8, 1e8, 200_000.0, 1e8], direction=1)
    np.testing.assert_allclose(weights, [0.275, 0.275, 0.10, 0.275])
    short = position_targets(0.2, 100_000.0, [1e8, 1e8], direction=-1)
    np.testing.assert_allclose(short, [-0.1, -0.1])
    slotted = position_targets(0.2, 100_000.0, [1e8, 1e8], direction=-1, slots=20)
    np.testing.assert_allclose(slotted, [-0.01, -0.01])
    assert position_targets(1.0, 1e5, [], 1).shape == (0,)
    with pytest.raises(ValueError):
        position_targets(1.0, 1e5, [1e8], 0)
    with pytest.raises(ValueError):
        position_targets(1.0, 0.0, [1e8], 1)


@settings(max_examples=100, deadline=None)
@given(
    scores=st.lists(st.floats(0, 1) | st.just(np.nan), min_size=0, max_size=40),
    data=st.data(),
    max_positions=st.integers(0, 10),
)
def test_select_entries_equals_sorted_oracle(scores, data, max_positions):
    eligible = data.draw(st.lists(st.booleans(), min_size=len(scores), max_size=len(scores)))
    got = select_entries(np.array(scores, dtype=float), np.array(eligible, dtype=bool), max_positions)
    candidates = [i for i, (s, ok) in enumerate(zip(scores, eligible, strict=True)) if ok and not np.isnan(s)]
    expected = sorted(candidates, key=lambda i: (-scores[i], i))[:max_positions]
    assert got.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(
    target=st.floats(-1e7, 1e7),
    adv=st.floats(0, 1e9) | st.just(np.nan),
)
def test_liquidity_cap_bounds(target, adv):
    got = float(liquidity_cap([target], [adv])[0])
    assert abs(got) <= abs(target)
    assert got == 0.0 or np.sign(got) == np.sign(target)
    if np.isfinite(adv) and adv > 0:
        assert abs(got) <= 0.05 * adv * (1 + 1e-15)
        assert got == pytest.approx(np.sign(target) * min(abs(target), 0.05 * adv))
    else:
        assert got == 0.0
