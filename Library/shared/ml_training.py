"""Training pipeline of the ML mean-reversion long/short equity models: events, walk-forward
validation with purging and embargo, model comparison (export and load: :mod:`shared.model_store`).

Events (point in time): on day ``t`` a symbol in the universe with every feature defined is a *long
event* when ``qpi < long_threshold`` (oversold, 15) and a *short event* when ``qpi > short_threshold``
(overbought, 85). Its features are those of :mod:`shared.features` at the close of ``t``; its label
reads closes ``t .. t + horizon`` (6 trading days): for a long event ``close[t+6] / close[t] > 1``, for a
short event ``< 1``. Events whose label is unknown (the last 6 days, missing closes) are dropped.

Walk-forward validation: the trading days spanned by the events are cut into ``n_folds + 1`` equal
blocks; fold ``k`` tests on block ``k + 1`` and trains on every earlier event whose label ends at least
``embargo + 1`` trading days before the test block starts (``t + horizon + embargo < test_start``):
purging removes the training labels that overlap the test period, the embargo leaves a further gap of
``embargo`` (>= 6) trading days. The models are refitted from scratch in every fold.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from shared.features import FEATURE_NAMES, feature_array, forward_return, traded_return

LONG = "long"
SHORT = "short"
SIDES = (LONG, SHORT)
MODEL_KINDS = ("gbc", "hist")
# Mean out-of-sample AUCs closer than this count as a tie (the difference is noise), and the tie goes to the
# earlier kind of MODEL_KINDS: a fixed order, so the same data always gives the same model (fit times,
# which depend on the machine's load, are reported, never used to decide).
AUC_TIE = 0.005
@dataclass(frozen=True)
class EventConfig:
    """Event and label definition.

    Attributes
    ----------
    long_threshold : float
        Long event when the QPI is strictly below it (15).
    short_threshold : float
        Short event when the QPI is strictly above it (85).
    horizon : int
        Trading days the label looks ahead (6).
    probability : float
        Probability above which the strategy trades an event (0.60); used by the reports.
    """

    long_threshold: float = 15.0
    short_threshold: float = 85.0
    horizon: int = 6
    probability: float = 0.60


@dataclass(frozen=True)
class ValidationConfig:
    """Walk-forward settings: folds, embargo (trading days, >= the label horizon), seeds."""

    n_folds: int = 5
    embargo: int = 6
    random_state: int = 0
    permutation_repeats: int = 5
    calibration_bins: tuple[float, ...] = (0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 1.0)
    # The last ``test_folds`` folds' out-of-sample blocks are the reported test period; the earlier ones
    # are the validation period on which the model kind is chosen.
    test_folds: int = 2
    bootstrap_samples: int = 200


DEFAULT_EVENTS = EventConfig()
DEFAULT_VALIDATION = ValidationConfig()


# ---------------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------------


def build_events(
    close: pd.DataFrame,
    volume: pd.DataFrame,
    membership: pd.DataFrame | None = None,
    config: EventConfig = DEFAULT_EVENTS,
    bars: dict[str, pd.DataFrame] | None = None,
    stop_pct: float = 0.05,
) -> pd.DataFrame:
    """Long and short events with their features at ``t`` and labels from ``t+1 .. t+horizon``.

    Parameters
    ----------
    close, volume : pd.DataFrame
        Daily closes (dollars) and volumes (shares), index: trading days, one column per symbol.
    membership : pd.DataFrame of bool, optional
        Point-in-time universe membership on each day (e.g. :func:`shared.universe.membership_panel`),
        same index; missing symbols count as non-members. All symbols are members when omitted.
    config : EventConfig
        Thresholds and horizon.
    bars : dict, optional
        ``{"open": ..., "high": ..., "low": ...}`` on the scale of ``close`` (same index and columns):
        adds the traded label of :func:`shared.features.traded_return` (entry at the next open, the
        ``stop_pct`` stop, exit at the open after the time stop).
    stop_pct : float
        The stop of the traded label, a fraction (0.05).

    Returns
    -------
    pd.DataFrame
        One row per event sorted by date, then column order, then side (long first): ``date``,
        ``symbol``, ``date_pos`` (position of ``date`` in ``close.index``), ``side`` (``"long"`` or
        ``"short"``), the :data:`FEATURE_NAMES` columns, ``fwd_return`` and ``label`` (1 when the
        close-to-close move over the horizon favours the side); with ``bars`` also ``traded_return``
        and ``traded_label`` (1.0 when the trade made money before costs, NaN when a bar it needs is
        missing).
    """
    if not close.index.equals(volume.index) or not close.columns.equals(volume.columns):
        raise ValueError("close and volume must share index and columns")
    features = feature_array(close, volume)
    fwd = forward_return(close.to_numpy(dtype=np.float64), config.horizon)
    usable = np.isfinite(features).all(axis=-1) & np.isfinite(fwd)
    if membership is not None:
        member = membership.reindex(index=close.index, columns=close.columns, fill_value=False)
        usable &= member.fillna(False).to_numpy(dtype=bool)
    qpi = features[..., FEATURE_NAMES.index("qpi")]
    with np.errstate(invalid="ignore"):
        long_rows, long_cols = np.nonzero(usable & (qpi < config.long_threshold))
        short_rows, short_cols = np.nonzero(usable & (qpi > config.short_threshold))
    rows = np.concatenate([long_rows, short_rows])
    cols = np.concatenate([long_cols, short_cols])
    is_short = np.concatenate([np.zeros(long_rows.size, bool), np.ones(short_rows.size, bool)])
    order = np.lexsort((is_short, cols, rows))
    rows, cols, is_short = rows[order], cols[order], is_short[order]
    fwd_events = fwd[rows, cols]
    # Built around the one feature block, without copying it again: memory is the bottleneck at millions
    # of events.
    events = pd.DataFrame(features[rows, cols], columns=list(FEATURE_NAMES), copy=False)
    del features, qpi
    events.insert(0, "side", np.where(is_short, SHORT, LONG).astype(object))
    events.insert(0, "date_pos", rows)
    events.insert(0, "symbol", close.columns[cols])
    events.insert(0, "date", close.index[rows])
    events["fwd_return"] = fwd_events
    events["label"] = np.where(is_short, fwd_events < 0, fwd_events > 0).astype(np.int64)
    if bars is not None:
        panels = [bars[name].reindex(index=close.index, columns=close.columns) for name in ("open", "high", "low")]
        traded = traded_return(*panels, np.where(is_short, -1, 1), config.horizon, stop_pct, rows, cols)
        events["traded_return"] = traded
        with np.errstate(invalid="ignore"):
            events["traded_label"] = np.where(np.isfinite(traded), (traded > 0).astype(np.float64), np.nan)
    return events


# ---------------------------------------------------------------------------------------------------
# Walk-forward validation
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold: row positions into the events and the test block (trading-day positions)."""

    train: np.ndarray
    test: np.ndarray
    test_start: int
    test_end: int


