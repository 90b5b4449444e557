"""The synthetic market: determinism, LEAN-readable files, survivorship, splits, VIX, planted effects."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from lean_local.data import facts, formats, map_files
from lean_local.data.formats import equity_sid
from lean_local.data.synthetic import (
    FX_PAIRS,
    INDEX_TICKER,
    MARKER_FILE,
    VOLATILITY_TICKER,
    SyntheticMarketConfig,
    garch_variance,
    generate_market,
    register,
    reversal_kernel,
    stationary_ar1,
    volume_shock,
    write_market,
)

SMALL = SyntheticMarketConfig(n_stocks=30, years=2, seed=11, jobs=1)


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("synthetic")
    market = write_market(folder, SMALL, quiet=True)
    return folder, market


def all_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def zip_entries(payload: bytes) -> list[tuple[str, bytes]]:
    import io

    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def stock_bars(folder: Path, ticker: str) -> pd.DataFrame:
    """A stock's bars over its whole life, read through its map file (a renamed stock has two zips)."""
    return map_files.read_bars(folder, map_files.load_resolver(folder).get(ticker).segments())


def adjusted_close(folder: Path, ticker: str) -> pd.Series:
    bars = stock_bars(folder, ticker)
    factors = formats.read_factor_file(formats.factor_file_path(folder, ticker))
    return bars["close"] * formats.adjustment_factors(factors, bars.index)


# --- building blocks, against hand-computed values ---------------------------------------------------


def test_equity_sid_matches_lean_sample_identifiers():
    # From LEAN's sample coarse files: A first traded 1999-11-18, SPY's data starts 1998-01-02.
    assert equity_sid("A", pd.Timestamp("1999-11-18")) == "A RPTMYV3VC57P"
    assert equity_sid("spy", pd.Timestamp("1998-01-02")) == "SPY R735QTJ8XC9X"


def test_reversal_kernel_spreads_each_3_day_window_over_6_days():
    kernel = reversal_kernel(3, 6)
    expected = np.array([0, 1, 2, 3, 3, 3, 3, 2, 1]) / 18.0
    np.testing.assert_allclose(kernel, expected)
    assert kernel.sum() == pytest.approx(1.0)


def test_stationary_ar1_starts_in_its_stationary_law():
    h = stationary_ar1(np.random.default_rng(0), (400, 2000), 0.9, 0.5)
    assert np.std(h[0]) == pytest.approx(0.5, rel=0.05)
    assert np.std(h[-1]) == pytest.approx(0.5, rel=0.05)
    lag1 = np.mean(h[1:] * h[:-1]) / np.mean(h * h)
    assert lag1 == pytest.approx(0.9, abs=0.01)


def test_garch_variance_recursion_by_hand():
    z = np.array([[2.0], [0.0], [1.0]])
    var = garch_variance(z, long_run=np.array([1.0]), alpha=np.array([0.1]), beta=np.array([0.8]))
    # omega = 0.1; var1 = 0.1 + (0.1*4 + 0.8)*1 = 1.3; var2 = 0.1 + 0.8*1.3 = 1.14
    np.testing.assert_allclose(var[:, 0], [1.0, 1.3, 1.14])


def test_volume_shock_is_capped_at_volume_shock_cap():
    shock = volume_shock(np.array([-84.0, 0.5, 13.0, -3.0]), cap=12.0, mean_abs=0.8)
    np.testing.assert_allclose(shock, [11.2, -0.3, 11.2, 2.2])


def test_an_extreme_student_t_shock_gives_a_bounded_volume(monkeypatch):
    """A 3,000-name x 20-year market drew |z| near 84 (a Student-t tail): uncapped, that day's volume was
    exp(0.35 * 84) times the usual, 1.17e18 shares. The same shock planted in a small market stays within
    ``exp(a * volume_shock_cap)`` of the stock's median volume."""
    from lean_local.data.synthetic import stocks

    drawn = stocks.student_t

    def with_an_extreme_shock(rng, df, size):
        z = drawn(rng, df, size)
        z[200, 1 + SMALL.n_sectors + 5] = -84.0  # stock 5's idiosyncratic shock on day 200
        return z

    monkeypatch.setattr(stocks, "student_t", with_an_extreme_shock)
    market = generate_market(SMALL)
    volume = market.volume[:, 5]
    assert np.isfinite(volume[200])
    ratio = volume[200] / np.nanmedian(volume)
    assert 10.0 < ratio < 200.0  # exp(0.35 * (12 - 0.8)) = 50 from the shock, times the day's noise


