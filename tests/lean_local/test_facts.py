"""``lean-local data facts``: each statistic against a hand computation or an established library."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import statsmodels.api as sm

from lean_local.cli import main
from lean_local.data import facts
from lean_local.data.facts import (
    DailyPanel,
    autocorrelation,
    correlation_with,
    excess_kurtosis,
    load_folder_panel,
    mean_pairwise_correlation,
    newey_west_t,
    reversal_ic_and_spread,
    reversal_signal_and_outcome,
    stylized_facts,
    values_at_ranks,
)
from tests.fixtures import bars, data_folder, write_coarse_day, write_equity

NAN = np.nan


def test_excess_kurtosis_by_hand_and_against_scipy():
    # mean 2.5, deviations -1.5 -0.5 0.5 1.5: m2 = 1.25, m4 = 2.5625, 2.5625 / 1.5625 - 3 = -1.36
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    assert excess_kurtosis(x, min_observations=4)[0] == pytest.approx(-1.36)
    assert np.isnan(excess_kurtosis(x, min_observations=5)[0])
    rng = np.random.default_rng(0)
    y = rng.standard_t(4, size=(500, 3))
    y[::7, 1] = np.nan
    expected = [scipy.stats.kurtosis(col[np.isfinite(col)], fisher=True, bias=True) for col in y.T]
    np.testing.assert_allclose(excess_kurtosis(y), expected, rtol=1e-12)


def test_autocorrelation_by_hand_with_and_without_gaps():
    # deviations -1.5 -0.5 0.5 1.5; lag-1 products 0.75, -0.25, 0.75 over 3 pairs; variance 1.25
    x = np.array([[1.0, 1.0], [2.0, NAN], [3.0, 3.0], [4.0, 4.0]])
    got = autocorrelation(x, 1, min_observations=1)
    assert got[0] == pytest.approx((1.25 / 3) / 1.25)
    # second column: mean 8/3, deviations -5/3, 1/3, 4/3; the only lag-1 pair is (3, 4): 4/9;
    # variance (25 + 1 + 16) / 27 = 14/9
    assert got[1] == pytest.approx((4 / 9) / (14 / 9))
    assert np.isnan(autocorrelation(x, 1, min_observations=2)[1])


def test_correlation_with_market_uses_common_rows():
    x = np.array([[1.0, 2.0], [2.0, NAN], [4.0, 1.0], [3.0, 5.0], [NAN, 0.0]])
    m = np.array([0.5, 1.0, 2.5, 1.0, NAN])
    got = correlation_with(x, m, min_observations=3)
    assert got[0] == pytest.approx(np.corrcoef([1, 2, 4, 3], [0.5, 1.0, 2.5, 1.0])[0, 1])
    assert got[1] == pytest.approx(np.corrcoef([2, 1, 5], [0.5, 2.5, 1.0])[0, 1])


def test_mean_pairwise_correlation_equals_pearson_on_full_columns():
    rng = np.random.default_rng(3)
    common = rng.standard_normal((200, 1))
    x = common + rng.standard_normal((200, 5))
    c = np.corrcoef(x.T)
    expected = c[np.triu_indices(5, 1)].mean()
    assert mean_pairwise_correlation(x) == pytest.approx(expected, rel=1e-12)
    # a column below the minimum of observations drops out
    x[:150, 4] = NAN
    c = np.corrcoef(x[:, :4].T)
    assert mean_pairwise_correlation(x, min_observations=60) == pytest.approx(c[np.triu_indices(4, 1)].mean())


def test_newey_west_t_matches_statsmodels_hac():
    rng = np.random.default_rng(5)
    s = np.convolve(rng.standard_normal(400), np.ones(4) / 4, mode="valid") + 0.05
    fit = sm.OLS(s, np.ones(len(s))).fit(cov_type="HAC", cov_kwds={"maxlags": 6, "use_correction": False})
    assert newey_west_t(s, 6) == pytest.approx(fit.tvalues[0], rel=1e-9)
    assert newey_west_t(np.r_[s, NAN], 6) == pytest.approx(fit.tvalues[0], rel=1e-9)


def test_rank_ic_and_decile_spread_by_hand():
    signal = np.array([np.arange(1.0, 11.0), [1.0, 2.0, 3.0, NAN, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]])
    outcome = np.array([np.arange(10.0, 0.0, -1.0) / 100, np.arange(1.0, 11.0) / 100])
    ic, spread = reversal_ic_and_spread(signal, outcome, min_names=10)
    # row 0: outcome ranks are the signal ranks reversed; deciles of one name: 0.10 - 0.01
    assert ic[0] == pytest.approx(-1.0)
    assert spread[0] == pytest.approx(0.09)
    assert np.isnan(ic[1]) and np.isnan(spread[1])  # 9 names with both values < 10
    ic, spread = reversal_ic_and_spread(signal, outcome, min_names=9)
    assert ic[1] == pytest.approx(1.0)
    assert spread[1] == pytest.approx(0.01 - 0.10)


def test_values_at_ranks():
    values = np.array([[5.0, NAN, 1.0, 3.0], [2.0, 4.0, NAN, NAN]])
    got = values_at_ranks(values, (1, 2, 3, 5))
    np.testing.assert_array_equal(got, [[5.0, 3.0, 1.0, NAN], [4.0, 2.0, NAN, NAN]])


def test_signal_and_traded_outcome_windows():
    close = np.arange(1.0, 13.0)[:, None]
    open_ = close + 0.5
    panel = DailyPanel(pd.bdate_range("2020-01-01", periods=12), np.array(["A"]), open_, close, close, close,
                       np.full(12, NAN), "x")
    signal, outcome = reversal_signal_and_outcome(panel)
    assert np.isnan(signal[:3, 0]).all() and signal[3, 0] == pytest.approx(4 / 1 - 1)
    assert outcome[0, 0] == pytest.approx(open_[7, 0] / open_[1, 0] - 1)
    assert outcome[4, 0] == pytest.approx(open_[11, 0] / open_[5, 0] - 1)
    assert np.isnan(outcome[5:, 0]).all()


# --- a tiny folder -------------------------------------------------------------------------------------

DATES = pd.bdate_range("2021-01-04", periods=12)


@pytest.fixture
def tiny(tmp_path):
    root = data_folder(tmp_path / "data")
    spy = np.array([100, 101, 100, 102, 103, 101, 104, 105, 104, 106, 107, 108], dtype=float)
    write_equity(root, "SPY", bars(DATES, spy, volume=5e7))
    # AAA splits 2-for-1 on the 7th day: raw close halves, raw volume doubles; the factor file's row
    # on the day before holds split factor 0.5 for the bars up to it.
    raw = np.array([50, 51, 50, 52, 53, 52, 27, 27.5, 27, 28, 28.5, 29], dtype=float)
    volume = np.array([1e6] * 6 + [2e6] * 6)
    frame = bars(DATES, raw)
    frame["volume"] = volume * np.array([1, 1.1, 0.9, 1.2, 1, 0.8, 1, 1.1, 0.9, 1.2, 1, 0.8])
    factors = pd.DataFrame({"price_factor": [1.0, 1.0], "split_factor": [0.5, 1.0]},
                           index=pd.DatetimeIndex([DATES[5], pd.Timestamp("2050-12-31")]))
    write_equity(root, "AAA", frame, factors=factors,
                 map_rows=[(f"{DATES[0]:%Y-%m-%d}", "aaa"), ("2050-12-31", "aaa")])
    # BBB traded as OLD before a rename on the 5th day; one map file, two zips.
    bbb = np.array([10, 10.5, 10.2, 10.8, 11, 10.6, 10.9, 11.2, 11.0, 11.4, 11.3, 11.6])
    write_equity(root, "OLD", bars(DATES[:4], bbb[:4], volume=3e5))
    write_equity(root, "BBB", bars(DATES[4:], bbb[4:], volume=3e5),
                 map_rows=[(f"{DATES[0]:%Y-%m-%d}", "old"), (f"{DATES[3]:%Y-%m-%d}", "old"), ("2050-12-31", "bbb")])
    write_coarse_day(root, f"{DATES[0]:%Y-%m-%d}", [("AAA", 50.0, 1e6), ("BBB", 10.0, 3e5), ("CCC", 5.0, 1e5)])
    return root, spy, raw, bbb, frame["volume"].to_numpy()


def test_folder_panel_adjusts_prices_and_volume_and_takes_spy_as_market(tiny):
    root, spy, raw, bbb, volume = tiny
    panel = load_folder_panel(root)
    assert list(panel.symbols) == ["AAA", "BBB"]
    assert panel.market_source == "SPY"
    np.testing.assert_allclose(panel.market_return[1:], np.diff(np.log(spy)))
    adjusted = np.where(np.arange(12) <= 5, raw * 0.5, raw)
    np.testing.assert_allclose(panel.close[:, 0], adjusted)
    np.testing.assert_allclose(panel.volume[:, 0], np.where(np.arange(12) <= 5, volume / 0.5, volume))
    np.testing.assert_allclose(panel.dollar_volume[:, 0], raw * volume)
    np.testing.assert_allclose(panel.close[:, 1], bbb)  # both tickers' bars, one security


def test_facts_of_the_tiny_folder_by_hand(tiny):
    root, spy, raw, bbb, volume = tiny
    panel = load_folder_panel(root)
    got = stylized_facts(panel, min_observations=5, min_names=2)
    adjusted = np.where(np.arange(12) <= 5, raw * 0.5, raw)
    r = np.diff(np.log(np.c_[adjusted, bbb]), axis=0)
    m = np.diff(np.log(spy))
    kurt = [scipy.stats.kurtosis(c, bias=True) for c in r.T]
    assert got["excess_kurtosis"] == pytest.approx(np.median(kurt))
    assert got["market_r_squared"] == pytest.approx(np.median([np.corrcoef(c, m)[0, 1] ** 2 for c in r.T]))
    assert got["mean_pairwise_correlation"] == pytest.approx(np.corrcoef(r.T)[0, 1])

    def acf(x, lag):
        d = x - x.mean()
        return (d[lag:] @ d[:-lag] / (len(x) - lag)) / (d @ d / len(x))

    assert got["return_autocorrelation_1"] == pytest.approx(np.median([acf(c, 1) for c in r.T]))
    log_volume = np.log(np.c_[np.where(np.arange(12) <= 5, volume / 0.5, volume), np.full(12, 3e5)])
    # BBB's volume is constant: no variance, no autocorrelation; the median is AAA's
    assert got["log_volume_autocorrelation_1"] == pytest.approx(acf(log_volume[:, 0], 1))
    # two names a day: the IC is +1 or -1, the spread the loser's minus the winner's traded return
    signal = np.c_[adjusted, bbb][3:5] / np.c_[adjusted, bbb][0:2] - 1
    opens = np.c_[adjusted, bbb]  # the fixture's opens equal its closes
    outcome = opens[10:12] / opens[4:6] - 1  # signal days 3 and 4: open t+1 -> open t+7
    loser = np.argmin(signal, axis=1)
    spread = outcome[[0, 1], loser] - outcome[[0, 1], 1 - loser]
    ic = np.where(np.argmin(outcome, axis=1) == loser, 1.0, -1.0)
    assert got["ic_dates"] == 2
    assert got["reversal_ic"] == pytest.approx(ic.mean())
    assert got["decile_spread"] == pytest.approx(spread.mean())
    assert got["listed_names_min"] == got["listed_names_max"] == 2
    assert np.isnan(got["dollar_volume_rank_100"])


def test_cli_prints_the_table_and_writes_json_atomically(tiny, tmp_path, capsys):
    root = tiny[0]
    target = tmp_path / "out" / "facts.json"
    target.parent.mkdir()
    assert main(["data", "facts", str(root), "--min-names", "2", "--json", str(target)]) == 0
    printed = capsys.readouterr().out
    assert "R-squared against the market" in printed and "real-equity band" in printed
    stored = json.loads(target.read_text())
    assert stored["n_securities"] == 2 and stored["coarse_files"] == 1
    assert stored["coarse_dollar_volume_rank_100"] is None  # three names in the coarse file
    assert sorted(p.name for p in target.parent.iterdir()) == ["facts.json"]


def test_cli_reports_a_folder_without_equities(tmp_path, capsys):
    assert main(["data", "facts", str(tmp_path)]) == 1
    assert "no daily equity files" in capsys.readouterr().err


def test_a_synthetic_folders_market_etf_is_its_market_and_leaves_the_cross_section(tmp_path):
    root = data_folder(tmp_path / "data")
    market = np.array([100, 101, 100, 102, 103, 101, 104, 105, 104, 106, 107, 108], dtype=float)
    write_equity(root, "SYNSPY", bars(DATES, market, volume=5e7))
    write_equity(root, "AAA", bars(DATES, market[::-1] / 2))
    panel = load_folder_panel(root)
    assert list(panel.symbols) == ["AAA"] and panel.market_source == "SYNSPY"
    np.testing.assert_allclose(panel.market_return[1:], np.diff(np.log(market)))


# --- LEAN's sample data --------------------------------------------------------------------------------

LEAN_DATA = Path(os.environ.get("LEAN_DATA_FOLDER", "/nonexistent"))


@pytest.mark.skipif(not (LEAN_DATA / "equity/usa/daily/spy.zip").exists(), reason="LEAN_DATA_FOLDER not set")
def test_lean_sample_folder_facts():
    panel = load_folder_panel(LEAN_DATA, "2010-01-01", "2021-12-31")
    # 20 zips besides SPY: renamed securities (GOOG, TFCFA, WM) read several zips each
    assert len(panel.symbols) == 16 and panel.market_source == "SPY"
    got = stylized_facts(panel)
    assert 6 <= got["excess_kurtosis"] <= 15
    assert got["abs_return_autocorrelation_1"] > got["abs_return_autocorrelation_20"] > 0.1
    got.update(facts.coarse_facts(LEAN_DATA))
    assert got["coarse_files"] == 11
    # the 2014-03-24 file alone: FDX $426,716,488 at rank 100 and VIPS $207,864,707 at rank 250
    one = facts.coarse_facts(LEAN_DATA, "2014-03-24", "2014-03-24")
    assert one["coarse_dollar_volume_rank_100"] == 426716488
    assert one["coarse_dollar_volume_rank_250"] == 207864707
