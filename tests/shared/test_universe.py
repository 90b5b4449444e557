"""Tests of the point-in-time top-N dollar-volume universe."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.universe import membership_panel, top_dollar_volume, top_dollar_volume_index


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


def test_single_date_index_hand_computed():
    day = _coarse()[lambda c: c["date"] == "2014-03-24"].reset_index(drop=True)
    args = (day["close"], day["dollar_volume"], list(day["symbol"]))
    # Eligible: AAA 1e7, CCC 2e7, DDD 1e7 (BBB below $1, EEE NaN close); AAA wins its tie with DDD.
    np.testing.assert_array_equal(top_dollar_volume_index(*args, n=2), [2, 0])
    np.testing.assert_array_equal(top_dollar_volume_index(*args, n=10), [2, 0, 3])
    np.testing.assert_array_equal(top_dollar_volume_index(*args, n=0), [])
    np.testing.assert_array_equal(top_dollar_volume_index(*args, n=10, min_price=0.5), [1, 2, 0, 3])
    np.testing.assert_array_equal(
        top_dollar_volume_index(*args, n=10, has_fundamental=day["has_fundamental_data"]), [0, 3]
    )
    with pytest.raises(ValueError):
        top_dollar_volume_index(day["close"], day["dollar_volume"][:3], list(day["symbol"]))


def test_single_date_index_reads_only_the_rows_in_contention():
    dollar_volume = np.array([5.0, 1.0, 9.0, 7.0, 7.0, 3.0])
    close = np.array([10.0, 10.0, 0.5, 10.0, 10.0, 10.0])
    keys = ["BBB", "CCC", "DDD", "ZZZ", "AAA", "EEE"]
    asked = {"close": [], "key": [], "flag": []}

    def reader(name, values):
        def read(at):
            asked[name].append(at.tolist())
            return [values[i] for i in at]
        return read

    # n = 2: the two largest dollar volumes (9 and the tie at 7) hold the rows 2, 3, 4; row 2 is below $1,
    # rows 3 and 4 are selected, the key breaking their tie
    chosen = top_dollar_volume_index(reader("close", close), dollar_volume, reader("key", keys), n=2,
                                     has_fundamental=reader("flag", [True] * 6))
    np.testing.assert_array_equal(chosen, [4, 3])
    assert asked == {"close": [[2, 3, 4]], "key": [[3, 4]], "flag": [[2, 3, 4]]}
    # n = 3: the three largest hold two eligible rows; the six largest (all) are read
    asked = {"close": [], "key": [], "flag": []}
    chosen = top_dollar_volume_index(reader("close", close), dollar_volume, reader("key", keys), n=3)
    np.testing.assert_array_equal(chosen, [4, 3, 0])
    assert asked == {"close": [[2, 3, 4], [0, 1, 2, 3, 4, 5]], "key": [[3, 4]], "flag": []}


@st.composite
def _random_coarse(draw):
    """Coarse rows over a few dates with many dollar-volume ties, NaNs and closes at the price floor."""
    n_dates = draw(st.integers(1, 3))
    rows = []
    for d in range(n_dates):
        tickers = draw(st.lists(st.sampled_from([f"T{i:02d}" for i in range(40)]), unique=True, max_size=40))
        for ticker in tickers:
            close = draw(st.sampled_from([np.nan, 0.5, 1.0, 1.5, 30.0]))
            dollar_volume = draw(st.sampled_from([np.nan, 0.0, 1e6, 2e6, 3e6]) | st.floats(0.0, 1e9))
            flag = draw(st.booleans())
            rows.append((pd.Timestamp("2014-03-24") + pd.Timedelta(days=d), ticker, close, dollar_volume, flag))
    order = draw(st.permutations(range(len(rows))))
    columns = ["date", "symbol", "close", "dollar_volume", "has_fundamental_data"]
    return pd.DataFrame([rows[i] for i in order], columns=columns)


@settings(max_examples=200, deadline=None)
@given(coarse=_random_coarse(), n=st.integers(0, 45), min_price=st.sampled_from([1.0, 0.0]),
       require_fundamental=st.booleans())
def test_single_date_index_agrees_with_many_dates_form(coarse, n, min_price, require_fundamental):
    selection = top_dollar_volume(coarse, n, min_price, require_fundamental)
    for date, day in coarse.groupby("date"):
        flags = day["has_fundamental_data"].to_numpy() if require_fundamental else None
        index = top_dollar_volume_index(day["close"], day["dollar_volume"], list(day["symbol"]), n, min_price, flags)
        expected = selection.loc[selection["date"] == date, "symbol"].tolist()
        assert day["symbol"].to_numpy()[index].tolist() == expected
    assert set(selection["date"]) <= set(coarse["date"])
