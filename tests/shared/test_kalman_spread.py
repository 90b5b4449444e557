"""The spread model: pykalman as the oracle for the filter and EM; synthetic evidence (fixed seeds).

A synthetic cointegrated pair of known half-life is fitted within 20% of it and lies outside the
random-walk band; independent random walks fall inside the band.
"""

import numpy as np
import pytest
from pykalman import KalmanFilter

from shared.kalman import hedge_ratio_filter
from shared.kalman_spread import (
    _fast_loglik,
    ar1_filter,
    diagnostics,
    fair_value_filter,
    fair_value_params,
    fit_ar1_em,
    random_walk_band,
)

STEPS = 2500  # ten years of bars


def synthetic_pairs(seed: int, half_life: float, pairs: int = 4, steps: int = STEPS):
    """Dollar prices: ``x`` a geometric random walk, ``y = 1.2 x + 10 + s + noise``, ``s`` AR(1)
    with the given half-life."""
    rng = np.random.default_rng(seed)
    x = 50 * np.exp(np.cumsum(rng.normal(0, 0.012, (steps, pairs)), axis=0))
    phi = 0.5 ** (1 / half_life)
    s = np.zeros((steps, pairs))
    for t in range(1, steps):
        s[t] = phi * s[t - 1] + rng.normal(0, 0.25, pairs)
    return 1.2 * x + 10 + s + rng.normal(0, 0.05, (steps, pairs)), x


def spread_of(y, x):
    params = fair_value_params(y, x)
    filtered = fair_value_filter(y, x, params)
    return params, filtered


def test_fair_value_is_chans_hedge_ratio_filter_on_normalized_prices():
    y, x = synthetic_pairs(1, 10.0, pairs=2, steps=300)
    params, filtered = spread_of(y, x)
    np.testing.assert_allclose(params.y_scale, y.mean(axis=0))
    # R is the OLS residual variance of the normalized prices; the transition is delta/(1-delta) R I.
    design = np.column_stack([x[:, 0] / x[:, 0].mean(), np.ones(300)])
    coef, *_ = np.linalg.lstsq(design, y[:, 0] / y[:, 0].mean(), rcond=None)
    resid = y[:, 0] / y[:, 0].mean() - design @ coef
    assert params.r[0] == pytest.approx(resid @ resid / 298)
    np.testing.assert_allclose(params.transition_cov[0], np.eye(2) * 1e-5 / (1 - 1e-5) * params.r[0])
    # pykalman on the same model gives the same prior state and innovations.
    kf = KalmanFilter(
        transition_matrices=np.eye(2),
        observation_matrices=np.stack([x[:, 0] / params.x_scale[0], np.ones(300)], axis=1)[:, None, :],
        transition_covariance=params.transition_cov[0], observation_covariance=[[params.r[0]]],
        initial_state_mean=params.initial_state_mean[0], initial_state_covariance=params.initial_state_cov[0],
    )
    means, _ = kf.filter(y[:, 0] / params.y_scale[0])
    np.testing.assert_allclose(filtered.beta[:, 0], means[:, 0], atol=1e-9)
    reference = hedge_ratio_filter(y / params.y_scale, x / params.x_scale, r=params.r,
                                   transition_cov=params.transition_cov,
                                   initial_state_mean=params.initial_state_mean,
                                   initial_state_cov=params.initial_state_cov)
    np.testing.assert_array_equal(filtered.innovation, reference.innovation)


def pykalman_ar1(phi, q, r, var0):
    return KalmanFilter(transition_matrices=[[phi]], observation_matrices=[[1.0]], transition_covariance=[[q]],
                        observation_covariance=[[r]], initial_state_mean=[0.0], initial_state_covariance=[[var0]],
                        em_vars=["transition_matrices", "transition_covariance", "observation_covariance"])


def test_ar1_filter_and_loglikelihood_equal_pykalman_with_a_missing_value():
    rng = np.random.default_rng(3)
    d = np.cumsum(rng.normal(size=400)) * 0.05 + rng.normal(size=400) * 0.02
    d[[17, 200]] = np.nan
    fm, fv, _, _, loglik = ar1_filter(d, np.array([0.95]), np.array([0.003]), np.array([0.0005]), np.zeros(1),
                                      np.array([0.2]))
    kf = pykalman_ar1(0.95, 0.003, 0.0005, 0.2)
    observations = np.ma.masked_invalid(d).reshape(-1, 1)
    means, covs = kf.filter(observations)
    np.testing.assert_allclose(fm[:, 0], means[:, 0], atol=1e-12)
    np.testing.assert_allclose(fv[:, 0], covs[:, 0, 0], atol=1e-12)
    assert loglik[0] == pytest.approx(kf.loglikelihood(observations), abs=1e-8)
    complete = np.nan_to_num(d)
    assert _fast_loglik(complete, 0.95, 0.003, 0.0005, 0.2) == pytest.approx(
        ar1_filter(complete, np.array([0.95]), np.array([0.003]), np.array([0.0005]), np.zeros(1),
                   np.array([0.2]))[-1][0], abs=1e-8)


