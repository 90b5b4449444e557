"""Entry, exit, stop and time-stop rules of the Kalman strategy on hand-built paths."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shared.kalman_rules import (
    NONE,
    REVERSION,
    STOP,
    TIME,
    MeanReversionRules,
    RulesResult,
    mean_reversion_positions,
)


def run(z, mark=None, **kw):
    """Rules on one asset's path; returns (positions, reasons) as lists."""
    z = np.asarray(z, dtype=float)[:, None]
    mark = np.zeros_like(z) if mark is None else np.asarray(mark, dtype=float)[:, None]
    params = {"entry_z": 1.5, "exit_z": 0.0, "max_holding": 0, "stop_loss": 0.0, **kw}
    res = mean_reversion_positions(z, mark, **params)
    return res.position[:, 0].tolist(), res.exit_reason[:, 0].tolist()


def test_long_entry_strictly_below_minus_entry_z_and_exit_at_the_forecast():
    pos, why = run([0.0, -1.5, -1.6, -1.0, -0.1, 0.0, 0.3])
    assert pos == [0, 0, 1, 1, 1, 0, 0]
    assert why == [NONE, NONE, NONE, NONE, NONE, REVERSION, NONE]


def test_short_entry_and_exit():
    pos, why = run([1.5, 1.51, 3.0, 0.2, -0.01])
    assert pos == [0, -1, -1, -1, 0]
    assert why[4] == REVERSION


def test_positive_exit_z_exits_before_the_forecast_negative_after_it():
    z = [-2.0, -0.8, -0.4, 0.3, 0.6]
    assert run(z, exit_z=0.5)[0] == [1, 1, 0, 0, 0]
    assert run(z, exit_z=-0.5)[0] == [1, 1, 1, 1, 0]


def test_no_reentry_on_the_bar_of_an_exit_but_a_flip_next_bar():
    # Exit on bar 1 (z crosses 0 far enough to be a short signal): flat that bar, short the next.
    pos, why = run([-2.0, 2.0, 2.0, 0.0])
    assert pos == [1, 0, -1, 0]
    assert why == [NONE, REVERSION, NONE, REVERSION]


def test_time_stop_after_max_holding_bars_then_blocked_until_z_returns_inside_the_band():
    z = [-2.0, -2.0, -2.0, -2.0, -2.0, -1.0, -2.0]
    pos, why = run(z, max_holding=3)
    # Entry bar 0; held 1, 2, 3 bars on bars 1..3, closed on bar 3; still below -1.5 on bar 4 (blocked),
    # back inside on bar 5, a fresh signal on bar 6.
    assert pos == [1, 1, 1, 0, 0, 0, 1]
    assert why == [NONE, NONE, NONE, TIME, NONE, NONE, NONE]


def test_block_is_one_sided_a_short_signal_may_open_after_a_failed_long():
    pos, _ = run([-2.0, -2.0, 2.0], max_holding=1)
    assert pos == [1, 0, -1]


def test_time_exit_inside_the_band_does_not_block_the_next_signal():
    pos, why = run([-2.0, -1.0, -1.0, -2.0], max_holding=2)
    assert pos == [1, 1, 0, 1]
    assert why[2] == TIME


def test_long_stop_on_mark_loss_and_block():
    mark = [0.0, -0.03, -0.05, -0.06, -0.06, -0.06]
    z = [-2.0, -2.5, -2.5, -2.5, -1.4, -1.6]
    pos, why = run(z, mark, stop_loss=0.05)
    # -0.05 is exactly the stop: closed on bar 2; blocked on bar 3; unblocked on bar 4; re-entry bar 5.
    assert pos == [1, 1, 0, 0, 0, 1]
    assert why[2] == STOP


def test_short_stop_on_mark_gain_measured_from_the_entry_mark():
    mark = [1.0, 1.0, 1.04, 1.11]
    pos, why = run([0.0, 2.0, 2.0, 2.0], mark, stop_loss=0.1)
    assert pos == [0, -1, -1, 0]
    assert why[3] == STOP


def test_stop_reported_before_time_and_reversion_on_the_same_bar():
    pos, why = run([-2.0, 0.5], [0.0, -0.2], stop_loss=0.1, max_holding=1)
    assert pos == [1, 0]
    assert why[1] == STOP
    assert run([-2.0, 0.5], max_holding=1)[1][1] == TIME


