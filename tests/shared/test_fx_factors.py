"""FX reversal/momentum factors: hand values, statsmodels as the regression oracle, no look-ahead."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.fx_factors import (
    MODEL_KEY,
    FxFactorModel,
    daily_closes_from_history,
    factor_table,
    fit_fx_factor_model,
    month_end_log_prices,
    select_positions,
)

PAIRS = ["EURUSD", "GBPUSD", "USDCAD", "USDJPY"]
LEVELS = [1.2, 1.5, 1.3, 110.0]


def _daily_prices(seed: int, start="2008-01-01", end="2016-12-31") -> pd.DataFrame:
    """Weekday prices of four pairs, a geometric random walk with 2% missing days."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, end)
    logs = np.log(LEVELS) + np.cumsum(rng.normal(0, 0.006, (len(dates), len(PAIRS))), axis=0)
    prices = pd.DataFrame(np.exp(logs), index=dates, columns=PAIRS)
    prices[rng.random(prices.shape) < 0.02] = np.nan
    return prices


# ---------------------------------------------------------------------------- month ends


def test_month_end_uses_the_last_price_of_each_completed_month():
    dates = pd.to_datetime(
        ["2020-01-30", "2020-01-31", "2020-02-27", "2020-02-28", "2020-03-02", "2020-03-03"]
    )
    prices = pd.DataFrame({"A": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0]}, index=dates)
    x = month_end_log_prices(prices)
    # March has not ended at the last date (2020-03-03): no March row
    assert list(x.index) == list(pd.to_datetime(["2020-01-31", "2020-02-29"]))
    np.testing.assert_allclose(x["A"], np.log([2.0, 3.0]))  # Feb 28 missing: Feb 27's price
    assert list(month_end_log_prices(prices, as_of="2020-04-01").index)[-1] == pd.Timestamp("2020-03-31")
    assert list(month_end_log_prices(prices, as_of="2020-02-15").index) == [pd.Timestamp("2020-01-31")]
    # a last date on the month's last day is not proof that the month is over
    assert month_end_log_prices(prices.loc[:"2020-01-31"]).empty


def test_month_end_rejects_non_positive_prices():
    prices = pd.DataFrame({"A": [1.0, 0.0]}, index=pd.to_datetime(["2020-01-02", "2020-02-03"]))
    with pytest.raises(ValueError):
        month_end_log_prices(prices)


# ---------------------------------------------------------------------------- factors


def test_factor_values_by_hand():
    logs = [0.0, 0.1, 0.3, 0.2, 0.5, 0.4]
    x = pd.DataFrame({"P": logs}, index=pd.date_range("2020-01-31", periods=6, freq="ME"))
    mu = pd.Series({"P": 0.25})  # mean of logs
    sigma = pd.Series({"P": np.std(logs, ddof=1)})
    table = factor_table(x, mu, sigma).xs("P", level="pair")
    # month 4 (x = 0.5): reversal from x_3 = 0.2, momentum x_3 - x_0 = 0.2, target 0.5 - 0.2
    row = table.iloc[4]
    assert row["reversal"] == pytest.approx((0.2 - 0.25) / sigma["P"], rel=1e-12)
    assert row["momentum"] == pytest.approx(0.2, rel=1e-12)
    assert row["target"] == pytest.approx(0.3, rel=1e-12)
    # month 5 (x = 0.4): momentum x_4 - x_1 = 0.4, target -0.1
    assert table.iloc[5]["momentum"] == pytest.approx(0.4, rel=1e-12)
    assert table.iloc[5]["target"] == pytest.approx(-0.1, rel=1e-12)
    # momentum needs J + 1 earlier months; reversal and target need one
    assert table["momentum"].isna().tolist() == [True] * 4 + [False] * 2
    assert table["target"].isna().tolist() == [True] + [False] * 5


