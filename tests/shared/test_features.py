"""Tests of the 8 ML features and the research labels: hand-computed values, pandas oracles, NaN
rules, no look-ahead, batch == incremental."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shared.features import (
    FEATURE_NAMES,
    FeatureState,
    _rsi_advance,
    _rsi_new,
    avg_dollar_volume,
    feature_array,
    feature_panel,
    forward_labels,
    forward_return,
    rsi,
    traded_return,
)
from shared.pressure import pressure_index

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _random_panel(seed, n_dates=130, n_symbols=3):
    rng = np.random.default_rng(seed)
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_dates, n_symbols)), axis=0))
    volume = rng.uniform(1e5, 3e5, (n_dates, n_symbols))
    return close, volume


def _wilder_rsi_oracle(close, period=14):
    """Textbook Wilder RSI written independently: SMA seed, then (avg * 13 + x) / 14."""
    out = np.full(len(close), np.nan)
    changes = np.diff(close)
    gains, losses = np.maximum(changes, 0), np.maximum(-changes, 0)
    avg_gain, avg_loss = gains[:period].mean(), losses[:period].mean()
    for i in range(period, len(close)):
        if i > period:
            avg_gain = (avg_gain * (period - 1) + gains[i - 1]) / period
            avg_loss = (avg_loss * (period - 1) + losses[i - 1]) / period
        out[i] = 100.0 if avg_loss == 0 else 100 - 100 / (1 + avg_gain / avg_loss)
    return out


def test_feature_names_fixed_order():
    assert FEATURE_NAMES == (
        "qpi",
        "rsi_14",
        "bb_position_20",
        "ret_5d",
        "ret_20d",
        "vol_ratio_20",
        "volatility_20",
        "dist_sma_50",
    )


def test_rsi_hand_computed():
    # 7 changes of +1 then 7 of -1: average gain = average loss = 0.5, RSI 50.
    close = 100.0 + np.concatenate([[0], np.cumsum([1.0] * 7 + [-1.0] * 7 + [2.0])])
    out = rsi(close)
    assert np.isnan(out[:14]).all()
    assert out[14] == pytest.approx(50.0, abs=1e-12)
    # Next change +2: gain (0.5 * 13 + 2) / 14 = 8.5 / 14, loss 0.5 * 13 / 14 = 6.5 / 14.
    assert out[15] == pytest.approx(100 * 8.5 / 15, abs=1e-12)


def test_rsi_all_up_and_flat_is_100():
    assert rsi(np.arange(1.0, 21.0))[14:] == pytest.approx(np.full(6, 100.0))
    assert rsi(np.full(20, 5.0))[14:] == pytest.approx(np.full(6, 100.0))


def test_rsi_matches_independent_oracle():
    close, _ = _random_panel(7, n_dates=200, n_symbols=1)
    np.testing.assert_allclose(rsi(close[:, 0]), _wilder_rsi_oracle(close[:, 0]), rtol=1e-10, atol=1e-10)


def test_bb_position_and_dist_sma_hand_computed():
    close = np.concatenate([np.full(30, 10.0), np.arange(1.0, 21.0)])  # the last 20 closes are 1..20
    close[:30] = 10.0
    features = feature_array(close, np.full(50, 1000.0))
    # Mean of 1..20 is 10.5; population std is sqrt((20**2 - 1) / 12).
    assert features[49, 0, COL["bb_position_20"]] == pytest.approx((20 - 10.5) / (2 * math.sqrt(399 / 12)))
    # SMA50 = (30 * 10 + 210) / 50 = 10.2
    assert features[49, 0, COL["dist_sma_50"]] == pytest.approx(20 / 10.2 - 1)
    assert np.isnan(features[48, 0, COL["dist_sma_50"]])
    assert features[49, 0, COL["ret_5d"]] == pytest.approx(20 / 15 - 1)
    assert features[49, 0, COL["ret_20d"]] == pytest.approx(20 / 10 - 1)


def test_matches_pandas_oracles():
    close, volume = _random_panel(8)
    c, v = pd.DataFrame(close), pd.DataFrame(volume)
    got = feature_array(close, volume)
    oracle = {
        "qpi": pressure_index(c, v).to_numpy(),
        "rsi_14": np.column_stack([_wilder_rsi_oracle(close[:, j]) for j in range(3)]),
        "bb_position_20": ((c - c.rolling(20).mean()) / (2 * c.rolling(20).std(ddof=0))).to_numpy(),
        "ret_5d": (c / c.shift(5) - 1).to_numpy(),
        "ret_20d": (c / c.shift(20) - 1).to_numpy(),
        "vol_ratio_20": (v / v.rolling(20).mean()).to_numpy(),
        "volatility_20": c.pct_change().rolling(20).std(ddof=1).to_numpy(),
        "dist_sma_50": (c / c.rolling(50).mean() - 1).to_numpy(),
    }
    assert got.shape == (130, 3, 8)
    for name, expected in oracle.items():
        np.testing.assert_allclose(got[..., COL[name]], expected, rtol=1e-9, atol=1e-10, err_msg=name)
    assert not np.isnan(got[49:]).any()


def test_missing_close_blanks_each_window():
    close, volume = _random_panel(9, n_dates=130, n_symbols=1)
    close[60, 0] = np.nan
    got = feature_array(close, volume)[:, 0, :]

    def nan_rows(name):
        return set(np.flatnonzero(np.isnan(got[:, COL[name]])))

    # Momentum reads only the two closes it compares.
    assert nan_rows("ret_5d") == set(range(5)) | {60, 65}
    assert nan_rows("ret_20d") == set(range(20)) | {60, 80}
    assert nan_rows("dist_sma_50") == set(range(49)) | set(range(60, 110))
    assert nan_rows("bb_position_20") == set(range(19)) | set(range(60, 80))
    assert nan_rows("rsi_14") == set(range(14)) | set(range(60, 75))  # restarts: 15 closes 61..75
    assert nan_rows("vol_ratio_20") == set(range(19))
    assert nan_rows("volatility_20") == set(range(20)) | set(range(60, 81))
    assert not np.isinf(got).any()


def test_feature_panel_long_format():
    close, volume = _random_panel(10, n_dates=60, n_symbols=2)
    dates = pd.bdate_range("2021-01-04", periods=60)
    c = pd.DataFrame(close, index=dates, columns=["AAA", "BBB"])
    v = pd.DataFrame(volume, index=dates, columns=["AAA", "BBB"])
    panel = feature_panel(c, v)
    assert list(panel.columns) == list(FEATURE_NAMES)
    assert panel.index.names == ["date", "symbol"]
    assert len(panel) == 120
    np.testing.assert_array_equal(panel.xs("BBB", level="symbol").to_numpy(), feature_array(close, volume)[:, 1, :])
    dense = feature_panel(c, v, dropna=True)
    assert len(dense) == 2 * (60 - 49) and not dense.isna().any().any()


def test_avg_dollar_volume_matches_pandas():
    close, volume = _random_panel(12, n_dates=40, n_symbols=2)
    expected = (pd.DataFrame(close) * pd.DataFrame(volume)).rolling(20).mean()
    np.testing.assert_allclose(avg_dollar_volume(close, volume), expected.to_numpy(), rtol=1e-12)


def test_state_avg_dollar_volume_is_the_batch_number_exactly():
    # The algorithm sizes positions with FeatureState.avg_dollar_volume: it must be the batch number to the
    # bit, for symbols warmed from history, joined later, and through missing bars.
    close, volume = _random_panel(13, n_dates=90, n_symbols=3)
    close[40, 0] = np.nan
    volume[65, 2] = np.nan
    adv = avg_dollar_volume(close, volume)
    state = FeatureState()
    state.add([0, 1], close[:30, :2], volume[:30, :2])
    np.testing.assert_array_equal(state.avg_dollar_volume(), adv[29, :2])
    for t in range(30, 90):
        if t == 50:
            state.add([2], close[:50, 2:], volume[:50, 2:])
        cols = state.symbols
        state.update(close[t, cols], volume[t, cols])
        np.testing.assert_array_equal(state.avg_dollar_volume(), adv[t, cols])
        # a day's picks alone: each its own number, in the order asked
        np.testing.assert_array_equal(state.avg_dollar_volume(np.array([len(cols) - 1, 0])), adv[t, [cols[-1], cols[0]]])
    # Hand-computed: closes 1..20 at 100 shares a day average (1 + ... + 20) * 100 / 20 = 1050 dollars a day.
    ramp = FeatureState(["X"])
    for k in range(1, 21):
        ramp.update([float(k)], [100.0])
        assert np.isnan(ramp.avg_dollar_volume()[0]) == (k < 20)
    assert ramp.avg_dollar_volume()[0] == 1050.0


def test_forward_return_and_labels():
    close = pd.Series([10.0, 11, 9, 10, 12, 8, 10, 13, 9, 10], index=pd.bdate_range("2022-01-03", periods=10))
    fwd = forward_return(close, horizon=6)
    expected = [10 / 10 - 1, 13 / 11 - 1, 9 / 9 - 1, 10 / 10 - 1] + [np.nan] * 6
    np.testing.assert_allclose(fwd.to_numpy(), expected)
    long_, short = forward_labels(close, horizon=6)
    np.testing.assert_array_equal(long_.to_numpy(), [0, 1, 0, 0] + [np.nan] * 6)
    np.testing.assert_array_equal(short.to_numpy(), [0, 0, 0, 0] + [np.nan] * 6)
    close.iloc[7] = np.nan
    assert np.isnan(forward_return(close, 6).iloc[1])
    with pytest.raises(ValueError):
        forward_return(close, 0)


def test_incremental_with_joins_and_leaves_equals_batch():
    close, volume = _random_panel(11, n_dates=140, n_symbols=4)
    close[70, 1] = np.nan
    volume[90, 3] = np.nan
    batch = feature_array(close, volume)
    adv = avg_dollar_volume(close, volume)
    state = FeatureState(2)
    for t in range(140):
        if t == 55:
            state.add([2, 3], close[:55, 2:], volume[:55, 2:])
            # the joiners' outputs are their history's last day's, the others' what update last returned
            np.testing.assert_array_equal(state.outputs(), batch[54])
        if t == 100:
            state.remove([1])
        cols = state.symbols
        out = state.update(close[t, cols], volume[t, cols])
        assert out.shape == (len(cols), 8)
        np.testing.assert_array_equal(out, batch[t, cols])  # live == batch, to the bit
        assert np.array_equal(np.isnan(out), np.isnan(batch[t, cols]))
        np.testing.assert_allclose(state.avg_dollar_volume(), adv[t, cols], rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    close=arrays(np.float64, (60, 2), elements=st.floats(1.0, 300.0) | st.just(np.nan)),
    volume=arrays(np.float64, (60, 2), elements=st.floats(0.0, 1e6) | st.just(np.nan)),
    cut=st.integers(0, 59),
    seed=st.integers(0, 2**16),
)
def test_no_look_ahead_and_incremental_equal(close, volume, cut, seed):
    before = feature_array(close, volume)
    rng = np.random.default_rng(seed)
    close2, volume2 = close.copy(), volume.copy()
    close2[cut + 1 :] = rng.uniform(1, 300, close2[cut + 1 :].shape)
    volume2[cut + 1 :] = rng.uniform(0, 1e6, volume2[cut + 1 :].shape)
    np.testing.assert_array_equal(before[: cut + 1], feature_array(close2, volume2)[: cut + 1])
    assert not np.isinf(before).any()
    state = FeatureState(["x", "y"])
    incremental = np.stack([state.update(close[t], volume[t]) for t in range(60)])
    np.testing.assert_array_equal(incremental, before)  # live == batch, to the bit


@settings(max_examples=40, deadline=None)
@given(
    close=arrays(np.float64, st.tuples(st.integers(1, 90), st.just(3)),
                 elements=st.floats(1.0, 300.0) | st.just(np.nan) | st.just(0.0)),
    seed=st.integers(0, 2**16),
)
def test_warming_from_history_is_stepping_every_bar_bit_for_bit(close, seed):
    volume = np.random.default_rng(seed).uniform(0, 1e6, close.shape)
    volume[::7, 1] = np.nan
    warmed, stepped = FeatureState(), FeatureState(["a", "b", "c"])
    warmed.add(["a", "b", "c"], close, volume)
    last = warmed.outputs()
    for t in range(len(close)):
        expected_last = stepped.update(close[t], volume[t])
    np.testing.assert_array_equal(last, expected_last)
    # The states are equal: every window and the RSI recursion carry on identically for 60 more days.
    later_close, later_volume = _random_panel(seed, n_dates=60)
    for t in range(60):
        np.testing.assert_array_equal(warmed.update(later_close[t], later_volume[t]),
                                      stepped.update(later_close[t], later_volume[t]))


def _advance_by_rows(state, closes):
    """Each row's RSI, advancing ``state`` one row per call."""
    out = np.empty_like(closes)
    with np.errstate(divide="ignore", invalid="ignore"):
        for t, row in enumerate(closes):
            _rsi_advance(state, row[None], out[t : t + 1])
    return out


