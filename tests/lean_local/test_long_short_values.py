"""``long_short_values``: the summed long and short holdings values, each the pairwise sum of the
positive (negative) column values in column order, whether every position is long or not."""

from __future__ import annotations

import numpy as np
import pytest

from lean_local.engine.portfolio import SecurityPortfolioManager


class _Values:
    """The members long_short_values reads: the step's signed value per column, and what its cache of the
    sums is keyed by (nothing computed yet)."""

    def __init__(self, values: np.ndarray) -> None:
        self._values = values
        self._values_number, self._version, self._long_short_basis = 1, 0, None

    def _shared_values(self) -> np.ndarray:
        return self._values


@pytest.mark.parametrize("signs", ["long", "mixed", "flat", "empty"])
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
    long_value, short_value = SecurityPortfolioManager.long_short_values(_Values(values))  # type: ignore[arg-type]
    assert long_value == float(values[values > 0].sum())
    assert short_value == float(values[values < 0].sum())
    if signs == "long":
        assert short_value == 0.0 and long_value == pytest.approx(values.sum())
    if signs == "flat":
        assert (long_value, short_value) == (0.0, 0.0)