def walk_forward_splits(date_pos: Any, horizon: int, n_folds: int = 5, embargo: int = 6) -> Iterator[Fold]:
    """Expanding-window walk-forward folds with purging and embargo (module docstring).

    Parameters
    ----------
    date_pos : array-like of int
        Trading-day position of each event.
    horizon : int
        Trading days each label reads after its event.
    n_folds : int
        Number of test blocks.
    embargo : int
        Trading days kept free between the end of the last training label and the test block; at
        least ``horizon``.

    Yields
    ------
    Fold
        Folds with a non-empty training and test set, oldest first.
    """
    if embargo < horizon:
        raise ValueError(f"embargo ({embargo}) must be at least the label horizon ({horizon})")
    pos = np.asarray(date_pos, dtype=np.int64)
    if pos.size == 0:
        return
    first, last = int(pos.min()), int(pos.max())
    edges = np.linspace(first, last + 1, n_folds + 2).round().astype(np.int64)
    for k in range(1, n_folds + 1):
        start, end = int(edges[k]), int(edges[k + 1]) - 1
        test = np.flatnonzero((pos >= start) & (pos <= end))
        train = np.flatnonzero(pos + horizon + embargo < start)
        if train.size and test.size:
            yield Fold(train=train, test=test, test_start=start, test_end=end)