def test_config_rejects_impossible_values():
    with pytest.raises(ValueError, match="reversal_strength"):
        SyntheticMarketConfig(reversal_strength=1.0)
    with pytest.raises(ValueError, match="market_garch"):
        SyntheticMarketConfig(market_garch=(0.5, 0.5))
    with pytest.raises(ValueError, match="student_t_df"):
        SyntheticMarketConfig(student_t_df=2.0)


# --- determinism -------------------------------------------------------------------------------------


def test_same_seed_same_bytes_and_different_seed_differs(small_folder, tmp_path):
    folder, _ = small_folder
    first = all_files(folder)
    again = tmp_path / "again"
    write_market(again, SMALL, quiet=True)
    second = all_files(again)
    assert first.keys() == second.keys()
    for name, payload in first.items():
        if name.endswith(".zip"):
            assert zip_entries(payload) == zip_entries(second[name]), name
        else:
            assert payload == second[name], name

    other = tmp_path / "other"
    write_market(other, SyntheticMarketConfig(n_stocks=30, years=2, seed=12, jobs=1), quiet=True)
    third = all_files(other)
    assert third[formats.equity_daily_path(other, INDEX_TICKER).relative_to(other).as_posix()] != first[
        formats.equity_daily_path(folder, INDEX_TICKER).relative_to(folder).as_posix()
    ]
    assert set(third) != set(first)  # other tickers


def test_zip_files_are_byte_identical_across_runs(tmp_path):
    config = SyntheticMarketConfig(n_stocks=3, years=0.1, seed=5, jobs=1)
    write_market(tmp_path / "a", config, quiet=True)
    time.sleep(2.1)  # DOS timestamps have 2-second resolution
    write_market(tmp_path / "b", config, quiet=True)
    a = formats.equity_daily_path(tmp_path / "a", INDEX_TICKER).read_bytes()
    b = formats.equity_daily_path(tmp_path / "b", INDEX_TICKER).read_bytes()
    assert a == b


def test_generate_market_is_deterministic_in_memory():
    a = generate_market(SMALL)
    b = generate_market(SMALL)
    np.testing.assert_array_equal(a.close, b.close)
    np.testing.assert_array_equal(a.volume, b.volume)
    pd.testing.assert_frame_equal(a.fx["USDJPY"], b.fx["USDJPY"])


# --- files readable and consistent -------------------------------------------------------------------


def test_every_file_reads_back_and_bars_are_consistent(small_folder):
    folder, market = small_folder
    for i, ticker in enumerate(market.tickers):
        bars = stock_bars(folder, ticker)
        first, last = market.list_index[i], market.delist_index[i]
        assert bars.index[0] == market.dates[first] and bars.index[-1] == market.dates[last]
        np.testing.assert_allclose(bars["close"].to_numpy(), market.close[first : last + 1, i])
        assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
        assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
        assert (bars["low"] > 0).all() and (bars["volume"] > 0).all()
    spy = formats.read_equity_daily(formats.equity_daily_path(folder, INDEX_TICKER))
    assert spy.index.equals(market.dates)
    vix = formats.read_index_daily(formats.index_daily_path(folder, VOLATILITY_TICKER))
    cboe = formats.read_cboe_csv(formats.cboe_path(folder, VOLATILITY_TICKER.lower()))
    np.testing.assert_allclose(vix["close"].to_numpy(), cboe["close"].to_numpy())
    assert (vix["high"] >= vix[["open", "close"]].max(axis=1)).all()
    for pair in FX_PAIRS:
        quotes = formats.read_forex_daily(formats.forex_daily_path(folder, pair))
        assert (quotes.index.dayofweek != 5).all()  # Oanda: Sunday to Friday
        assert (quotes["ask_close"] > quotes["bid_close"]).all()
        assert (quotes["bid_high"] >= quotes[["bid_open", "bid_close"]].max(axis=1)).all()
    rate = formats.read_interest_rate(formats.interest_rate_path(folder))
    assert len(rate) == 1
    assert formats.market_hours_path(folder).exists() and formats.symbol_properties_path(folder).exists()
    marker = json.loads((folder / MARKER_FILE).read_text())
    assert marker["synthetic"] is True and marker["seed"] == SMALL.seed
    assert marker["config"]["n_stocks"] == 30