def test_nan_z_neither_opens_nor_reverts_but_the_time_stop_counts_it():
    pos, why = run([np.nan, -2.0, np.nan, np.nan, 0.0], max_holding=0)
    assert pos == [0, 1, 1, 1, 0]
    pos, why = run([-2.0, np.nan, np.nan], max_holding=2)
    assert pos == [1, 1, 0]
    assert why[2] == TIME


def test_nan_mark_skips_entry_and_stop():
    pos, _ = run([-2.0, -2.0], [np.nan, 0.0], stop_loss=0.01)
    assert pos == [0, 1]
    pos, why = run([-2.0, -2.0, -2.0], [0.0, np.nan, -0.5], stop_loss=0.01)
    assert pos == [1, 1, 0]
    assert why == [NONE, NONE, STOP]


def test_assets_are_independent_and_batch_equals_steps():
    rng = np.random.default_rng(7)
    # A persistent AR(1) z, so that some trades last long enough for the time stop.
    shocks = rng.normal(0.0, 0.7, size=(300, 4))
    z = np.zeros((300, 4))
    for t in range(1, 300):
        z[t] = 0.9 * z[t - 1] + shocks[t]
    mark = np.cumsum(rng.normal(0.0, 0.02, size=(300, 4)), axis=0)
    params = {"entry_z": 1.2, "exit_z": 0.2, "max_holding": 7, "stop_loss": 0.03}
    batch = mean_reversion_positions(z, mark, **params)
    for j in range(4):
        one = mean_reversion_positions(z[:, [j]], mark[:, [j]], **params)
        np.testing.assert_array_equal(one.position[:, 0], batch.position[:, j])
        np.testing.assert_array_equal(one.exit_reason[:, 0], batch.exit_reason[:, j])
    rules = MeanReversionRules(4, **params)
    for t in range(300):
        pos, why = rules.step(z[t], mark[t])
        np.testing.assert_array_equal(pos, batch.position[t])
        np.testing.assert_array_equal(why, batch.exit_reason[t])
    # Every kind of exit happens on this path, so the comparison covers all of them.
    assert {REVERSION, TIME, STOP} <= set(np.unique(batch.exit_reason))


@settings(max_examples=60, deadline=None)
@given(
    z=arrays(np.float64, (40, 2), elements=st.floats(-4, 4) | st.just(np.nan)),
    cut=st.integers(1, 39),
)
def test_no_look_ahead_prefix_of_the_input_gives_prefix_of_the_output(z, cut):
    mark = np.nan_to_num(np.cumsum(np.nan_to_num(z), axis=0) * 0.01)
    full = mean_reversion_positions(z, mark, 1.0, 0.0, 5, 0.02)
    head = mean_reversion_positions(z[:cut], mark[:cut], 1.0, 0.0, 5, 0.02)
    np.testing.assert_array_equal(head.position, full.position[:cut])
    np.testing.assert_array_equal(head.exit_reason, full.exit_reason[:cut])


def test_dataframe_labels_and_entry_exit_marks():
    index = pd.date_range("2020-01-01", periods=5)
    z = pd.DataFrame({"A": [-2.0, -1.0, 0.1, 2.0, 0.0], "B": [0.0, 0.0, 0.0, 0.0, 0.0]}, index=index)
    res = mean_reversion_positions(z, z * 0.0, 1.5, 0.0)
    assert list(res.position["A"]) == [1, 1, 0, -1, 0]
    assert res.position.index.equals(index)
    assert list(res.entries["A"]) == [True, False, False, True, False]
    assert list(res.exits["A"]) == [False, False, True, False, True]
    assert not res.entries["B"].any()


@pytest.mark.parametrize(
    "kw",
    [
        {"entry_z": 0.0, "exit_z": -1.0},
        {"entry_z": 1.0, "exit_z": 1.0},
        {"entry_z": 1.0, "exit_z": 0.0, "max_holding": -1},
        {"entry_z": 1.0, "exit_z": 0.0, "stop_loss": -0.1},
    ],
)
def test_invalid_parameters_are_rejected(kw):
    with pytest.raises(ValueError):
        MeanReversionRules(2, **kw)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError):
        MeanReversionRules(2, 1.5, 0.0).step([0.0], [0.0, 0.0])


def test_entry_exit_marks_of_one_column_built_by_hand():
    index = pd.date_range("2020-01-01", periods=4)
    res = RulesResult(pd.Series([0, -1, -1, 0], index=index, name="A"), pd.Series([0, 0, 0, REVERSION], index=index))
    assert list(res.entries) == [False, True, False, False]
    assert list(res.exits) == [False, False, False, True]
    assert res.entries.name == "A"