def test_em_iterations_equal_pykalman_em():
    y, x = synthetic_pairs(4, 10.0, pairs=1, steps=300)
    _, filtered = spread_of(y, x)
    d = filtered.innovation[:, 0].copy()
    d[40] = np.nan
    start = fit_ar1_em(d, max_iter=0, start="moments")
    fit = fit_ar1_em(d, max_iter=5, tol=0.0, start="moments")
    assert fit.iterations == 5
    kf = pykalman_ar1(start.phi[0], start.q[0], start.r[0], start.initial_var[0])
    observations = np.ma.masked_invalid(d).reshape(-1, 1)
    kf = kf.em(observations, n_iter=5)
    np.testing.assert_allclose([fit.phi[0], fit.q[0], fit.r[0]],
                               [kf.transition_matrices[0, 0], kf.transition_covariance[0, 0],
                                kf.observation_covariance[0, 0]], rtol=1e-9)
    assert fit.loglik[0] == pytest.approx(kf.loglikelihood(observations), abs=1e-7)


def test_em_runs_to_convergence_and_never_lowers_the_likelihood():
    y, x = synthetic_pairs(5, 10.0, pairs=3, steps=800)
    _, filtered = spread_of(y, x)
    fit = fit_ar1_em(filtered.innovation)
    assert fit.converged.all() and fit.iterations < 50
    # Plain EM from the moments: the log-likelihood never falls, and stays below the maximum found.
    path = [fit_ar1_em(filtered.innovation, max_iter=k, tol=0.0, start="moments").loglik for k in (0, 1, 5, 20)]
    assert (np.diff(path, axis=0) >= -1e-9).all()
    assert (path[-1] <= fit.loglik + 1e-6).all()


def test_a_cointegrated_pair_is_fitted_within_20_percent_of_its_half_life_and_outside_the_band():
    y, x = synthetic_pairs(1, 10.0, pairs=8)
    params, filtered = spread_of(y, x)
    fit = fit_ar1_em(filtered.innovation)
    found = diagnostics(filtered.innovation, 1 - params.r / filtered.innovation_var, fit)
    # Eight independent pairs: the median within 10%; each within 30%, since the AR coefficient's
    # sampling error alone is about +-11% of the half-life over 2,500 bars (seed 1: 7.3 .. 10.1).
    assert np.median(found["half_life"]) == pytest.approx(10.0, rel=0.1)
    np.testing.assert_allclose(found["half_life"], 10.0, rtol=0.3)
    # The model's implied lag-1 autocorrelation of the spread's changes is the sample's (within 1 SE).
    assert (np.abs(found["implied_acf1"] - found["sample_acf1"]) < found["acf1_se"]).all()
    assert (found["fair_gain"] < 0.01).all()
    stds = np.column_stack([np.std(np.diff(np.log(y), axis=0), axis=0), np.std(np.diff(np.log(x), axis=0), axis=0)])
    band = random_walk_band(stds, STEPS, n_sims=60, seed=7)
    assert (found["phi"] < band["phi"][0]).all()
    assert band["half_life"][0] > 30


def test_independent_random_walks_fall_inside_the_random_walk_band():
    rng = np.random.default_rng(2)
    y, x = (50 * np.exp(np.cumsum(rng.normal(0, 0.012, (STEPS, 4)), axis=0)) for _ in range(2))
    params, filtered = spread_of(y, x)
    fit = fit_ar1_em(filtered.innovation)
    found = diagnostics(filtered.innovation, 1 - params.r / filtered.innovation_var, fit)
    stds = np.column_stack([np.std(np.diff(np.log(y), axis=0), axis=0), np.std(np.diff(np.log(x), axis=0), axis=0)])
    band = random_walk_band(stds, STEPS, n_sims=60, seed=7)
    # Not one of the four is mean-reverting by the band's rule (phi below its lower edge).
    assert (found["phi"] >= band["phi"][0]).all()
    assert (found["half_life"] > 30).all()