def test_trading_days_follow_the_nyse_calendar(small_folder):
    _, market = small_folder
    days = market.dates
    assert pd.Timestamp("2010-01-18") not in days  # Martin Luther King Jr. Day
    assert pd.Timestamp("2010-04-02") not in days  # Good Friday
    assert pd.Timestamp("2010-01-19") in days
    assert (days.dayofweek < 5).all()


def test_coarse_files_hold_every_listed_stock_with_factors(small_folder):
    folder, market = small_folder
    coarse = formats.read_coarse_range(folder, market.dates[0], market.dates[-1])
    counts = coarse.groupby("date").size()
    np.testing.assert_array_equal(counts.to_numpy(), np.isfinite(market.close).sum(axis=1))
    assert not coarse["has_fundamental_data"].any()
    assert (coarse["symbol"] != INDEX_TICKER).all()
    # Coarse factors are the factor files' factors for that date; dollar volume = close x volume.
    one = market.tickers[0]
    rows = coarse[coarse["sid"].str.split(" ").str[0] == market.first_tickers[0]].set_index("date")
    factors = formats.read_factor_file(formats.factor_file_path(folder, one))
    expected = formats.adjustment_factors(factors, rows.index)
    np.testing.assert_allclose(rows["price_factor"] * rows["split_factor"], expected, rtol=1e-6)
    np.testing.assert_allclose(rows["dollar_volume"], np.floor(rows["close"] * rows["volume"]), rtol=1e-9, atol=1)


# --- survivorship: delistings, renames ---------------------------------------------------------------


@pytest.fixture(scope="module")
def eventful(tmp_path_factory) -> tuple[Path, object]:
    """More stocks and years, cheap splits and frequent renames, so every event kind occurs."""
    folder = tmp_path_factory.mktemp("eventful")
    config = SyntheticMarketConfig(
        n_stocks=80, years=4, seed=3, split_price=40.0, rename_fraction=0.2, merger_rate=0.05, jobs=1
    )
    return folder, write_market(folder, config, quiet=True)


def test_delisted_stocks_end_their_map_files_and_data(eventful):
    folder, market = eventful
    delisted = np.flatnonzero(market.delisted)
    assert len(delisted) >= 3
    for i in delisted:
        mapping = formats.read_map_file(formats.map_file_path(folder, market.tickers[i]))
        bars = stock_bars(folder, market.tickers[i])
        assert mapping.index[-1] == bars.index[-1] < market.dates[-1]
        assert mapping.index[0] == bars.index[0]
    survivors = np.flatnonzero(~market.delisted)
    mapping = formats.read_map_file(formats.map_file_path(folder, market.tickers[survivors[0]]))
    assert mapping.index[-1] == pd.Timestamp("2050-12-31")
    # No coarse rows after a delisting.
    i = delisted[0]
    after = market.dates[market.delist_index[i] + 1 :]
    if len(after):
        coarse = formats.read_coarse(formats.coarse_path(folder, after[0]))
        assert market.tickers[i] not in set(coarse["symbol"])


def test_delisted_stocks_are_more_often_losers():
    market = generate_market(SyntheticMarketConfig(n_stocks=400, years=8, seed=21))
    total = np.nansum(market.log_return, axis=0)
    assert market.delisted.sum() >= 30
    assert total[market.delisted].mean() < total[~market.delisted].mean() - 0.2


