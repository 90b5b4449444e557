"""Portfolio optimizers: ``optimize(historical_returns, expected_returns=None, covariance=None)``
returns one weight per column of ``historical_returns`` (rows are dates).

Follows ``Algorithm.Framework/Portfolio/*PortfolioOptimizer.cs``. LEAN solves the quadratic
programs with Accord's Goldfarb-Idnani solver; here scipy's SLSQP solves the same programs.
Covariances are sample covariances (``ddof=1``), expected returns the column means.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _inputs(historical_returns: Any, expected_returns: Any, covariance: Any) -> tuple[np.ndarray, np.ndarray]:
    returns = np.asarray(historical_returns, dtype=float)
    cov = np.atleast_2d(np.cov(returns, rowvar=False, ddof=1)) if covariance is None \
        else np.asarray(covariance, dtype=float)
    mean = returns.mean(axis=0) if expected_returns is None else np.asarray(expected_returns, dtype=float)
    return mean, cov


class MinimumVariancePortfolioOptimizer:
    """Minimum variance ``w' S w`` subject to ``w' mu = target_return``, ``sum(w) = 1`` and
    ``lower <= w <= upper``; the solution is scaled so that ``sum(|w|) = 1``. Equal weights when the
    solver fails or the solution is all zero."""

    def __init__(self, lower: float = -1, upper: float = 1, target_return: float = 0.02) -> None:
        self.lower = lower
        self.upper = upper
        self.target_return = target_return

    def optimize(self, historical_returns: Any, expected_returns: Any = None, covariance: Any = None) -> np.ndarray:
        mean, cov = _inputs(historical_returns, expected_returns, covariance)
        size = len(cov)
        x0 = np.full(size, 1.0 / size)
        constraints = [{"type": "eq", "fun": lambda w: w @ mean - self.target_return},
                       {"type": "eq", "fun": lambda w: w.sum() - 1.0}]
        from scipy.optimize import minimize  # imported here: scipy costs every backtest 0.2 s otherwise

        result = minimize(lambda w: w @ cov @ w, x0, jac=lambda w: 2 * cov @ w, method="SLSQP",
                          bounds=[(self.lower, self.upper)] * size, constraints=constraints,
                          options={"ftol": 1e-12, "maxiter": 1000})
        if not result.success:
            return x0
        solution = np.where(np.isfinite(result.x), result.x, 0.0)
        total = np.abs(solution).sum()
        if not np.isfinite(total) or total == 0:
            return x0
        return solution / total


class MaximumSharpeRatioPortfolioOptimizer:
    """Maximum Sharpe ratio through the Charnes-Cooper substitution ``y = k w``: minimize ``y' S y``
    subject to ``(mu - r_f)' y = 1`` and ``lower sum(y) <= y_i <= upper sum(y)``, then ``w = y / sum(y)``.
    Equal weights when no asset has a positive (long-only) or non-zero excess return, or the solver fails."""

    def __init__(self, lower: float = -1, upper: float = 1, risk_free_rate: float = 0.0) -> None:
        self.lower = lower
        self.upper = upper
        self.risk_free_rate = risk_free_rate

    def optimize(self, historical_returns: Any, expected_returns: Any = None, covariance: Any = None) -> np.ndarray:
        mean, cov = _inputs(historical_returns, expected_returns, covariance)
        excess = mean - self.risk_free_rate
        size = len(cov)
        equal = np.full(size, 1.0 / size)
        feasible = (excess > 0).any() if self.lower >= 0 else (excess != 0).any()
        if not feasible:
            return equal
        constraints = [{"type": "eq", "fun": lambda y: y @ excess - 1.0},
                       {"type": "ineq", "fun": lambda y: self.upper * y.sum() - y},
                       {"type": "ineq", "fun": lambda y: y - self.lower * y.sum()}]
        from scipy.optimize import minimize

        result = minimize(lambda y: y @ cov @ y, equal, jac=lambda y: 2 * cov @ y, method="SLSQP",
                          constraints=constraints, options={"ftol": 1e-12, "maxiter": 1000})
        if not result.success:
            return equal
        total = result.x.sum()
        return result.x / total if total > 0 else equal


class UnconstrainedMeanVariancePortfolioOptimizer:
    """``w = mu' S^-1`` (no constraints)."""

    def optimize(self, historical_returns: Any, expected_returns: Any = None, covariance: Any = None) -> np.ndarray:
        mean, cov = _inputs(historical_returns, expected_returns, covariance)
        return mean @ np.linalg.inv(cov)


class RiskParityPortfolioOptimizer:
    """Equal risk budgets: Newton's method on ``1/2 x' S x - b' log(x)`` with ``b = 1/n`` (or the
    expected returns when given) from ``x = 1/n``, then ``w = x / sum(x)`` clipped to ``[lower, upper]``."""

    def __init__(self, lower: float | None = None, upper: float | None = None) -> None:
        self.lower = 1e-05 if lower is None else lower
        self.upper = float(np.finfo(float).max) if upper is None else upper

    def optimize(self, historical_returns: Any, expected_returns: Any = None, covariance: Any = None) -> np.ndarray:
        returns = np.asarray(historical_returns, dtype=float)
        cov = np.atleast_2d(np.cov(returns, rowvar=False, ddof=1)) if covariance is None \
            else np.asarray(covariance, dtype=float)
        size = len(cov)
        budget = np.full(size, 1.0 / size) if expected_returns is None else np.asarray(expected_returns, dtype=float)
        solution = newton_risk_parity(cov, budget)
        solution = solution / solution.sum()
        return np.clip(solution, self.lower, self.upper)


def newton_risk_parity(covariance: np.ndarray, budget: np.ndarray, tolerance: float = 1e-11,
                       maximum_iterations: int = 15000) -> np.ndarray:
    """``RiskParityNewtonMethodOptimization``: ``x <- x - H(x)^-1 grad(x)`` until the objective
    changes by at most ``tolerance``."""
    size = len(covariance)
    if size < 1 or size > 1000:
        raise ValueError('Argument "numberOfVariables" must be a positive integer between 1 and 1000')
    if size == 1:
        return np.array([1.0])
    weight = np.full(size, 1.0 / size)
    new_objective, old_objective = -np.inf, np.inf  # (LEAN: Double.MinValue, Double.MaxValue)
    iteration = 0
    while abs(new_objective - old_objective) > tolerance and iteration < maximum_iterations:
        old_objective = new_objective
        hessian = covariance + np.diag(budget / (weight * weight))
        gradient = covariance @ weight - budget / weight
        weight = weight - np.linalg.inv(hessian) @ gradient
        new_objective = 0.5 * weight @ covariance @ weight - budget @ np.log(weight)
        iteration += 1
    return weight