def _advance_at_once(state, closes):
    """Each row's RSI, advancing ``state`` over every row in one call."""
    out = np.empty_like(closes)
    with np.errstate(divide="ignore", invalid="ignore"):
        _rsi_advance(state, closes, out)
    return out


@settings(max_examples=60, deadline=None)
@given(
    before=arrays(np.float64, st.tuples(st.integers(0, 40), st.just(4)),
                  elements=st.floats(1.0, 300.0) | st.just(np.nan)),
    rows=arrays(np.float64, st.tuples(st.integers(0, 40), st.just(4)),
                elements=st.floats(1.0, 300.0) | st.just(np.nan)),
)
def test_rsi_over_many_rows_is_the_step_of_each_row_bit_for_bit(before, rows):
    """From any state (seeding, seeded, smoothing, broken runs), advancing over many rows at once
    leaves the state, and gives the RSI of each row, that one row at a time does, to the bit."""
    stepped, at_once = _rsi_new(4), _rsi_new(4)
    _advance_by_rows(stepped, before)
    _advance_by_rows(at_once, before)
    assert _advance_by_rows(stepped, rows).tobytes() == _advance_at_once(at_once, rows).tobytes()
    assert stepped.tobytes() == at_once.tobytes()


def test_rsi_over_many_rows_with_rows_all_seeding_mixed_and_all_smoothing():
    """Rows whose runs all seed (no multiply, no divide), all smooth (one full-array operand each), and
    mixed ones (a run listed late, a run restarting after a gap), from a state part-way through seeding."""
    closes = _random_panel(21, n_dates=45, n_symbols=3)[0]
    closes[:12, 1] = np.nan  # listed late: seeding while the others smooth
    closes[30, 2] = np.nan  # a gap: the run restarts
    stepped, at_once = _rsi_new(3), _rsi_new(3)
    _advance_by_rows(stepped, closes[:5])
    _advance_by_rows(at_once, closes[:5])
    by_rows, together = _advance_by_rows(stepped, closes[5:]), _advance_at_once(at_once, closes[5:])
    assert at_once[:, 1].tolist() == [14, 14, 13]  # the third seeding again since the gap
    assert stepped.tobytes() == at_once.tobytes()
    assert by_rows.tobytes() == together.tobytes()
    # the batch form is this recursion from a fresh state
    np.testing.assert_array_equal(together, rsi(closes)[5:])