def test_fit_uses_log_prices_not_price_differences():
    # the same relative moves at two price scales give the same factors
    x = month_end_log_prices(_daily_prices(0))
    shifted = x.copy()
    shifted["USDJPY"] = x["USDJPY"] + np.log(1000.0)
    a, b = fit_fx_factor_model(x), fit_fx_factor_model(shifted)
    for k in a.params:
        assert a.params[k] == pytest.approx(b.params[k], rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------- regression


def test_regression_equals_statsmodels_on_the_same_rows():
    prices = _daily_prices(1)
    x = month_end_log_prices(prices)
    # plant outliers that the 3-sigma screen must remove
    x.iloc[40:, 0] += 0.25
    x.iloc[70:, 2] -= 0.3
    model = fit_fx_factor_model(x)

    # independent construction: one pair at a time, a formula regression
    frames = []
    for pair in x.columns:
        s = x[pair]
        mu, sigma = s.mean(), s.std()
        frames.append(
            pd.DataFrame(
                {
                    "y": s - s.shift(1),
                    "rev": (s.shift(1) - mu) / sigma,
                    "mom": s.shift(1) - s.shift(4),
                }
            ).dropna()
        )
    rows = pd.concat(frames)
    z = (rows["y"] - rows["y"].mean()) / rows["y"].std()
    rows = rows[z.abs() <= 3]
    oracle = smf.ols("y ~ rev + mom", data=rows).fit()

    assert model.n_outliers >= 2
    assert model.n_obs == len(rows) == int(oracle.nobs)
    for ours, theirs in (("const", "Intercept"), ("reversal", "rev"), ("momentum", "mom")):
        assert model.params[ours] == pytest.approx(oracle.params[theirs], rel=1e-9)
        assert model.tvalues[ours] == pytest.approx(oracle.tvalues[theirs], rel=1e-9)
    assert model.rsquared == pytest.approx(oracle.rsquared, rel=1e-9)
    assert model.mu["EURUSD"] == pytest.approx(x["EURUSD"].mean(), rel=1e-12)
    assert model.sigma["USDJPY"] == pytest.approx(x["USDJPY"].std(ddof=1), rel=1e-12)


def test_predictions_follow_the_fitted_equation():
    x = month_end_log_prices(_daily_prices(2))
    model = fit_fx_factor_model(x)
    pred = model.predict_next(x)
    p = model.params
    for pair in x.columns:
        rev = (x[pair].iloc[-1] - model.mu[pair]) / model.sigma[pair]
        mom = x[pair].iloc[-1] - x[pair].iloc[-4]
        assert pred[pair] == pytest.approx(p["const"] + p["reversal"] * rev + p["momentum"] * mom, rel=1e-12)
    extra = x.assign(AUDUSD=x["EURUSD"])
    assert np.isnan(model.predict_next(extra)["AUDUSD"])


def test_model_json_round_trip():
    model = fit_fx_factor_model(month_end_log_prices(_daily_prices(3)))
    text = model.to_json()
    back = FxFactorModel.from_json(text)
    assert back == model
    assert back.to_json() == text
    assert MODEL_KEY == "fx_momentum_reversion/model.json"
    assert back.pairs == tuple(PAIRS) and back.momentum_months == 3


# ---------------------------------------------------------------------------- selection


def test_selection_long_best_short_worst_when_signs_are_mixed():
    w = select_positions(pd.Series({"A": 0.01, "B": -0.02, "C": 0.03, "D": np.nan}), leverage=2.0)
    assert w.to_dict() == {"A": 0.0, "B": -1.0, "C": 1.0, "D": 0.0}


def test_selection_long_only_when_all_positive():
    w = select_positions(pd.Series({"A": 0.01, "B": 0.02, "C": 0.005}), leverage=2.0)
    assert w.to_dict() == {"A": 0.0, "B": 2.0, "C": 0.0}


def test_selection_short_only_when_all_negative():
    w = select_positions(pd.Series({"A": -0.01, "B": -0.02, "C": -0.005}))
    assert w.to_dict() == {"A": 0.0, "B": -1.0, "C": 0.0}


def test_selection_edge_cases():
    assert (select_positions(pd.Series({"A": np.nan, "B": np.nan})) == 0).all()
    assert (select_positions(pd.Series({"A": 0.0, "B": 0.0})) == 0).all()
    with pytest.raises(ValueError):
        select_positions(pd.Series({"A": 1.0}), leverage=0.0)


# ---------------------------------------------------------------------------- no look-ahead


_BASE_PRICES = _daily_prices(4)
_FIT_MODEL = fit_fx_factor_model(month_end_log_prices(_BASE_PRICES.loc[:"2011-12-31"], as_of="2012-01-01"))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    month=st.integers(min_value=50, max_value=100),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    scale=st.floats(min_value=0.01, max_value=5.0),
)
def test_changing_later_prices_leaves_the_rebalance_unchanged(month, seed, scale):
    # rebalance on the first weekday of a month, using everything up to that moment
    rebalance = pd.Timestamp("2012-01-01") + pd.DateOffset(months=month - 48)
    rebalance = pd.bdate_range(rebalance, periods=1)[0]
    rng = np.random.default_rng(seed)
    changed = _BASE_PRICES.copy()
    later = changed.index >= rebalance
    changed.loc[later] *= np.exp(rng.normal(0, scale, (later.sum(), len(PAIRS))))

    def decision(prices):
        x = month_end_log_prices(prices, as_of=rebalance)
        table = factor_table(x, pd.Series(_FIT_MODEL.mu), pd.Series(_FIT_MODEL.sigma))
        pred = _FIT_MODEL.predict_next(x)
        return x, table, pred, select_positions(pred)

    # the full panel with altered later prices gives the same month ends, factors and decision
    for a, b in zip(decision(_BASE_PRICES), decision(changed), strict=True):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        else:
            pd.testing.assert_series_equal(a, b)
    # and the latest month used is the one that ended just before the rebalance
    previous_month_end = (rebalance.to_period("M") - 1).to_timestamp(how="end").normalize()
    assert decision(changed)[0].index[-1] == previous_month_end


