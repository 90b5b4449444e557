"""Kalman filters against pykalman (the oracle), plus hand-computed steps and helper checks."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from pykalman import KalmanFilter

from shared.kalman import (
    HedgeRatioFilter,
    LocalLevelFilter,
    delta_to_transition_cov,
    fit_hedge_ratio_em,
    fit_local_level_em,
    half_life,
    hedge_ratio_filter,
    local_level_filter,
    zscore,
)

TOL = {"rtol": 1e-9, "atol": 1e-12}


def _random_walk_panel(rng, steps, n, q, r, level=100.0):
    level = level + np.cumsum(rng.normal(0.0, np.sqrt(q), size=(steps, n)), axis=0)
    return level + rng.normal(0.0, np.sqrt(r), size=(steps, n))


def _pykalman_local_level(y, q, r, m0, p0):
    kf = KalmanFilter(
        transition_matrices=[[1.0]],
        observation_matrices=[[1.0]],
        transition_covariance=[[q]],
        observation_covariance=[[r]],
        initial_state_mean=[m0],
        initial_state_covariance=[[p0]],
    )
    return kf, kf.filter(np.ma.masked_invalid(y).reshape(-1, 1))


# ---------------------------------------------------------------------------- local level


def test_local_level_first_steps_by_hand():
    # q = 1, r = 2, prior N(0, 3): P0 = 3, F = 5, K = 0.6, m = 0.6 * 10 = 6, P = 3 - 1.8 = 1.2
    # step 1: P = 2.2, F = 4.2, innovation = 4 - 6 = -2, K = 2.2 / 4.2, m = 6 - 4.4 / 4.2
    res = local_level_filter(np.array([[10.0], [4.0]]), q=1.0, r=2.0, initial_mean=0.0, initial_var=3.0)
    np.testing.assert_allclose(res.filtered_mean[:, 0], [6.0, 6.0 - 4.4 / 4.2], rtol=1e-14)
    np.testing.assert_allclose(res.filtered_var[:, 0], [1.2, 2.2 - 2.2 * 2.2 / 4.2], rtol=1e-14)
    np.testing.assert_allclose(res.innovation[:, 0], [10.0, -2.0], rtol=1e-14)
    np.testing.assert_allclose(res.innovation_var[:, 0], [5.0, 4.2], rtol=1e-14)


def test_local_level_matches_pykalman_with_missing_values():
    rng = np.random.default_rng(7)
    steps, n = 300, 5
    q = np.array([0.01, 0.1, 1.0, 0.05, 0.2])
    r = np.array([0.5, 0.2, 1.0, 2.0, 0.01])
    m0 = np.array([100.0, 99.0, 101.0, 0.0, 50.0])
    p0 = np.array([1.0, 10.0, 0.5, 1e4, 2.0])
    y = _random_walk_panel(rng, steps, n, 0.1, 0.5)
    y[rng.random((steps, n)) < 0.1] = np.nan
    y[:5, 3] = np.nan  # leading gap: predict-only from the prior
    y[100:120, 1] = np.nan  # a long gap
    res = local_level_filter(y, q=q, r=r, initial_mean=m0, initial_var=p0)
    for j in range(n):
        _, (means, covs) = _pykalman_local_level(y[:, j], q[j], r[j], m0[j], p0[j])
        np.testing.assert_allclose(res.filtered_mean[:, j], means[:, 0], **TOL)
        np.testing.assert_allclose(res.filtered_var[:, j], covs[:, 0, 0], **TOL)
        # innovation and its variance from pykalman's own predicted states
        pred_mean = np.concatenate([[m0[j]], means[:-1, 0]])
        pred_var = np.concatenate([[p0[j]], covs[:-1, 0, 0] + q[j]])
        np.testing.assert_allclose(res.innovation[:, j], y[:, j] - pred_mean, **TOL)
        np.testing.assert_allclose(res.innovation_var[:, j], pred_var + r[j], **TOL)
    assert np.isnan(res.innovation[np.isnan(y)]).all()


def test_local_level_diffuse_start_has_no_look_ahead():
    y = np.array([[np.nan, 5.0], [np.nan, 6.0], [3.0, 7.0], [4.0, np.nan], [2.0, 8.0]])
    res = local_level_filter(y, q=0.5, r=2.0)
    # before the first observation: nothing is known
    assert np.isnan(res.filtered_mean[:2, 0]).all() and np.isnan(res.filtered_var[:2, 0]).all()
    # the first observation sets the level exactly, variance r, undefined innovation
    assert res.filtered_mean[2, 0] == 3.0 and res.filtered_var[2, 0] == 2.0
    assert np.isnan(res.innovation[2, 0]) and np.isnan(res.innovation_var[2, 0])
    # afterwards it is pykalman started at the step after, with prior N(y_first, r + q)
    _, (means, covs) = _pykalman_local_level(y[3:, 0], 0.5, 2.0, 3.0, 2.5)
    np.testing.assert_allclose(res.filtered_mean[3:, 0], means[:, 0], **TOL)
    np.testing.assert_allclose(res.filtered_var[3:, 0], covs[:, 0, 0], **TOL)
    _, (means, covs) = _pykalman_local_level(y[1:, 1], 0.5, 2.0, 5.0, 2.5)
    np.testing.assert_allclose(res.filtered_mean[1:, 1], means[:, 0], **TOL)


def test_local_level_online_equals_batch_and_filter_update():
    rng = np.random.default_rng(3)
    y = _random_walk_panel(rng, 120, 3, 0.2, 1.0)
    y[rng.random(y.shape) < 0.15] = np.nan
    q, r = np.array([0.2, 0.1, 0.3]), np.array([1.0, 0.5, 2.0])
    m0, p0 = y[0].copy(), np.array([1.0, 2.0, 3.0])
    m0[np.isnan(m0)] = 100.0
    batch = local_level_filter(y, q, r, m0, p0)
    online = LocalLevelFilter()
    online.add_series(["a", "b", "c"], q, r, m0, p0)
    for t in range(len(y)):
        step = online.update(y[t])
        # bit-identical: same step function
        np.testing.assert_array_equal(step.filtered_mean, batch.filtered_mean[t])
        np.testing.assert_array_equal(step.filtered_var, batch.filtered_var[t])
        np.testing.assert_array_equal(step.innovation, batch.innovation[t])
        np.testing.assert_array_equal(step.innovation_var, batch.innovation_var[t])
    # pykalman's filter_update chain, from the first batch step
    for j in range(3):
        kf, (means, covs) = _pykalman_local_level(y[:, j], q[j], r[j], m0[j], p0[j])
        mean, cov = means[0], covs[0]
        for t in range(1, len(y)):
            obs = None if np.isnan(y[t, j]) else y[t, j : j + 1]
            mean, cov = kf.filter_update(mean, cov, obs)
            assert abs(mean[0] - batch.filtered_mean[t, j]) <= 1e-9 * abs(mean[0])
            assert abs(cov[0, 0] - batch.filtered_var[t, j]) <= 1e-9 * cov[0, 0]


def test_local_level_online_add_remove_and_mapping_input():
    rng = np.random.default_rng(11)
    y = _random_walk_panel(rng, 60, 3, 0.1, 0.3)
    full = local_level_filter(y, q=0.1, r=0.3)
    late = local_level_filter(y[20:, 2:], q=0.1, r=0.3)
    f = LocalLevelFilter()
    f.add_series(["x", "y"], q=0.1, r=0.3)
    for t in range(60):
        if t == 20:
            f.add_series(["z"], q=0.1, r=0.3)
        if t == 40:
            f.remove_series(["x"])
        obs = dict(zip(["x", "y", "z"], y[t], strict=True))
        step = f.update(pd.Series(obs) if t % 2 else obs)
        assert step.filtered_mean[f.keys.index("y")] == full.filtered_mean[t, 1]
        if t >= 20:
            assert step.filtered_mean[f.keys.index("z")] == late.filtered_mean[t - 20, 0]
        if t < 40:
            assert step.filtered_mean[f.keys.index("x")] == full.filtered_mean[t, 0]
    assert f.keys == ["y", "z"]
    with pytest.raises(ValueError):
        f.add_series(["y"], q=0.1, r=0.3)
    with pytest.raises(KeyError):
        f.remove_series(["nope"])


def test_local_level_from_result_continues_the_batch():
    rng = np.random.default_rng(5)
    y = _random_walk_panel(rng, 80, 2, 0.05, 0.2)
    whole = local_level_filter(y, q=0.05, r=0.2)
    f = LocalLevelFilter.from_result(["a", "b"], 0.05, 0.2, local_level_filter(y[:50], q=0.05, r=0.2))
    for t in range(50, 80):
        np.testing.assert_array_equal(f.update(y[t]).filtered_mean, whole.filtered_mean[t])


def test_local_level_dataframe_labels_and_validation():
    df = pd.DataFrame(
        {"A": [1.0, 2.0, 3.0], "B": [2.0, 2.0, 2.0]}, index=pd.date_range("2020-01-01", periods=3)
    )
    res = local_level_filter(df, q=1.0, r=1.0)
    frame = res.to_frame("filtered_mean")
    assert list(frame.columns) == ["A", "B"] and frame.index.equals(df.index)
    assert frame["B"].tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError):
        local_level_filter(df, q=0.0, r=1.0)
    with pytest.raises(ValueError):
        local_level_filter(df, q=1.0, r=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        local_level_filter(df, q=1.0, r=1.0, initial_mean=0.0)


# ---------------------------------------------------------------------------- hedge ratio


def _pykalman_hedge(y, x, r, trans_cov, m0, p0):
    ok = np.isfinite(y) & np.isfinite(x)
    obs_mat = np.stack([np.where(ok, x, 0.0), np.ones_like(x)], axis=1)[:, np.newaxis, :]
    kf = KalmanFilter(
        transition_matrices=np.eye(2),
        observation_matrices=obs_mat,
        transition_covariance=trans_cov,
        observation_covariance=[[r]],
        initial_state_mean=m0,
        initial_state_covariance=p0,
    )
    return kf, kf.filter(np.ma.masked_array(y, mask=~ok).reshape(-1, 1))


def _pairs(rng, steps, n):
    x = 50.0 + np.cumsum(rng.normal(0, 1.0, size=(steps, n)), axis=0)
    beta = 1.5 + np.cumsum(rng.normal(0, 0.01, size=(steps, n)), axis=0)
    y = beta * x + 3.0 + rng.normal(0, 0.5, size=(steps, n))
    return y, x


def test_hedge_ratio_first_step_by_hand():
    # prior (0, 0), I; x = 2, y = 5: F = 4 + 1 + 1 = 6, K = (2/6, 1/6), state = (5/3, 5/6)
    # P = I - K H = [[1 - 4/6, -2/6], [-2/6, 1 - 1/6]]
    res = hedge_ratio_filter(np.array([[5.0]]), np.array([[2.0]]), r=1.0, delta=0.5)
    assert res.innovation[0, 0] == 5.0 and res.innovation_var[0, 0] == 6.0
    np.testing.assert_allclose([res.beta[0, 0], res.alpha[0, 0]], [5 / 3, 5 / 6], rtol=1e-14)
    np.testing.assert_allclose(res.state_cov[0, 0], [[1 / 3, -1 / 3], [-1 / 3, 5 / 6]], rtol=1e-14)


def test_hedge_ratio_matches_pykalman_with_missing_and_full_transition_cov():
    rng = np.random.default_rng(1)
    steps, n = 250, 4
    y, x = _pairs(rng, steps, n)
    y[rng.random((steps, n)) < 0.08] = np.nan
    x[rng.random((steps, n)) < 0.05] = np.nan
    r = np.array([0.25, 0.5, 1.0, 0.1])
    trans_cov = np.array([[[1e-4, 2e-5], [2e-5, 1e-3]]] * n)
    trans_cov[1] = [[1e-3, 0.0], [0.0, 1e-3]]
    m0 = np.array([[1.0, 0.0], [0.0, 0.0], [1.5, 3.0], [2.0, -1.0]])
    p0 = np.array([np.eye(2), np.eye(2) * 10.0, [[0.5, 0.1], [0.1, 2.0]], np.eye(2)])
    res = hedge_ratio_filter(y, x, r=r, transition_cov=trans_cov, initial_state_mean=m0, initial_state_cov=p0)
    for j in range(n):
        _, (means, covs) = _pykalman_hedge(y[:, j], x[:, j], r[j], trans_cov[j], m0[j], p0[j])
        np.testing.assert_allclose(res.beta[:, j], means[:, 0], **TOL)
        np.testing.assert_allclose(res.alpha[:, j], means[:, 1], **TOL)
        np.testing.assert_allclose(res.state_cov[:, j], covs, rtol=1e-9, atol=1e-13)
        pred_mean = np.vstack([m0[j], means[:-1]])
        pred_cov = np.concatenate([p0[j][None], covs[:-1] + trans_cov[j]])
        h = np.stack([x[:, j], np.ones(steps)], axis=1)
        ok = np.isfinite(y[:, j]) & np.isfinite(x[:, j])
        expected = y[:, j] - np.einsum("ti,ti->t", h, pred_mean)
        np.testing.assert_allclose(res.innovation[ok, j], expected[ok], **TOL)
        assert np.isnan(res.innovation[~ok, j]).all()
        expected_var = np.einsum("ti,tij,tj->t", h, pred_cov, h) + r[j]
        fin = np.isfinite(x[:, j])
        np.testing.assert_allclose(res.innovation_var[fin, j], expected_var[fin], **TOL)


def test_hedge_ratio_delta_defaults_equal_pykalman_defaults():
    rng = np.random.default_rng(2)
    y, x = _pairs(rng, 150, 2)
    res = hedge_ratio_filter(y, x, r=0.3)  # delta 1e-4, prior zeros and identity
    for j in range(2):
        trans = delta_to_transition_cov(1e-4, 1)[0]
        _, (means, _) = _pykalman_hedge(y[:, j], x[:, j], 0.3, trans, np.zeros(2), np.eye(2))
        np.testing.assert_allclose(res.beta[:, j], means[:, 0], **TOL)
    np.testing.assert_allclose(trans, np.eye(2) * 1e-4 / (1 - 1e-4))


def test_hedge_ratio_online_equals_batch_and_filter_update():
    rng = np.random.default_rng(4)
    y, x = _pairs(rng, 100, 3)
    y[rng.random(y.shape) < 0.1] = np.nan
    batch = hedge_ratio_filter(y, x, r=0.4, delta=1e-3, initial_state_mean=[1.5, 0.0])
    f = HedgeRatioFilter()
    f.add_series(["p", "q", "s"], r=0.4, delta=1e-3, initial_state_mean=[1.5, 0.0])
    for t in range(100):
        step = f.update(y[t], x[t])
        np.testing.assert_array_equal(step.beta, batch.beta[t])
        np.testing.assert_array_equal(step.alpha, batch.alpha[t])
        np.testing.assert_array_equal(step.state_cov, batch.state_cov[t])
        np.testing.assert_array_equal(step.innovation, batch.innovation[t])
        np.testing.assert_array_equal(step.innovation_var, batch.innovation_var[t])
    trans = delta_to_transition_cov(1e-3, 1)[0]
    for j in range(3):
        kf = KalmanFilter(
            transition_matrices=np.eye(2), transition_covariance=trans, observation_covariance=[[0.4]]
        )
        mean, cov = np.array([batch.beta[0, j], batch.alpha[0, j]]), batch.state_cov[0, j]
        for t in range(1, 100):
            obs = None if np.isnan(y[t, j]) else y[t, j : j + 1]
            mean, cov = kf.filter_update(mean, cov, obs, observation_matrix=np.array([[x[t, j], 1.0]]))
            np.testing.assert_allclose(mean, [batch.beta[t, j], batch.alpha[t, j]], **TOL)
            np.testing.assert_allclose(cov, batch.state_cov[t, j], rtol=1e-9, atol=1e-13)


def test_hedge_ratio_online_add_remove_and_from_result():
    rng = np.random.default_rng(6)
    y, x = _pairs(rng, 60, 2)
    whole = hedge_ratio_filter(y, x, r=0.5)
    f = HedgeRatioFilter.from_result(["u", "v"], 0.5, hedge_ratio_filter(y[:30], x[:30], r=0.5))
    for t in range(30, 60):
        if t == 45:
            f.remove_series(["u"])
        step = f.update(
            dict(zip(f.keys, y[t, -len(f) :], strict=True)), dict(zip(f.keys, x[t, -len(f) :], strict=True))
        )
        np.testing.assert_array_equal(step.beta[-1], whole.beta[t, 1])
    assert f.keys == ["v"]


def test_hedge_ratio_tracks_a_drifting_beta():
    rng = np.random.default_rng(8)
    steps = 2000
    x = 100.0 + np.cumsum(rng.normal(0, 1.0, steps))
    beta = np.linspace(0.8, 1.6, steps)
    y = beta * x + 5.0 + rng.normal(0, 0.2, steps)
    res = hedge_ratio_filter(y[:, None], x[:, None], r=0.04, delta=1e-5, initial_state_mean=[1.0, 0.0])
    assert abs(res.beta[-1, 0] - 1.6) < 0.05
    assert np.mean(np.abs(res.beta[500:, 0] - beta[500:])) < 0.05


# ---------------------------------------------------------------------------- EM and helpers


def test_fit_local_level_em_equals_pykalman():
    rng = np.random.default_rng(12)
    y = _random_walk_panel(rng, 200, 1, 0.04, 0.25)[:, 0]
    q, r = fit_local_level_em(y, n_iter=3)
    start = np.var(np.diff(y), ddof=1) / 3
    kf = KalmanFilter(
        transition_covariance=[[start]],
        observation_covariance=[[start]],
        initial_state_mean=[y[0]],
        initial_state_covariance=[[start]],
    ).em(y.reshape(-1, 1), n_iter=3)
    assert q == pytest.approx(kf.transition_covariance[0, 0], rel=1e-12)
    assert r == pytest.approx(kf.observation_covariance[0, 0], rel=1e-12)


def test_fit_local_level_em_recovers_the_noise():
    rng = np.random.default_rng(12)
    y = _random_walk_panel(rng, 400, 1, 0.04, 0.25)[:, 0]
    q, r = fit_local_level_em(y, n_iter=20)
    assert 0.03 < q < 0.06 and 0.2 < r < 0.3


def test_fit_local_level_em_masks_missing_values():
    rng = np.random.default_rng(13)
    y = _random_walk_panel(rng, 300, 1, 0.04, 0.25)[:, 0]
    y[::7] = np.nan
    q, r = fit_local_level_em(y, n_iter=5)
    assert np.isfinite(q) and np.isfinite(r) and q > 0 and r > 0


def test_fit_hedge_ratio_em_recovers_observation_noise():
    rng = np.random.default_rng(14)
    steps = 500
    x = 50.0 + np.cumsum(rng.normal(0, 1.0, steps))
    y = 1.2 * x + 2.0 + rng.normal(0, 0.5, steps)
    y[10] = np.nan
    params = fit_hedge_ratio_em(y, x, n_iter=10)
    assert params.transition_cov.shape == (2, 2)
    assert 0.15 < params.r < 0.35
    assert params.initial_state_mean[0] == pytest.approx(1.2, abs=0.05)
    v = params.delta / (1 - params.delta)
    assert v == pytest.approx(np.trace(params.transition_cov) / 2, rel=1e-12)
    # usable as filter parameters directly
    res = hedge_ratio_filter(y[:, None], x[:, None], r=params.r, transition_cov=params.transition_cov)
    assert abs(res.beta[-1, 0] - 1.2) < 0.05


def test_zscore():
    z = zscore(np.array([2.0, -3.0, np.nan, 1.0, 1.0]), np.array([4.0, 9.0, 1.0, 0.0, np.nan]))
    np.testing.assert_array_equal(z[:2], [1.0, -1.0])
    assert np.isnan(z[2:]).all()


def test_half_life_exact_on_a_noiseless_ar1():
    phi = 0.9
    s = 3.0 * phi ** np.arange(50)
    assert half_life(s) == pytest.approx(np.log(0.5) / np.log(phi), rel=1e-9)
    assert half_life(np.arange(10.0) ** 2) == float("inf")
    assert np.isnan(half_life([1.0, np.nan, 2.0]))


def test_half_life_matches_statsmodels_on_noisy_data():
    rng = np.random.default_rng(15)
    s = np.zeros(3000)
    for t in range(1, len(s)):
        s[t] = 0.95 * s[t - 1] + rng.normal()
    series = pd.Series(s)
    fit = sm.OLS(series.diff().dropna().values, sm.add_constant(series.shift(1).dropna().values)).fit()
    expected = np.log(0.5) / np.log(1 + fit.params[1])
    assert half_life(series) == pytest.approx(expected, rel=1e-12)
    assert half_life(series) == pytest.approx(np.log(0.5) / np.log(0.95), rel=0.25)
