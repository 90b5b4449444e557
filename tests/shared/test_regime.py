"""Tests of the VIX regime and the book allocation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from shared.regime import DEFAULT_ALLOCATION, VixRegimeState, book_allocation, vix_regime


def test_hand_computed_regimes():
    vix = np.full(17, 20.0)
    vix[14] = 24.0  # SMA = (14 * 20 + 24) / 15 = 20.2667; 24 > 23.307 -> bear
    vix[15] = 23.0  # SMA = (13 * 20 + 24 + 23) / 15 = 20.4667; 23 < 23.537 -> bull
    vix[16] = 27.0  # SMA = (12 * 20 + 24 + 23 + 27) / 15 = 20.9333; 27 > 24.073 -> bear
    out = vix_regime(vix)
    assert list(out[:14]) == ["unknown"] * 14
    assert list(out[14:]) == ["bear", "bull", "bear"]


def test_threshold_is_strict():
    # 14 x 13.5 and 21: SMA = 210 / 15 = 14 exactly, and 21 = 1.5 x 14 exactly: not above, so bull.
    vix = np.array([13.5] * 14 + [21.0])
    assert vix_regime(vix, threshold=1.5)[-1] == "bull"
    assert vix_regime(vix, threshold=1.49)[-1] == "bear"


def test_series_in_series_out_and_nan_is_unknown():
    idx = pd.bdate_range("2020-01-01", periods=40)
    rng = np.random.default_rng(0)
    vix = pd.Series(rng.uniform(12, 30, 40), index=idx)
    vix.iloc[20] = np.nan
    out = vix_regime(vix)
    assert isinstance(out, pd.Series) and out.index.equals(idx)
    assert set(np.flatnonzero(out.to_numpy() == "unknown")) == set(range(14)) | set(range(20, 35))
    sma = vix.rolling(15).mean()
    oracle = np.where(vix > sma * 1.15, "bear", "bull")
    known = out != "unknown"
    assert (out[known].to_numpy() == oracle[known.to_numpy()]).all()


def test_book_allocation_defaults_and_parameters():
    assert DEFAULT_ALLOCATION == {"bull": (1.1, 0.2), "bear": (0.1, 0.2)}
    assert book_allocation("bull") == (1.1, 0.2)
    assert book_allocation("bear") == (0.1, 0.2)
    assert book_allocation("unknown") == (0.1, 0.2)
    assert book_allocation("unknown", unknown=(0.0, 0.0)) == (0.0, 0.0)
    assert book_allocation("bull", bull=(0.9, 0.3)) == (0.9, 0.3)
    long_gross, short_gross = book_allocation(np.array(["bull", "bear", "unknown"], dtype=object))
    np.testing.assert_array_equal(long_gross, [1.1, 0.1, 0.1])
    np.testing.assert_array_equal(short_gross, [0.2, 0.2, 0.2])
    with pytest.raises(ValueError):
        book_allocation("sideways")
    with pytest.raises(ValueError):
        book_allocation(["bull", "crab"])


@settings(max_examples=40, deadline=None)
@given(
    vix=arrays(np.float64, 40, elements=st.floats(9.0, 80.0) | st.just(np.nan)),
    cut=st.integers(0, 39),
)
def test_no_look_ahead_and_incremental_equal(vix, cut):
    before = vix_regime(vix)
    changed = vix.copy()
    changed[cut + 1 :] = 100.0
    assert list(vix_regime(changed)[: cut + 1]) == list(before[: cut + 1])
    state = VixRegimeState()
    assert [state.update(x) for x in vix] == list(before)