def test_renamed_stocks_have_a_ticker_history(eventful):
    folder, market = eventful
    renamed = np.flatnonzero(market.rename_index >= 0)
    assert len(renamed) >= 3
    for i in renamed:
        mapping = formats.read_map_file(formats.map_file_path(folder, market.tickers[i]))
        assert list(mapping["ticker"]) == [
            market.first_tickers[i].lower(),
            market.first_tickers[i].lower(),
            market.tickers[i].lower(),
        ]
        assert mapping.index[1] == market.dates[market.rename_index[i] - 1]
        day_before = formats.read_coarse(formats.coarse_path(folder, mapping.index[1]))
        day_of = formats.read_coarse(formats.coarse_path(folder, market.dates[market.rename_index[i]]))
        sid = equity_sid(market.first_tickers[i], market.dates[market.list_index[i]])
        assert day_before.loc[day_before["sid"] == sid, "symbol"].item() == market.first_tickers[i]
        assert day_of.loc[day_of["sid"] == sid, "symbol"].item() == market.tickers[i]


def test_a_renamed_stock_has_one_zip_per_ticker_and_reads_whole_through_its_map_file(eventful):
    folder, market = eventful
    renamed = np.flatnonzero(market.rename_index >= 0)
    for i in renamed:
        first, rename, last = market.list_index[i], market.rename_index[i], market.delist_index[i]
        old = formats.read_equity_daily(formats.equity_daily_path(folder, market.first_tickers[i]))
        new = formats.read_equity_daily(formats.equity_daily_path(folder, market.tickers[i]))
        # LEAN's layout: each ticker's zip holds the days it was in effect
        assert old.index[0] == market.dates[first] and old.index[-1] == market.dates[rename - 1]
        assert new.index[0] == market.dates[rename] and new.index[-1] == market.dates[last]
        # the map file joins them back into the bars the single zip held before the split
        bars = stock_bars(folder, market.tickers[i])
        assert bars.index.equals(market.dates[first : last + 1])
        for column in ("open", "high", "low", "close", "volume"):
            np.testing.assert_allclose(bars[column].to_numpy(), getattr(market, column)[first : last + 1, i])
    # the sid in the coarse files finds the same map file (LEAN's MapFileResolver)
    resolver = map_files.load_resolver(folder)
    i = renamed[0]
    sid = equity_sid(market.first_tickers[i], market.dates[market.list_index[i]])
    assert resolver.resolve_sid(sid).permtick == market.tickers[i]
    assert resolver.resolve(market.first_tickers[i]).permtick == market.tickers[i]


# --- splits and dividends ----------------------------------------------------------------------------


def test_splits_appear_in_factor_files_and_adjusted_prices_are_continuous(eventful):
    folder, market = eventful
    splits = market.split_events
    assert (splits["ratio"] > 1).sum() >= 3
    for row in splits.itertuples():
        ticker = market.tickers[row.stock]
        factors = formats.read_factor_file(formats.factor_file_path(folder, ticker))
        day_before = market.dates[row.date_index - 1]
        assert day_before in factors.index
        position = factors.index.get_loc(day_before)
        ratio = factors["split_factor"].iloc[position + 1] / factors["split_factor"].iloc[position]
        assert ratio == pytest.approx(row.ratio, rel=1e-6)
        raw = market.close[:, row.stock]
        raw_jump = raw[row.date_index] / raw[row.date_index - 1]
        adjusted = adjusted_close(folder, ticker)
        adj_jump = adjusted[market.dates[row.date_index]] / adjusted[day_before]
        model = np.exp(market.log_return[row.date_index, row.stock])
        assert adj_jump == pytest.approx(model, rel=2e-3)  # 4-decimal prices, 7-decimal factors
        assert raw_jump == pytest.approx(model / row.ratio, rel=0.2)