def test_traded_return_by_hand_long_short_gap_and_missing():
    """Entry at open t+1, the 5% stop live from bar t+2 (at the stop when the low/high reaches it, at the
    open when the bar opens beyond it), else out at open t+7."""
    nan = np.nan
    o = np.array([99, 100, 99, 97, 96, 98, 99, 101, 102, 103], float)[:, None]
    h, lo = o + 1, o - 1
    long_ = traded_return(o, h, lo, 1)[:, 0]
    # t=0: entry 100, stop 95; bar 4 (open 96, low 95) reaches it -> 95
    assert long_[0] == pytest.approx(-0.05)
    # t=1: entry 99, stop 94.05, lows 96 95 97 98 100: time stop at open[8] = 102
    assert long_[1] == pytest.approx(102 / 99 - 1)
    # t=2 needs open[9]; t=3.. need bars after the end
    assert long_[2] == pytest.approx(103 / 97 - 1)
    assert np.isnan(long_[3:]).all()
    # short at t=0: entry 100, stop 105, highs 100 98 97 99 100, exit open[7] = 101 -> 1 - 1.01
    assert traded_return(o, h, lo, -1)[0, 0] == pytest.approx(-0.01)
    # a gap through the stop fills at the open: entry 100, bar 3 opens at 90
    gap = np.array([100, 100, 99, 90, 91, 92, 93, 94, 95], float)[:, None]
    assert traded_return(gap, gap + 1, gap - 1, 1)[0, 0] == pytest.approx(-0.10)
    # a missing bar inside the trade gives NaN; the event form equals the panel form
    holed = o.copy()
    holed[5] = nan
    assert np.isnan(traded_return(holed, h, lo, 1)[0, 0])
    panel = np.hstack([o, gap[:1].repeat(10, axis=0) * 0 + o * 1.01])
    both = traded_return(panel, panel + 1, panel - 1, 1)
    rows, cols = np.array([0, 1, 2, 1]), np.array([0, 0, 1, 1])
    events = traded_return(panel, panel + 1, panel - 1, np.array([1, 1, 1, -1]), rows=rows, cols=cols)
    np.testing.assert_array_equal(events[:3], both[rows[:3], cols[:3]])
    assert events[3] == traded_return(panel, panel + 1, panel - 1, -1)[1, 1]