def make_model(kind: str, random_state: int = 0) -> Any:
    """A fresh classifier: ``"hist"`` (HistGradientBoostingClassifier) or ``"gbc"`` (GradientBoosting).

    Hyper-parameters are fixed and deliberately modest (shallow trees, strong leaf minimums): the
    signal is weak and the samples overlap in time. Early stopping is off so a fit does not depend on
    a random validation split.
    """
    if kind == "hist":
        return HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=200,
            max_leaf_nodes=15,
            min_samples_leaf=100,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=random_state,
        )
    if kind == "gbc":
        return GradientBoostingClassifier(
            learning_rate=0.05,
            n_estimators=200,
            max_depth=3,
            min_samples_leaf=100,
            subsample=0.8,
            random_state=random_state,
        )
    raise ValueError(f"unknown model kind {kind!r}; expected one of {MODEL_KINDS}")


def _safe_auc(y: np.ndarray, score: np.ndarray) -> float | None:
    return float(roc_auc_score(y, score)) if 0 < y.sum() < y.size else None


#: The baselines every model is reported beside: the QPI rule's own score, ``vol_ratio_20`` alone (its sign
#: set on each fold's training events) and a logistic regression on the 8 standardised features.
BASELINES = ("qpi_rule", "vol_ratio_20", "logistic")


def baseline_scores(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, side: str) -> dict[str, np.ndarray]:
    """Out-of-sample scores of the :data:`BASELINES` on one fold (higher = more likely a positive label).

    Parameters
    ----------
    x_train, x_test : np.ndarray
        Features in :data:`FEATURE_NAMES` order.
    y_train : np.ndarray
        Training labels (both classes present).
    side : {"long", "short"}
        The QPI rule's direction: a lower QPI is a stronger long signal, a higher one a stronger short.
    """
    qpi = x_test[:, FEATURE_NAMES.index("qpi")]
    vol_train = x_train[:, FEATURE_NAMES.index("vol_ratio_20")]
    vol_test = x_test[:, FEATURE_NAMES.index("vol_ratio_20")]
    sign = 1.0 if roc_auc_score(y_train, vol_train) >= 0.5 else -1.0
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    logistic.fit(x_train, y_train)
    return {
        "qpi_rule": -qpi if side == LONG else qpi,
        "vol_ratio_20": sign * vol_test,
        "logistic": logistic.predict_proba(x_test)[:, 1],
    }


def paired_bootstrap_auc_difference(
    y: np.ndarray, score: np.ndarray, other: np.ndarray, dates: np.ndarray, samples: int = 200, seed: int = 0,
) -> dict[str, float | int | None]:
    """``AUC(score) - AUC(other)`` on the same events, with a 95% interval from resampling dates.

    Each bootstrap sample draws the event dates with replacement (all events of a drawn date come along,
    so events of one day, which share the market's move, stay together) and weighs every event by the
    number of times its date was drawn; both AUCs are computed on that same sample (paired). The interval
    is the 2.5% and 97.5% percentiles of the differences.

    Returns
    -------
    dict
        ``difference`` (on all events), ``low``, ``high``, ``samples`` (samples with both classes).
        None values when an AUC is undefined.
    """
    difference = None
    if 0 < y.sum() < y.size:
        difference = float(roc_auc_score(y, score) - roc_auc_score(y, other))
    codes, unique = pd.factorize(np.asarray(dates))
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(samples):
        weight = np.bincount(rng.integers(0, len(unique), len(unique)), minlength=len(unique))[codes]
        positives = float(weight @ y)
        if 0 < positives < weight.sum():
            diffs.append(roc_auc_score(y, score, sample_weight=weight) - roc_auc_score(y, other, sample_weight=weight))
    if difference is None or not diffs:
        return {"difference": difference, "low": None, "high": None, "samples": len(diffs)}
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {"difference": difference, "low": float(low), "high": float(high), "samples": len(diffs)}


