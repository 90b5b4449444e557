"""Pair selection: a synthetic cointegrated pair of known half-life is found and its half-life
recovered out of sample; independent random walks are rejected (fixed seeds)."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import coint

from shared.cointegration import assess_pair, screen_pairs

DAYS = pd.bdate_range("2010-01-01", periods=3000)
FORMATION_END = DAYS[1999]


def cointegrated_pair(seed: int, half_life: float = 10.0, beta: float = 1.5) -> pd.DataFrame:
    """``x`` a random walk; ``y = beta x + 5 + s`` with ``s`` AR(1) of the given half-life."""
    rng = np.random.default_rng(seed)
    x = 50 + np.cumsum(rng.normal(0, 1.0, len(DAYS)))
    phi = 0.5 ** (1 / half_life)
    s = np.zeros(len(DAYS))
    for t in range(1, len(DAYS)):
        s[t] = phi * s[t - 1] + rng.normal(0, 1.0)
    return pd.DataFrame({"Y": beta * x + 5 + s, "X": x}, index=DAYS)


def test_a_cointegrated_pair_is_found_and_its_half_life_recovered():
    prices = cointegrated_pair(1)
    result = assess_pair(prices["Y"], prices["X"], FORMATION_END)
    assert result.selected and result.reason == ""
    assert result.eg_pvalue < 0.01
    assert result.beta == pytest.approx(1.5, rel=0.02)
    assert result.half_life_validation == pytest.approx(10.0, rel=0.2)
    # the statistic is statsmodels' own Engle-Granger test on the formation window
    tstat, pvalue, _ = coint(prices["Y"].loc[:FORMATION_END], prices["X"].loc[:FORMATION_END])
    assert (result.eg_tstat, result.eg_pvalue) == (pytest.approx(tstat), pytest.approx(pvalue))


def test_independent_random_walks_are_rejected():
    rng = np.random.default_rng(2)
    walks = pd.DataFrame(50 + np.cumsum(rng.normal(0, 1.0, (len(DAYS), 2)), axis=0), index=DAYS, columns=["A", "B"])
    result = assess_pair(walks["A"], walks["B"], FORMATION_END)
    assert not result.selected and result.eg_pvalue > 0.05
    assert result.reason.startswith("not cointegrated")


def test_a_slow_spread_fails_the_half_life_range():
    prices = cointegrated_pair(3, half_life=80.0)
    result = assess_pair(prices["Y"], prices["X"], FORMATION_END, half_life_range=(2.0, 30.0))
    assert not result.selected
    assert "half-life" in result.reason or "not cointegrated" in result.reason


def test_screen_reports_every_ordered_candidate():
    prices = cointegrated_pair(4)
    prices["Z"] = 50 + np.cumsum(np.random.default_rng(5).normal(0, 1.0, len(DAYS)))
    table = screen_pairs(prices, FORMATION_END)
    assert len(table) == 6 and set(zip(table["y"], table["x"], strict=True)) == {
        ("Y", "X"), ("X", "Y"), ("Y", "Z"), ("Z", "Y"), ("X", "Z"), ("Z", "X")}
    assert table["eg_pvalue"].is_monotonic_increasing
    assert set(table.loc[table["selected"], "y"] + "/" + table.loc[table["selected"], "x"]) <= {"Y/X", "X/Y"}


def test_short_windows_are_refused():
    prices = cointegrated_pair(6)
    with pytest.raises(ValueError, match="need 30 rows"):
        assess_pair(prices["Y"], prices["X"], DAYS[10])
