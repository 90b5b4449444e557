"""Tests of the point-in-time top-N dollar-volume universe."""

import numpy as np
import pandas as pd
import pytest

from shared.universe import membership_panel, top_dollar_volume


def _coarse():
    d1, d2 = pd.Timestamp("2014-03-24"), pd.Timestamp("2014-03-25")
    rows = [
        (d1, "AAA", 10.0, 1e6, 1e7, True),
        (d1, "BBB", 0.5, 1e9, 5e8, True),  # below $1: never selected
        (d1, "CCC", 20.0, 1e6, 2e7, False),
        (d1, "DDD", 5.0, 2e6, 1e7, True),  # ties AAA: AAA first
        (d1, "EEE", np.nan, 1e6, 9e9, True),  # NaN close: never selected
        (d2, "AAA", 11.0, 1e6, 1.1e7, True),
        (d2, "CCC", 1.0, 1e6, 1e6, True),  # exactly $1: eligible
        (d2, "DDD", 5.0, 1e6, 5e6, False),
    ]
    return pd.DataFrame(rows, columns=["date", "symbol", "close", "volume", "dollar_volume", "has_fundamental_data"])


def test_top_n_by_dollar_volume_with_ties_and_min_price():
    got = top_dollar_volume(_coarse(), n=2)
    expected = pd.DataFrame(
        {
            "date": pd.to_datetime(["2014-03-24", "2014-03-24", "2014-03-25", "2014-03-25"]),
            "symbol": ["CCC", "AAA", "AAA", "DDD"],
            "dollar_volume": [2e7, 1e7, 1.1e7, 5e6],
            "rank": [1, 2, 1, 2],
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    full = top_dollar_volume(_coarse())
    assert list(full.loc[full["date"] == "2014-03-24", "symbol"]) == ["CCC", "AAA", "DDD"]


def test_fundamental_filter_optional():
    got = top_dollar_volume(_coarse(), require_fundamental=True)
    assert list(got["symbol"]) == ["AAA", "DDD", "AAA", "CCC"]
    with pytest.raises(ValueError):
        top_dollar_volume(_coarse().drop(columns="has_fundamental_data"), require_fundamental=True)


def test_one_date_equals_that_date_of_all_dates():
    coarse = _coarse()
    one = top_dollar_volume(coarse[coarse["date"] == "2014-03-25"], n=2)
    all_dates = top_dollar_volume(coarse, n=2)
    pd.testing.assert_frame_equal(one, all_dates[all_dates["date"] == "2014-03-25"].reset_index(drop=True))


def test_order_of_rows_does_not_matter():
    coarse = _coarse()
    shuffled = coarse.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(top_dollar_volume(shuffled, n=2), top_dollar_volume(coarse, n=2))


def test_membership_panel_lags_one_trading_day():
    dates = pd.to_datetime(["2014-03-24", "2014-03-25", "2014-03-26"])
    panel = membership_panel(top_dollar_volume(_coarse(), n=2), dates)
    assert list(panel.columns) == ["AAA", "CCC", "DDD"]
    np.testing.assert_array_equal(
        panel.to_numpy(), [[False, False, False], [True, True, False], [True, False, True]]
    )
    with pytest.raises(ValueError):
        membership_panel(top_dollar_volume(_coarse()), dates[1:])


def test_reads_lean_sample_coarse_files(lean_data_folder):
    folder = lean_data_folder / "equity" / "usa" / "fundamental" / "coarse"
    frames = []
    for path in sorted(folder.glob("*.csv"))[:3]:
        frame = pd.read_csv(
            path, header=None, usecols=range(6), names=["sid", "symbol", "close", "volume", "dollar_volume", "has_fundamental_data"]
        )
        frame["date"] = pd.Timestamp(path.stem)
        frames.append(frame)
    coarse = pd.concat(frames, ignore_index=True)
    got = top_dollar_volume(coarse, n=10)
    assert got.groupby("date").size().tolist() == [10] * len(frames)
    first = coarse[coarse["date"] == got["date"].iloc[0]]
    eligible = first[first["close"] >= 1.0].sort_values(["dollar_volume", "symbol"], ascending=[False, True])
    assert list(got["symbol"].iloc[:10]) == list(eligible["symbol"].iloc[:10])
    assert got["symbol"].iloc[0] == "SPY"