def calibration_table(y: np.ndarray, prob: np.ndarray, bins: tuple[float, ...]) -> list[dict[str, Any]]:
    """Observed rate of positives per bin of predicted probability.

    Returns
    -------
    list of dict
        One per bin ``[low, high)`` (the last bin includes 1.0): ``low``, ``high``, ``count``,
        ``mean_probability`` and ``observed_rate`` (None for an empty bin).
    """
    edges = np.asarray(bins, dtype=np.float64)
    which = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, edges.size - 2)
    table = []
    for b in range(edges.size - 1):
        in_bin = which == b
        n = int(in_bin.sum())
        table.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "count": n,
                "mean_probability": float(prob[in_bin].mean()) if n else None,
                "observed_rate": float(y[in_bin].mean()) if n else None,
            }
        )
    return table


def validate(
    events: pd.DataFrame,
    side: str,
    kind: str = "hist",
    config: EventConfig = DEFAULT_EVENTS,
    validation: ValidationConfig = DEFAULT_VALIDATION,
) -> dict[str, Any]:
    """Walk-forward out-of-sample report of one side's model (JSON-serialisable).

    Parameters
    ----------
    events : pd.DataFrame
        Output of :func:`build_events` (both sides; this side is selected).
    side : {"long", "short"}
    kind : {"hist", "gbc"}
        Model, see :func:`make_model`.
    config, validation : EventConfig, ValidationConfig

    Returns
    -------
    dict
        ``auc`` (pooled out-of-sample), ``base_rate`` (share of positive labels out of sample),
        ``hit_rate_at_threshold`` and ``count_at_threshold`` (events with probability >
        ``config.probability``), ``calibration``, ``permutation_importance`` (mean drop in AUC per feature,
        averaged over folds), ``baseline_qpi_rule`` (the plain rule trades every event: its hit rate is
        the base rate; ``qpi_auc`` ranks by QPI extremeness alone), ``folds``, ``n_samples``, ``n_oos``,
        ``fit_seconds`` (total over folds); ``validation_auc`` (the folds before the last
        ``validation.test_folds``: where :func:`choose_kind` chooses) and ``test`` (the last folds, the
        reported period: ``auc``, ``base_rate``, ``hit_rate_at_threshold``, ``lift_at_threshold`` = hit rate
        / base rate, and per :data:`BASELINES` entry its ``auc`` and ``model_minus_baseline``, the paired
        date-bootstrap interval of :func:`paired_bootstrap_auc_difference`).
    """
    data = events[events["side"] == side].reset_index(drop=True)
    x = data[list(FEATURE_NAMES)].to_numpy(dtype=np.float64)
    y = data["label"].to_numpy(dtype=np.int64)
    qpi = data["qpi"].to_numpy(dtype=np.float64)
    oos_prob = np.full(len(data), np.nan)
    oos_baselines = {name: np.full(len(data), np.nan) for name in BASELINES}
    fold_of = np.full(len(data), -1)
    folds, importances, fit_seconds = [], [], 0.0
    for fold in walk_forward_splits(data["date_pos"], config.horizon, validation.n_folds, validation.embargo):
        if np.unique(y[fold.train]).size < 2:
            continue
        model = make_model(kind, validation.random_state)
        started = time.perf_counter()
        model.fit(x[fold.train], y[fold.train])
        fit_seconds += time.perf_counter() - started
        prob = model.predict_proba(x[fold.test])[:, 1]
        oos_prob[fold.test] = prob
        fold_of[fold.test] = len(folds)
        for name, values in baseline_scores(x[fold.train], y[fold.train], x[fold.test], side).items():
            oos_baselines[name][fold.test] = values
        folds.append(
            {
                "train": int(fold.train.size),
                "test": int(fold.test.size),
                "train_last_label_pos": int(data["date_pos"].to_numpy()[fold.train].max() + config.horizon),
                "test_start_pos": fold.test_start,
                "test_end_pos": fold.test_end,
                "auc": _safe_auc(y[fold.test], prob),
            }
        )
        if 0 < y[fold.test].sum() < fold.test.size:
            result = permutation_importance(
                model,
                x[fold.test],
                y[fold.test],
                scoring="roc_auc",
                n_repeats=validation.permutation_repeats,
                random_state=validation.random_state,
            )
            importances.append(result.importances_mean)
    oos = ~np.isnan(oos_prob)
    mean_importance = np.mean(importances, axis=0).tolist() if importances else [None] * len(FEATURE_NAMES)
    y_oos, p_oos = y[oos], oos_prob[oos]
    picked = p_oos > config.probability
    # The rule's own score: more extreme QPI = stronger signal (low for longs, high for shorts).
    rule_score = -qpi[oos] if side == LONG else qpi[oos]
    # Validation period (earlier folds: the model kind is chosen here) and test period (the last folds:
    # reported, with the baselines and paired intervals).
    first_test_fold = max(len(folds) - validation.test_folds, 0)
    test = oos & (fold_of >= first_test_fold)
    valid = oos & (fold_of < first_test_fold)
    y_test, p_test = y[test], oos_prob[test]
    base_test = float(y_test.mean()) if test.any() else None
    picked_test = p_test > config.probability
    hit_test = float(y_test[picked_test].mean()) if picked_test.any() else None
    test_dates = data["date_pos"].to_numpy()[test]
    test_period = {
        "n": int(test.sum()),
        "first_date_pos": int(test_dates.min()) if test.any() else None,
        "auc": _safe_auc(y_test, p_test) if test.any() else None,
        "base_rate": base_test,
        "hit_rate_at_threshold": hit_test,
        "count_at_threshold": int(picked_test.sum()),
        "lift_at_threshold": hit_test / base_test if hit_test is not None and base_test else None,
        "baselines": {
            name: {
                "auc": _safe_auc(y_test, oos_baselines[name][test]) if test.any() else None,
                "model_minus_baseline": paired_bootstrap_auc_difference(
                    y_test, p_test, oos_baselines[name][test], test_dates, validation.bootstrap_samples,
                    validation.random_state,
                ),
            }
            for name in BASELINES
        },
    }
    if "traded_label" in data.columns:
        traded_label = data["traded_label"].to_numpy(dtype=np.float64)
        traded_ret = data["traded_return"].to_numpy(dtype=np.float64)
        test_period["traded"] = traded_label_report(traded_label[test], traded_ret[test], p_test, config.probability)
    return {
        "side": side,
        "kind": kind,
        "n_samples": int(len(data)),
        "n_oos": int(oos.sum()),
        "auc": _safe_auc(y_oos, p_oos) if oos.any() else None,
        "base_rate": float(y_oos.mean()) if oos.any() else None,
        "hit_rate_at_threshold": float(y_oos[picked].mean()) if picked.any() else None,
        "count_at_threshold": int(picked.sum()),
        "probability_threshold": config.probability,
        "calibration": calibration_table(y_oos, p_oos, validation.calibration_bins),
        "permutation_importance": dict(zip(FEATURE_NAMES, mean_importance, strict=True)),
        "baseline_qpi_rule": {
            "hit_rate": float(y_oos.mean()) if oos.any() else None,
            "count": int(oos.sum()),
            "qpi_auc": _safe_auc(y_oos, rule_score) if oos.any() else None,
        },
        "validation_auc": _safe_auc(y[valid], oos_prob[valid]) if valid.any() else None,
        "test": test_period,
        "folds": folds,
        "fit_seconds": fit_seconds,
    }


