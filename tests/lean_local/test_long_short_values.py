"""``long_short_values``: the summed long and short holdings values, each the pairwise sum of the
positive (negative) column values in column order, whether every position is long or not."""

from __future__ import annotations

import numpy as np
import pytest

from lean_local.engine.portfolio import SecurityPortfolioManager


class _Values:
    """The members long_short_values reads: the step's signed value per column, and what its cache of the
    sums is keyed by (nothing computed yet)."""

    def __init__(self, values: np.ndarray, held: float | None = None) -> None:
        self._values = values
        self._values_number, self._version, self._long_short_basis = 1, 0, None
        # the portfolio value's sum of these values when ``held`` is given (same basis), else none yet
        self._tpv_basis, self._held, self._any_cash_based = (None, 0.0, False) if held is None else ((1, 0), held, False)

    def _shared_values(self) -> np.ndarray:
        return self._values


@pytest.mark.parametrize("signs", ["long", "mixed", "flat", "empty", "nan"])
def test_long_short_values_sum_the_positive_and_negative_values_in_order(signs):
    rng = np.random.default_rng(7)
    values = rng.uniform(0.1, 1e6, 1001) * (1 + 1e-9 * rng.standard_normal(1001))
    if signs == "mixed":
        values[::3] *= -1
        values[1::7] = 0.0
    elif signs == "flat":
        values[:] = 0.0
    elif signs == "empty":
        values = values[:0]
    elif signs == "nan":  # no value is long then: NaN is neither above nor below zero
        values[5] = np.nan
    long_value, short_value = SecurityPortfolioManager.long_short_values(_Values(values))  # type: ignore[arg-type]
    assert long_value == float(values[values > 0].sum())
    assert short_value == float(values[values < 0].sum())
    if signs == "long":
        assert short_value == 0.0 and long_value == pytest.approx(values.sum())
    if signs == "flat":
        assert (long_value, short_value) == (0.0, 0.0)


def test_an_all_long_book_takes_the_portfolio_values_sum_of_the_same_values():
    """Every value long: the long sum is the one the portfolio value summed (the same pairwise sum of the
    same array), taken as it is; a stale basis (another step's values) is summed again."""
    values = np.array([3.0, 1e-3, 7.5])
    assert SecurityPortfolioManager.long_short_values(_Values(values, held=123.0)) == (123.0, 0.0)  # type: ignore[arg-type]
    stale = _Values(values, held=123.0)
    stale._tpv_basis = (0, 0)
    assert SecurityPortfolioManager.long_short_values(stale) == (float(values.sum()), 0.0)  # type: ignore[arg-type]
