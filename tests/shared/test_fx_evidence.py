"""FX factor evidence: the numpy fast path equals the pandas definitions, statsmodels as the OLS
oracle, point-in-time standardisation, and the bootstrap null on known data (fixed seeds)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from shared.fx_evidence import (
    _factor_arrays,
    _tvalues,
    bootstrap_null,
    evidence_table,
    expanding_standardisation,
    factor_rows,
    ols_tvalues,
    pooled_regression,
    screen_rows,
)

PAIRS = ["EURUSD", "GBPUSD", "USDCAD", "USDJPY"]


def _months(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2000-01-31", periods=n, freq="ME")


def random_walks(seed: int, n: int = 120) -> pd.DataFrame:
    """Month-end log prices of four correlated random walks (no reversal, no momentum)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 0.02, (n, 1))
    steps = 0.7 * common + rng.normal(0, 0.02, (n, len(PAIRS)))
    return pd.DataFrame(np.log([1.2, 1.5, 1.3, 110.0]) + np.cumsum(steps, axis=0), index=_months(n), columns=PAIRS)


def mean_reverting(seed: int, n: int = 120, phi: float = 0.7) -> pd.DataFrame:
    """Log prices that are AR(1) around fixed levels: a month's deviation keeps ``phi`` of itself."""
    rng = np.random.default_rng(seed)
    deviation = np.zeros((n, len(PAIRS)))
    for t in range(1, n):
        deviation[t] = phi * deviation[t - 1] + rng.normal(0, 0.03, len(PAIRS))
    return pd.DataFrame(np.log([1.2, 1.5, 1.3, 110.0]) + deviation, index=_months(n), columns=PAIRS)


@pytest.mark.parametrize("standardisation", ["full", "expanding"])
def test_numpy_rows_equal_the_pandas_definition(standardisation):
    x = random_walks(1)
    rows = factor_rows(x, standardisation, momentum_months=3, min_months=24)
    fast = _factor_arrays(x.to_numpy(), standardisation, 3, 24)
    np.testing.assert_allclose(fast, rows[["reversal", "momentum", "target"]].to_numpy(), rtol=1e-9, atol=1e-12)


def test_ols_tvalues_equal_statsmodels():
    rng = np.random.default_rng(3)
    design = np.column_stack([np.ones(200), rng.normal(size=(200, 2))])
    target = design @ [0.1, -0.3, 0.2] + rng.normal(size=200)
    np.testing.assert_allclose(ols_tvalues(design, target), sm.OLS(target, design).fit().tvalues, rtol=1e-10)


@pytest.mark.parametrize("screen", [("target",), ("target", "reversal", "momentum")])
def test_fast_tvalues_equal_the_pooled_regression(screen):
    x = random_walks(2)
    rows = factor_rows(x, "full")
    fit = pooled_regression(rows, screen_rows(rows, 2.0, screen))
    fast = _tvalues(x.to_numpy(), "full", screen, 2.0, 3, 24)
    np.testing.assert_allclose(fast, [fit.tvalues[k] for k in ("const", "reversal", "momentum")], rtol=1e-9)
    assert fit.n_obs + fit.n_dropped == len(rows) and fit.n_dropped > 0


def test_screen_on_every_column_drops_extreme_regressors():
    rows = pd.DataFrame({"reversal": [0.0] * 20 + [50.0], "momentum": [0.0, 1.0] * 10 + [0.0],
                         "target": [0.0, 1.0] * 10 + [0.5]})
    assert screen_rows(rows, 3.0, ("target",)).all()
    assert screen_rows(rows, 3.0, ("target", "reversal", "momentum")).tolist() == [True] * 20 + [False]


def test_clustered_errors_equal_statsmodels_cluster_by_month():
    x = random_walks(4)
    rows = factor_rows(x, "full")
    keep = screen_rows(rows)
    fit = pooled_regression(rows, keep)
    used = rows.loc[keep]
    groups = pd.factorize(used.index.get_level_values("month"))[0]
    oracle = sm.OLS(used["target"], sm.add_constant(used[["reversal", "momentum"]])).fit(
        cov_type="cluster", cov_kwds={"groups": groups})
    assert fit.tvalues_clustered["reversal"] == pytest.approx(oracle.tvalues["reversal"], rel=1e-12)
    assert fit.n_months == len(np.unique(groups))


def test_expanding_standardisation_uses_only_earlier_months():
    x = random_walks(5, n=60)
    mu, sigma = expanding_standardisation(x, min_months=12)
    assert mu.iloc[:12].isna().all().all() and mu.iloc[12:].notna().all().all()
    assert mu.iloc[30]["USDJPY"] == pytest.approx(x["USDJPY"].iloc[:30].mean())
    assert sigma.iloc[30]["EURUSD"] == pytest.approx(x["EURUSD"].iloc[:30].std(ddof=1))
    changed = x.copy()
    changed.iloc[40:] += 1.0  # the future moves: nothing known at month 40 may change
    mu2, sigma2 = expanding_standardisation(changed, min_months=12)
    pd.testing.assert_frame_equal(mu.iloc[:41], mu2.iloc[:41])
    pd.testing.assert_frame_equal(sigma.iloc[:41], sigma2.iloc[:41])


def test_bootstrap_null_shows_the_in_sample_mean_bias_and_is_deterministic():
    x = random_walks(6)
    full = bootstrap_null(x, n_boot=300, seed=11)
    # random walks against their own window mean look mean-reverting: t centred well below 0 ...
    assert full[:, 1].mean() < -1.0
    # ... while a point-in-time standardisation has no such pull
    expanding = bootstrap_null(x, n_boot=300, seed=11, standardisation="expanding")
    assert abs(expanding[:, 1].mean()) < 0.5
    np.testing.assert_array_equal(full, bootstrap_null(x, n_boot=300, seed=11))
    broken = x.copy()
    broken.iloc[5, 0] = np.nan
    with pytest.raises(ValueError, match="every pair's price"):
        bootstrap_null(broken, n_boot=2)


def test_evidence_table_finds_real_reversal_and_not_a_random_walk():
    planted = evidence_table(mean_reverting(7), n_boot=199, seed=0)
    reversal = planted.query("factor == 'reversal'")
    assert (reversal["p_boot"] <= 0.01).all() and (reversal["t"] < reversal["null_q05_t"]).all()
    walk = evidence_table(random_walks(8), n_boot=199, seed=0)
    full = walk.query("factor == 'reversal' and standardisation == 'full'")
    # a conventional t that looks significant on a random walk, which the bootstrap does not accept
    assert (full["null_mean_t"] < -1.0).all() and (full["p_boot"] > 0.05).all()
    assert set(walk.columns) >= {"coef", "t", "t_clustered", "null_q05_t", "p_boot", "rows", "dropped"}
    assert len(walk) == 8