def traded_label_report(label: np.ndarray, traded: np.ndarray, prob: np.ndarray, threshold: float) -> dict[str, Any]:
    """The model's probabilities scored against the traded label (open ``t+1`` to the stop or the time stop).

    Parameters
    ----------
    label, traded : np.ndarray
        Traded label (1.0/0.0, NaN unknown) and traded return (before costs) of each event.
    prob : np.ndarray
        The model's out-of-sample probability of the (close-to-close) label.
    threshold : float
        The probability the strategy trades above.

    Returns
    -------
    dict
        ``n`` (events with a known traded label), ``auc``, ``base_rate``, ``hit_rate_at_threshold``,
        ``count_at_threshold``, ``lift_at_threshold`` (hit rate / base rate), ``mean_return`` (all events)
        and ``mean_return_at_threshold``; None where undefined.
    """
    known = np.isfinite(label)
    y, r, p = label[known].astype(np.int64), traded[known], prob[known]
    picked = p > threshold
    base = float(y.mean()) if y.size else None
    hit = float(y[picked].mean()) if picked.any() else None
    return {
        "n": int(y.size),
        "auc": _safe_auc(y, p) if y.size else None,
        "base_rate": base,
        "hit_rate_at_threshold": hit,
        "count_at_threshold": int(picked.sum()),
        "lift_at_threshold": hit / base if hit is not None and base else None,
        "mean_return": float(r.mean()) if r.size else None,
        "mean_return_at_threshold": float(r[picked].mean()) if picked.any() else None,
    }