# ---------------------------------------------------------------------------- LEAN sample data


def _oanda_mid_closes(folder, pairs):
    closes = {}
    for pair in pairs:
        raw = pd.read_csv(folder / "forex" / "oanda" / "daily" / f"{pair.lower()}.zip", header=None)
        dates = pd.to_datetime(raw[0].str[:8], format="%Y%m%d")
        closes[pair] = pd.Series(((raw[4] + raw[9]) / 2).to_numpy(), index=dates)
    return pd.DataFrame(closes)


def test_on_lean_sample_forex_data(lean_data_folder):
    pairs = ["EURUSD", "GBPUSD", "EURGBP", "NZDUSD"]
    prices = _oanda_mid_closes(lean_data_folder, pairs).loc[:"2014-12-31"]
    x = month_end_log_prices(prices, as_of="2015-01-01")
    # independent month ends: the last dated row of each (year, month)
    last = prices.groupby([prices.index.year, prices.index.month]).tail(1)
    np.testing.assert_allclose(x.to_numpy(), np.log(last.to_numpy()), rtol=1e-14)
    assert x.index[0] == pd.Timestamp("2007-01-31") and x.index[-1] == pd.Timestamp("2014-12-31")
    model = fit_fx_factor_model(x)
    assert model.n_obs + model.n_outliers == len(pairs) * (len(x) - 4)
    assert set(model.params) == {"const", "reversal", "momentum"}
    pred = model.predict_next(x)
    assert pred.notna().all()
    weights = select_positions(pred)
    assert weights.abs().sum() == pytest.approx(1.0) and (weights != 0).sum() in (1, 2)


def test_daily_closes_from_history_labels_bars_by_their_own_date():
    # LEAN's forex daily bar for UTC day D ends at D+1 00:00 UTC, 19:00 (20:00 in summer) New York on D.
    ends = pd.to_datetime(["2024-01-01 19:00", "2024-01-02 19:00", "2024-01-02 19:00"])
    history = pd.DataFrame(
        {"close": [1.10, 1.11, 150.0]},
        index=pd.MultiIndex.from_arrays([["eur", "eur", "jpy"], ends], names=["symbol", "time"]),
    )
    closes = daily_closes_from_history(history, {"jpy": "USDJPY", "eur": "EURUSD"})
    assert list(closes.columns) == ["USDJPY", "EURUSD"]
    assert list(closes.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]
    assert closes.loc["2024-01-01", "EURUSD"] == 1.10
    assert closes.loc["2024-01-02", "USDJPY"] == 150.0
    assert np.isnan(closes.loc["2024-01-01", "USDJPY"])
