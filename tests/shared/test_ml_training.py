"""Tests of the ML training pipeline: events, purged walk-forward folds, detection of a planted effect
(and of none), reports."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import ml_training
from shared.features import FEATURE_NAMES, feature_array, forward_return, traded_return
from shared.ml_training import (
    AUC_TIE,
    MODEL_KINDS,
    EventConfig,
    ValidationConfig,
    build_events,
    choose_kind,
    compare_models,
    traded_label_report,
    validate,
    walk_forward_splits,
)
from tests.planted import simulate_panel

FAST = ValidationConfig(n_folds=4, permutation_repeats=2)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def null():
    close, volume = simulate_panel(1800, 150, effect=0.0, seed=12)
    return close, volume, build_events(close, volume)


def test_build_events_matches_features_and_labels():
    close, volume = simulate_panel(200, 6, effect=0.0, seed=3)
    membership = pd.DataFrame(True, index=close.index, columns=close.columns)
    membership.iloc[:120, 0] = False
    events = build_events(close, volume, membership)
    features = feature_array(close, volume)
    fwd = forward_return(close.to_numpy(), 6)
    qpi = features[..., 0]
    usable = np.isfinite(features).all(axis=-1) & np.isfinite(fwd) & membership.to_numpy()
    with np.errstate(invalid="ignore"):
        assert (events["side"] == "long").sum() == (usable & (qpi < 15)).sum()
        assert (events["side"] == "short").sum() == (usable & (qpi > 85)).sum()
    assert len(events) > 0
    assert events["date_pos"].max() <= 200 - 1 - 6
    assert not ((events["symbol"] == "S0000") & (events["date_pos"] < 120)).any()
    for row in events.itertuples():
        col = close.columns.get_loc(row.symbol)
        assert row.date == close.index[row.date_pos]
        np.testing.assert_array_equal([getattr(row, n) for n in FEATURE_NAMES], features[row.date_pos, col])
        expected_fwd = close.iloc[row.date_pos + 6, col] / close.iloc[row.date_pos, col] - 1
        assert row.fwd_return == pytest.approx(expected_fwd, rel=1e-12)
        assert row.label == int(expected_fwd > 0 if row.side == "long" else expected_fwd < 0)
        assert (row.qpi < 15) if row.side == "long" else (row.qpi > 85)
    custom = build_events(close, volume, config=EventConfig(long_threshold=30, short_threshold=70))
    assert len(custom) > len(build_events(close, volume))


@pytest.mark.parametrize("cut", [60, 100, 150])
def test_events_read_nothing_after_the_label_horizon(cut):
    close, volume = simulate_panel(200, 8, effect=0.0, seed=4)
    before = build_events(close, volume)
    rng = np.random.default_rng(cut)
    changed_close, changed_volume = close.copy(), volume.copy()
    changed_close.iloc[cut + 7 :] *= rng.uniform(0.5, 1.5, changed_close.iloc[cut + 7 :].shape)
    changed_volume.iloc[cut + 7 :] *= rng.uniform(0.5, 1.5, changed_volume.iloc[cut + 7 :].shape)
    after = build_events(changed_close, changed_volume)
    # Events up to `cut` read features up to `cut` and labels up to `cut + 6`: all unchanged.
    pd.testing.assert_frame_equal(before[before["date_pos"] <= cut], after[after["date_pos"] <= cut])
    # Sanity (the comparison can fail): the label of the last event by `cut` reads the close 6 days on.
    last = before[before["date_pos"] <= cut].iloc[-1]
    moved_close = close.copy()
    moved_close.iloc[last["date_pos"] + 6] *= 3.0
    moved = build_events(moved_close, volume)
    same = (moved["date_pos"] == last["date_pos"]) & (moved["symbol"] == last["symbol"])
    assert moved.loc[same, "fwd_return"].iloc[0] == pytest.approx(3 * (1 + last["fwd_return"]) - 1)


@settings(max_examples=60, deadline=None)
@given(
    positions=st.lists(st.integers(0, 600), min_size=1, max_size=300),
    n_folds=st.integers(1, 6),
    horizon=st.integers(1, 10),
    extra=st.integers(0, 5),
)
def test_folds_purge_and_embargo(positions, n_folds, horizon, extra):
    pos = np.array(positions)
    embargo = horizon + extra
    previous_end = -1
    for fold in walk_forward_splits(pos, horizon, n_folds, embargo):
        train_pos, test_pos = pos[fold.train], pos[fold.test]
        # No training label (t .. t + horizon) reaches the test block, and a gap of `embargo` days remains.
        assert (train_pos + horizon).max() < fold.test_start
        assert fold.test_start - (train_pos + horizon).max() > embargo
        assert test_pos.min() >= fold.test_start and test_pos.max() <= fold.test_end
        assert fold.test_start > previous_end
        previous_end = fold.test_end
        assert set(fold.train).isdisjoint(fold.test)


def test_embargo_shorter_than_horizon_refused():
    with pytest.raises(ValueError):
        list(walk_forward_splits([1, 2, 3], horizon=6, embargo=5))


def test_planted_effect_found(planted):
    _, _, events = planted
    report = validate(events, "long", "hist", validation=FAST)
    assert report["auc"] > 0.55
    assert report["n_oos"] > 2000
    assert all(f["auc"] > 0.52 for f in report["folds"])
    # The plant depends on volume: vol_ratio_20 must be the most important feature.
    importance = report["permutation_importance"]
    assert max(importance, key=importance.get) == "vol_ratio_20"
    assert report["hit_rate_at_threshold"] > report["base_rate"] + 0.05
    # The plain QPI rule trades every event: its hit rate is the base rate.
    assert report["baseline_qpi_rule"]["hit_rate"] == report["base_rate"]
    assert report["baseline_qpi_rule"]["count"] == report["n_oos"]
    table = report["calibration"]
    assert sum(row["count"] for row in table) == report["n_oos"]
    above = [row for row in table if row["low"] >= 0.6 and row["count"]]
    assert sum(row["count"] for row in above) == report["count_at_threshold"]
    json.dumps(report)


def test_both_models_compared_on_planted_short_side(planted):
    _, _, events = planted
    reports = compare_models(events, "short", validation=FAST)
    assert set(reports) == {"gbc", "hist"}
    for report in reports.values():
        assert report["auc"] > 0.55
        assert report["fit_seconds"] > 0
    assert reports["gbc"]["n_oos"] == reports["hist"]["n_oos"]


@pytest.mark.parametrize("side", ["long", "short"])
def test_no_effect_gives_chance_auc(null, side):
    _, _, events = null
    report = validate(events, side, "hist", validation=FAST)
    assert report["n_oos"] > 3000
    assert abs(report["auc"] - 0.5) < 0.03


def _report(auc_long, auc_short, fit):
    return {"auc": auc_long, "fit_seconds": fit}, {"auc": auc_short, "fit_seconds": fit}


def test_choose_kind_higher_auc_wins_even_if_slower():
    hist_long, hist_short = _report(0.60, 0.58, 10.0)
    gbc_long, gbc_short = _report(0.57, 0.56, 1.0)
    comparison = {"long": {"hist": hist_long, "gbc": gbc_long}, "short": {"hist": hist_short, "gbc": gbc_short}}
    kind, reason = choose_kind(comparison)
    assert kind == "hist"
    assert "higher mean out-of-sample AUC" in reason
    assert "hist: mean AUC 0.5900, fit 20.00 s" in reason and "gbc: mean AUC 0.5650, fit 2.00 s" in reason


def test_choose_kind_tie_goes_to_the_first_kind_whatever_the_fit_times():
    delta = AUC_TIE / 2
    comparison = {
        "long": {"hist": {"auc": 0.60 + delta, "fit_seconds": 5.0}, "gbc": {"auc": 0.60, "fit_seconds": 9.0}},
        "short": {"hist": {"auc": 0.55 + delta, "fit_seconds": 5.0}, "gbc": {"auc": 0.55, "fit_seconds": 9.0}},
    }
    kind, reason = choose_kind(comparison)
    assert MODEL_KINDS[0] == "gbc" and kind == "gbc"
    assert "a tie), gbc comes first in ('gbc', 'hist')" in reason
    # the machine's load changes the fit times, never the choice
    for side in comparison:
        comparison[side]["gbc"]["fit_seconds"] = 1.0
        comparison[side]["hist"]["fit_seconds"] = 90.0
    assert choose_kind(comparison)[0] == "gbc"
    # Just outside the tie, the higher AUC wins.
    for side, base in (("long", 0.60), ("short", 0.55)):
        comparison[side]["hist"]["auc"] = base + 2 * AUC_TIE
    assert choose_kind(comparison)[0] == "hist"


def test_choose_kind_skips_undefined_auc():
    comparison = {
        "long": {"hist": {"auc": None, "fit_seconds": 1.0}, "gbc": {"auc": 0.55, "fit_seconds": 3.0}},
        "short": {"hist": {"auc": 0.60, "fit_seconds": 1.0}, "gbc": {"auc": 0.56, "fit_seconds": 3.0}},
    }
    # hist's mean is over its one defined AUC (0.60), above gbc's 0.555.
    assert choose_kind(comparison)[0] == "hist"
    comparison["short"]["hist"]["auc"] = None
    assert choose_kind(comparison)[0] == "gbc"  # a kind without any AUC ranks last


# --- fair evaluation: baselines, validation before test, paired intervals, lift ------------------------


def test_paired_bootstrap_interval_by_hand_and_on_identical_scores():
    from sklearn.metrics import roc_auc_score

    y = np.array([0, 1, 0, 1, 1, 0, 1, 0])
    good = np.array([0.1, 0.9, 0.2, 0.8, 0.7, 0.3, 0.6, 0.4])  # ranks every positive above every negative
    noisy = np.array([0.5, 0.4, 0.3, 0.9, 0.2, 0.1, 0.8, 0.6])
    dates = np.repeat(np.arange(4), 2)
    got = ml_training.paired_bootstrap_auc_difference(y, good, noisy, dates, samples=300)
    assert got["difference"] == pytest.approx(1.0 - roc_auc_score(y, noisy))
    assert got["low"] <= got["difference"] <= got["high"]
    same = ml_training.paired_bootstrap_auc_difference(y, good, good, dates, samples=50)
    assert same["difference"] == same["low"] == same["high"] == 0.0
    # one-class labels: no AUC, no interval
    assert ml_training.paired_bootstrap_auc_difference(np.ones(8, int), good, noisy, dates)["low"] is None


def test_baselines_and_test_period_reported_beside_the_model(planted):
    _, _, events = planted
    report = validate(events, "long", "gbc", validation=FAST)
    test = report["test"]
    assert set(test["baselines"]) == {"qpi_rule", "vol_ratio_20", "logistic"}
    # the planted effect is conditioned on volume: vol_ratio_20 alone finds it
    assert test["baselines"]["vol_ratio_20"]["auc"] > 0.55
    for baseline in test["baselines"].values():
        interval = baseline["model_minus_baseline"]
        assert interval["low"] <= interval["difference"] <= interval["high"]
        assert interval["difference"] == pytest.approx(test["auc"] - baseline["auc"])
    assert test["lift_at_threshold"] == pytest.approx(test["hit_rate_at_threshold"] / test["base_rate"])
    # the test period is the last two folds' blocks; the validation period comes before it
    first_test = report["folds"][-2]["test_start_pos"]
    assert test["first_date_pos"] >= first_test
    assert report["validation_auc"] is not None and test["n"] < report["n_oos"]
    json.dumps(report)


def test_choose_kind_decides_on_the_validation_period_not_the_test_period():
    comparison = {
        side: {"hist": {"auc": 0.60, "validation_auc": 0.52, "fit_seconds": 1.0},
               "gbc": {"auc": 0.55, "validation_auc": 0.58, "fit_seconds": 1.0}}
        for side in ("long", "short")
    }
    kind, reason = choose_kind(comparison)
    assert kind == "gbc" and "validation period" in reason


def test_traded_label_beside_close_to_close(planted):
    """build_events with bars adds the traded return of each event (the panel form of
    shared.features.traded_return at its date and symbol); validate reports it in the test period."""
    close, volume, _ = planted
    bars = {"open": close.shift(1).bfill() * 1.001, "high": close * 1.01, "low": close * 0.99}
    events = build_events(close, volume, None, EventConfig(), bars)
    panel_long = traded_return(bars["open"], bars["high"], bars["low"], 1)
    panel_short = traded_return(bars["open"], bars["high"], bars["low"], -1)
    cols = close.columns.get_indexer(events["symbol"])
    expected = np.where(events["side"] == "long", panel_long[events["date_pos"], cols],
                        panel_short[events["date_pos"], cols])
    np.testing.assert_array_equal(events["traded_return"].to_numpy(), expected)
    known = np.isfinite(expected)
    assert known.mean() > 0.9
    np.testing.assert_array_equal(events["traded_label"].to_numpy()[known], (expected[known] > 0).astype(float))
    report = validate(events, "long", "gbc", validation=FAST)
    traded = report["test"]["traded"]
    assert 0 < traded["n"] <= report["test"]["n"]
    assert traded["lift_at_threshold"] == pytest.approx(traded["hit_rate_at_threshold"] / traded["base_rate"])
    json.dumps(report)


def test_traded_label_report_by_hand():
    label = np.array([1.0, 0.0, 1.0, np.nan, 0.0])
    traded = np.array([0.02, -0.05, 0.01, np.nan, -0.01])
    prob = np.array([0.9, 0.7, 0.65, 0.99, 0.2])
    got = traded_label_report(label, traded, prob, 0.6)
    assert got["n"] == 4 and got["count_at_threshold"] == 3
    assert got["base_rate"] == pytest.approx(0.5)
    assert got["hit_rate_at_threshold"] == pytest.approx(2 / 3)
    assert got["lift_at_threshold"] == pytest.approx(4 / 3)
    # AUC: positives 0.9, 0.65 vs negatives 0.7, 0.2 -> 3 of 4 pairs ordered
    assert got["auc"] == pytest.approx(0.75)
    assert got["mean_return"] == pytest.approx(-0.0075)
    assert got["mean_return_at_threshold"] == pytest.approx((0.02 - 0.05 + 0.01) / 3)