def test_adjusted_returns_equal_model_total_returns(eventful):
    folder, market = eventful
    for i in range(0, market.config.n_stocks, 7):
        adjusted = adjusted_close(folder, market.tickers[i])
        first, last = market.list_index[i], market.delist_index[i]
        model = market.log_return[first + 1 : last + 1, i]
        bigger = market.close[first:last, i] > 5  # rounding to $0.0001 dominates on penny prices
        np.testing.assert_allclose(np.diff(np.log(adjusted.to_numpy()))[bigger], model[bigger], atol=2e-4)


def test_dividends_lower_the_price_factor_by_the_dividend_yield(eventful):
    folder, market = eventful
    event = market.dividend_events.iloc[len(market.dividend_events) // 2]
    stock, t = int(event.stock), int(event.date_index)
    factors = formats.read_factor_file(formats.factor_file_path(folder, market.tickers[stock]))
    position = factors.index.get_loc(market.dates[t - 1])
    ratio = factors["price_factor"].iloc[position] / factors["price_factor"].iloc[position + 1]
    reference = factors["reference_price"].iloc[position]
    assert reference == pytest.approx(market.close[t - 1, stock], abs=1e-4)
    assert ratio == pytest.approx(1 - event.amount / market.close[t - 1, stock], abs=2e-6)


# --- VIX, SPY and the planted effects ----------------------------------------------------------------


def test_vix_tracks_realized_market_volatility():
    market = generate_market(SyntheticMarketConfig(n_stocks=100, years=6, seed=4))
    spy_returns = np.log(market.spy["close"]).diff()
    realized = spy_returns.rolling(21).std() * np.sqrt(252) * 100
    both = pd.concat([realized, market.vix["close"]], axis=1).dropna()
    assert np.corrcoef(both.to_numpy().T)[0, 1] > 0.5
    assert 10 < market.vix["close"].median() < 30


def test_spy_is_the_cap_weighted_market():
    market = generate_market(SyntheticMarketConfig(n_stocks=100, years=3, seed=8))
    spy = np.log(market.spy["close"].to_numpy())
    equal = np.nanmean(market.log_return[1:], axis=1)  # row 0 is every stock's listing day: no return
    assert np.corrcoef(np.diff(spy), equal)[0, 1] > 0.8
    assert market.spy_factors.index[-1] == pd.Timestamp("2050-12-31")
    assert (np.diff(market.spy_factors["price_factor"].to_numpy()) >= 0).all()


def reversal_ic(strength: float) -> tuple[float, float]:
    """Rank IC of the 3-day return with the traded 6-day return, and its t (``lean_local.data.facts``)."""
    market = generate_market(SyntheticMarketConfig(n_stocks=150, years=6, seed=9, reversal_strength=strength))
    got = facts.stylized_facts(facts.market_panel(market))
    return got["reversal_ic"], got["reversal_ic_t"]


def test_reversal_strength_zero_has_no_short_horizon_structure_and_a_strong_one_reverses():
    ic, t = reversal_ic(0.0)
    assert abs(t) < 2.0
    ic, t = reversal_ic(0.6)
    assert ic < -0.06 and t < -5


# --- calibration against real US equities (issue 15; bands in lean_local.data.facts) --------------------

# Facts that do not depend on the number of stocks, measured on a smaller market of the default's length.
SIZE_FREE_FACTS = (
    "excess_kurtosis", "return_autocorrelation_1", "abs_return_autocorrelation_1", "abs_return_autocorrelation_20",
    "market_r_squared", "mean_pairwise_correlation", "log_volume_autocorrelation_1", "log_volume_autocorrelation_20",
    "reversal_ic", "decile_spread",
)


@pytest.mark.parametrize("seed", [7, 3])
def test_calibrated_default_is_inside_every_real_equity_band(seed):
    market = generate_market(dataclasses.replace(SyntheticMarketConfig(), n_stocks=600, seed=seed))
    got = facts.stylized_facts(facts.market_panel(market))
    outside = {name: round(got[name], 4) for name in SIZE_FREE_FACTS if facts.band_verdict(name, got[name]) != "in"}
    assert outside == {}


def test_default_market_lists_3000_names_with_real_dollar_volumes():
    """The full default: at least 3,000 names every day; dollar volume at ranks 100 and 250 within 50% of
    the 2014-03-24 coarse file's ($427 M, $208 M)."""
    market = generate_market(SyntheticMarketConfig())
    listed = np.isfinite(market.close).sum(axis=1)
    assert listed.min() >= 3000
    ranks = facts.values_at_ranks(market.close * market.volume, (100, 250))
    for k, column in zip((100, 250), ranks.T, strict=True):
        assert facts.band_verdict(f"dollar_volume_rank_{k}", float(np.median(column))) == "in"


def test_null_market_has_no_traded_reversal():
    """Without the planted effect the 3-day return does not rank the traded 6-day return (an IC that is not
    significant, and small), although close-to-close returns keep their small negative lag-1 autocorrelation
    (the closes' transient noise, which the next open does not carry)."""
    market = generate_market(SyntheticMarketConfig.null_market(n_stocks=600))
    got = facts.stylized_facts(facts.market_panel(market))
    assert abs(got["reversal_ic_t"]) < 2.0
    assert abs(got["reversal_ic"]) < 0.01
    assert facts.band_verdict("return_autocorrelation_1", got["return_autocorrelation_1"]) == "in"


def monthly_momentum_t(momentum: float) -> float:
    market = generate_market(SyntheticMarketConfig(n_stocks=5, years=20, seed=2, fx_momentum=momentum, fx_reversion=0.0))
    rows = []
    for pair in FX_PAIRS:
        month_end = np.log(market.fx[pair]["bid_close"].resample("ME").last())
        y = month_end.diff()
        mom = month_end.shift(1) - month_end.shift(4)
        rows.append(pd.concat([y, mom], axis=1, keys=["y", "mom"]).dropna())
    data = pd.concat(rows)
    fit = sm.OLS(data["y"], sm.add_constant(data["mom"])).fit()
    return float(fit.tvalues["mom"])


def test_fx_monthly_momentum_is_found_only_when_switched_on():
    assert monthly_momentum_t(0.3) > 3.0
    assert abs(monthly_momentum_t(0.0)) < 2.5


# --- folder safety and the command line --------------------------------------------------------------


def test_refuses_a_folder_with_other_data(tmp_path):
    (tmp_path / "equity").mkdir()
    (tmp_path / "equity" / "real.csv").write_text("x")
    with pytest.raises(FileExistsError, match="synthetic"):
        write_market(tmp_path, SyntheticMarketConfig(n_stocks=3, years=0.2, jobs=1), quiet=True)


def test_regenerating_replaces_the_previous_market(tmp_path):
    write_market(tmp_path, SyntheticMarketConfig(n_stocks=6, years=0.3, seed=1, jobs=1), quiet=True)
    market = write_market(tmp_path, SyntheticMarketConfig(n_stocks=4, years=0.3, seed=2, jobs=1), quiet=True)
    zips = {p.stem for p in (tmp_path / "equity" / "usa" / "daily").glob("*.zip")}
    assert zips == {t.lower() for t in market.tickers} | {INDEX_TICKER.lower()}


def test_cli_synthetic_command_writes_a_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CI", "1")
    parser = argparse.ArgumentParser(prog="lean-local data")
    register(parser.add_subparsers(dest="command"))
    target = tmp_path / "out"
    args = parser.parse_args(
        ["synthetic", "--stocks", "5", "--years", "0.5", "--seed", "3", "--reversal-strength", "0",
         "--fx-momentum", "0.2", "--fx-reversion", "0.1", "--jobs", "1", "--data-folder", str(target)]
    )
    assert args.func(args) == 0
    marker = json.loads((target / MARKER_FILE).read_text())
    assert marker["config"]["reversal_strength"] == 0.0 and marker["config"]["fx_momentum"] == 0.2
    assert "synthetic market written" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        parser.parse_args(["synthetic", "--help"])
    assert "lean-local data synthetic --stocks" in capsys.readouterr().out
