"""Tests of the pressure index: hand-computed values, a pandas oracle, NaN rules, no look-ahead, and
batch == incremental."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shared.pressure import PressureState, pressure_index, push, window_mean, window_moments, window_std


def _closes_from_returns(returns, start=100.0):
    return start * np.concatenate([[1.0], np.cumprod(1.0 + np.asarray(returns))])


def _random_panel(seed, n_dates=80, n_symbols=4):
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_dates, n_symbols)), axis=0))
    volume = rng.uniform(1e5, 3e5, (n_dates, n_symbols))
    return close, volume


def test_hand_computed_value():
    # 20 returns alternating 0.02, 0.0, ending 0.02, 0.0, 0.02: mean 0.01, every deviation 0.01.
    returns = [0.0, 0.02] * 10
    # Sample std of ten 0.02 and ten 0.0 around their mean 0.01: sqrt(20 * 0.01**2 / 19).
    close = _closes_from_returns(returns)
    volume = np.full(21, 1000.0)
    volume[-1] = 2000.0
    ret_3d = 1.02 * 1.0 * 1.02 - 1  # last three returns: 0.02, 0.0, 0.02
    volatility = math.sqrt(20 * 0.01**2 / 19)
    vol_ratio = 2000.0 / ((19 * 1000.0 + 2000.0) / 20)
    expected = 50 + ret_3d / volatility * 10 - (vol_ratio - 1) * 5
    qpi = pressure_index(close, volume)
    assert qpi.shape == (21,)
    assert np.isnan(qpi[:20]).all()
    assert qpi[20] == pytest.approx(expected, rel=1e-12)
    assert 0 < expected < 100


def test_clipped_to_0_and_100():
    # Three days of -15% (or +15%) after 17 quiet days: |ret_3d| / volatility * 10 is about 70.
    base = [0.001, -0.001] * 8 + [0.001]
    crash = _closes_from_returns(base + [-0.15] * 3)
    rally = _closes_from_returns(base + [0.15] * 3)
    volume = np.full(21, 1000.0)
    assert pressure_index(crash, volume)[20] == 0.0
    assert pressure_index(rally, volume)[20] == 100.0
    # The same rally on 4x volume loses (4 / 1.15 - 1) * 5 points but stays clipped at 100.
    heavy = volume.copy()
    heavy[-1] = 4000.0
    assert pressure_index(rally, heavy)[20] == 100.0


def test_matches_pandas_oracle_on_dataframe():
    close, volume = _random_panel(1)
    dates = pd.bdate_range("2020-01-01", periods=close.shape[0])
    close_df = pd.DataFrame(close, index=dates, columns=["A", "B", "C", "D"])
    volume_df = pd.DataFrame(volume, index=dates, columns=close_df.columns)
    ret_3d = close_df / close_df.shift(3) - 1
    vol_ratio = volume_df / volume_df.rolling(20).mean()
    volatility = close_df.pct_change().rolling(20).std(ddof=1)
    oracle = (50 + ret_3d / volatility * 10 - (vol_ratio - 1) * 5).clip(0, 100)
    got = pressure_index(close_df, volume_df)
    assert isinstance(got, pd.DataFrame)
    assert got.index.equals(dates) and got.columns.equals(close_df.columns)
    pd.testing.assert_frame_equal(got, oracle, rtol=1e-10, atol=1e-10)
    assert got.iloc[20:].notna().all().all()
    assert got.iloc[:20].isna().all().all()


def test_missing_bar_blanks_exactly_the_windows_that_read_it():
    close, volume = _random_panel(2, n_dates=70, n_symbols=2)
    close[40, 0] = np.nan
    volume[30, 1] = np.nan
    qpi = pressure_index(close, volume)
    nan_rows_0 = set(np.flatnonzero(np.isnan(qpi[:, 0])))
    nan_rows_1 = set(np.flatnonzero(np.isnan(qpi[:, 1])))
    # A missing close is read by the returns r[40], r[41] (volatility windows up to t = 60) and ret_3d.
    assert nan_rows_0 == set(range(20)) | set(range(40, 61))
    # A missing volume is read by the SMA windows ending at 30..49 and the ratio at 30.
    assert nan_rows_1 == set(range(20)) | set(range(30, 50))


@pytest.mark.parametrize(
    "close_value, volume_value",
    [(0.0, 1000.0), (-5.0, 1000.0), (np.inf, 1000.0), (10.0, -1.0), (10.0, np.inf)],
)
def test_invalid_inputs_are_missing_bars(close_value, volume_value):
    close, volume = _random_panel(3, n_dates=40, n_symbols=1)
    close[30, 0] = close_value
    volume[30, 0] = volume_value
    qpi = pressure_index(close, volume)
    assert np.isnan(qpi[30, 0])
    assert not np.isinf(qpi).any()


def test_zero_volatility_and_zero_volume_give_nan():
    flat = np.full((30, 1), 10.0)
    assert np.isnan(pressure_index(flat, np.full((30, 1), 1000.0))).all()
    close, _ = _random_panel(4, n_dates=30, n_symbols=1)
    assert np.isnan(pressure_index(close, np.zeros((30, 1)))).all()


def test_shape_mismatch_raises():
    with pytest.raises(ValueError):
        pressure_index(np.ones((10, 2)), np.ones((10, 3)))


def test_incremental_with_symbols_joining_and_leaving_equals_batch():
    close, volume = _random_panel(5, n_dates=90, n_symbols=4)
    close[50, 2] = np.nan
    batch = pressure_index(close, volume)
    state = PressureState(["s0", "s1"])
    for t in range(90):
        if t == 35:  # s2 and s3 join, warmed from their history up to yesterday
            state.add(["s2", "s3"], close[:35, 2:4], volume[:35, 2:4])
        if t == 60:
            state.remove(["s0"])
        columns = [int(s[1]) for s in state.symbols]
        out = state.update(close[t, columns], volume[t, columns])
        np.testing.assert_array_equal(out, batch[t, columns])  # live == batch, to the bit
        assert np.array_equal(np.isnan(out), np.isnan(batch[t, columns]))


def test_window_moments_are_numpys_mean_and_std_bit_for_bit():
    rng = np.random.default_rng(8)
    for shape in [(75, 20), (3, 7, 21), (1, 15), (40, 3)]:
        x = rng.lognormal(rng.uniform(-5, 10), 2.0, shape) * rng.choice([-1.0, 1.0], shape)
        x[rng.random(shape) < 0.05] = np.nan
        for windows in (x, x[..., 1:], np.asfortranarray(x)):  # contiguous, a trailing view, column-major
            assert window_mean(windows).tobytes() == np.mean(windows, axis=-1).tobytes()
            for ddof in (0, 1):
                assert window_std(windows, ddof).tobytes() == np.std(windows, axis=-1, ddof=ddof).tobytes()
    assert window_std(np.array([[1.0, 2.0, 3.0, 4.0]]), 1)[0] == np.sqrt(5.0 / 3.0)
    assert window_mean(np.array([[1.0, 2.0, 6.0]]))[0] == 3.0


def test_window_moments_are_the_mean_and_the_std():
    mean, std = window_moments(np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 6.0]]), 1)
    assert mean.tolist() == [2.5, 3.0]
    assert std.tolist() == [np.sqrt(5.0 / 3.0), np.sqrt(12.0 / 3.0)]
    windows = np.random.default_rng(9).lognormal(0.0, 1.0, (30, 94))[:, 10:30]  # a state's strided window
    for ddof in (0, 1):
        mean, std = window_moments(windows, ddof)
        assert mean.tobytes() == window_mean(windows).tobytes()
        assert std.tobytes() == window_std(windows, ddof).tobytes()


def test_push_shifts_every_window_and_writes_each_newest_value():
    block = np.arange(12.0).reshape(2, 6)  # each row: a window of 2 columns, then one of 4
    push(block, (2, 6), (np.array([100.0, 200.0]), np.array([7.0, 8.0])))
    assert block.tolist() == [[1.0, 100.0, 3.0, 4.0, 5.0, 7.0], [7.0, 200.0, 9.0, 10.0, 11.0, 8.0]]


def test_columns_follow_adds_and_removes():
    state = PressureState(["a", "b"])
    assert dict(state.columns) == {"a": 0, "b": 1}
    view = state.columns
    state.add(["c", "d"])
    assert np.isnan(state.outputs()).all()  # added cold: no bar seen
    state.remove(["b"])
    assert state.symbols == ["a", "c", "d"]
    assert dict(view) == {"a": 0, "c": 1, "d": 2}  # the same mapping, kept current
    state.remove([])
    assert dict(view) == {"a": 0, "c": 1, "d": 2}
    with pytest.raises(TypeError):
        view["e"] = 3  # type: ignore[index]
    with pytest.raises(ValueError):
        state.add(["d", "e"])
    assert dict(view) == {"a": 0, "c": 1, "d": 2}  # a rejected add changes nothing


def test_state_rejects_wrong_shapes_and_duplicates():
    state = PressureState(["a"])
    with pytest.raises(ValueError):
        state.update([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        state.add(["a"])
    with pytest.raises(KeyError):
        state.remove(["zzz"])


finite_prices = st.floats(min_value=1.0, max_value=500.0, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    close=arrays(np.float64, (45, 2), elements=finite_prices | st.just(np.nan)),
    volume=arrays(np.float64, (45, 2), elements=st.floats(0.0, 1e6) | st.just(np.nan)),
    cut=st.integers(0, 44),
    seed=st.integers(0, 2**16),
)
def test_no_look_ahead_and_incremental_equal(close, volume, cut, seed):
    before = pressure_index(close, volume)
    rng = np.random.default_rng(seed)
    close2, volume2 = close.copy(), volume.copy()
    close2[cut + 1 :] = rng.uniform(1, 500, close2[cut + 1 :].shape)
    volume2[cut + 1 :] = rng.uniform(0, 1e6, volume2[cut + 1 :].shape)
    after = pressure_index(close2, volume2)
    np.testing.assert_array_equal(before[: cut + 1], after[: cut + 1])
    assert not np.isinf(before).any()
    assert np.all(np.isnan(before) | ((before >= 0) & (before <= 100)))
    state = PressureState([0, 1])
    incremental = np.stack([state.update(close[t], volume[t]) for t in range(45)])
    np.testing.assert_array_equal(incremental, before)  # live == batch, to the bit