def compare_models(
    events: pd.DataFrame,
    side: str,
    kinds: tuple[str, ...] = MODEL_KINDS,
    config: EventConfig = DEFAULT_EVENTS,
    validation: ValidationConfig = DEFAULT_VALIDATION,
) -> dict[str, dict[str, Any]]:
    """:func:`validate` for each model kind on the same folds: quality (AUC, hit rate) and fit time."""
    return {kind: validate(events, side, kind, config, validation) for kind in kinds}


def choose_kind(comparison: dict[str, dict[str, dict[str, Any]]]) -> tuple[str, str]:
    """Pick the model kind from the walk-forward comparison of both sides.

    Parameters
    ----------
    comparison : dict
        ``{side: {kind: validate-report}}`` (:func:`compare_models` per side); each report needs ``auc``
        (None when undefined) and ``fit_seconds``.

    Returns
    -------
    (kind, reason)
        The kind with the higher out-of-sample AUC averaged over the sides, on the validation period
        (``validation_auc``) when the reports have one, so the reported test period plays no part in the
        choice (None AUCs skipped; a kind
        without any AUC ranks last); within :data:`AUC_TIE`, the one that comes first in
        :data:`MODEL_KINDS`. ``reason`` says which rule decided, with the numbers (fit times included,
        for information only).
    """
    kinds = sorted({k for reports in comparison.values() for k in reports})
    auc, fit = {}, {}
    for kind in kinds:
        # The validation period's AUC when the report has one: the test period stays untouched by the choice.
        values = [a for reports in comparison.values()
                  if (a := reports[kind].get("validation_auc", reports[kind]["auc"])) is not None]
        auc[kind] = float(np.mean(values)) if values else float("nan")
        fit[kind] = float(sum(reports[kind]["fit_seconds"] for reports in comparison.values()))
    order = {kind: MODEL_KINDS.index(kind) if kind in MODEL_KINDS else len(MODEL_KINDS) for kind in kinds}
    ranked = sorted(kinds, key=lambda k: (-np.nan_to_num(auc[k], nan=-1.0), order[k], k))
    best = ranked[0]
    summary = ", ".join(f"{k}: mean AUC {auc[k]:.4f}, fit {fit[k]:.2f} s" for k in kinds)
    if len(ranked) > 1 and abs(np.nan_to_num(auc[best]) - np.nan_to_num(auc[ranked[1]])) < AUC_TIE:
        best = min(ranked[:2], key=lambda k: (order[k], k))
        return best, f"AUCs within {AUC_TIE} (a tie), {best} comes first in {MODEL_KINDS}: {summary}"
    return best, f"higher mean out-of-sample AUC (validation period when reported): {summary}"


def fit_final(events: pd.DataFrame, side: str, kind: str = "hist", random_state: int = 0) -> Any:
    """Fit one side's model on all its events (after validation), for export."""
    data = events[events["side"] == side]
    model = make_model(kind, random_state)
    model.fit(data[list(FEATURE_NAMES)].to_numpy(dtype=np.float64), data["label"].to_numpy(dtype=np.int64))
    return model
