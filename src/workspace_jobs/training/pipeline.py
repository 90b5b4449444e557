"""The research notebook's training pipeline for ``ml_mean_reversion``, run by ``lean-local train``.

The pipeline is the notebook's, step for step, with every computation in ``Library/shared``:

1. point-in-time universe: on each coarse date, the top ``top_n`` stocks by dollar volume with a close
   >= ``min_price`` (:func:`shared.universe.top_dollar_volume`), tradable from the next trading day
   (:func:`shared.universe.membership_panel`); delisted stocks stay in (no survivorship bias);
2. events, features and labels (:func:`shared.ml_training.build_events`);
3. walk-forward validation with purging and embargo of both model kinds
   (:func:`shared.ml_training.compare_models`), and the choice between them
   (:func:`shared.ml_training.choose_kind`);
4. the final fit on every event (:func:`shared.ml_training.fit_final`) and the export: into the
   workspace object store by :func:`shared.model_store.publish_models` (``ml_mean_reversion/manifest.json``
   naming ``long_model_<sha12>.joblib`` and ``short_model_<sha12>.joblib``; the version before stays
   loadable), and as a versioned copy with a model card in ``models/ml_mean_reversion/<UTC timestamp>/``.

Only this module reads the data folder directly (columnar, through :mod:`lean_local.data.formats`);
the notebook reads the same data through ``QuantBook.history`` so it also runs in LEAN.

Prices are LEAN's default ``ADJUSTED`` normalisation (raw close x price factor x split factor, the
factor-file row with the earliest date >= the bar); volumes are split-adjusted shares (raw / split
factor). LEAN's ``ADJUSTED`` data divides volume by the whole factor (``Extensions.Normalize``: volume x
1 / factor), which differs from this by the dividend part only (a fraction of a percent, constant within
the 20-day window of ``vol_ratio_20`` between ex-dates).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_local import progress

PROJECT = "ml_mean_reversion"


def _shared():
    """Import the signals library: the project's library paths of the workspace around the current
    folder, put first on ``sys.path`` as lean-cli puts them for a backtest (unless already importable).

    Raises
    ------
    FileNotFoundError
        The library is not importable and no workspace (``lean.json``) is found.
    """
    try:
        from shared import ml_training, universe
    except ImportError:
        from lean_local import workspace

        root = workspace.find_workspace()
        if root is None:
            raise FileNotFoundError(f"no lean.json in {Path.cwd()} or above: run lean-local train inside the "
                                    "workspace, whose Library/shared holds the signals library") from None
        for path in reversed(workspace.python_paths(root, root / "algorithms" / PROJECT)):
            sys.path.insert(0, str(path))
        from shared import ml_training, universe
    return ml_training, universe


@dataclass
class TrainingPanel:
    """Daily adjusted closes, split-adjusted volumes and point-in-time membership, one column per stock.

    Attributes
    ----------
    close, volume : pd.DataFrame
        Adjusted closes and split-adjusted volumes (shares). Index: trading days (the coarse dates); columns: the data file's ticker of every stock that was
        ever in the universe in the window.
    membership : pd.DataFrame of bool
        Same shape: True when the stock was tradable in the universe that day (selected from the
        previous trading day's coarse file).
    n_candidates : int
        Distinct stocks in the coarse files of the window.
    breaks : list of (str, str)
        ``(ticker, YYYY-MM-DD)`` where a stock's series was cut (see :func:`_cut_at_breaks`).
    bars : dict of str to pd.DataFrame
        Adjusted ``open``, ``high`` and ``low``, same shape as ``close`` (NaN where ``close`` is), for the
        traded label.
    """

    close: pd.DataFrame
    volume: pd.DataFrame
    membership: pd.DataFrame
    n_candidates: int
    breaks: list[tuple[str, str]] = field(default_factory=list)
    bars: dict[str, pd.DataFrame] | None = None


def load_panel(
    data_folder: str | os.PathLike[str],
    start: Any = None,
    end: Any = None,
    top_n: int = 500,
    min_price: float = 1.0,
    require_fundamental: bool = False,
) -> TrainingPanel:
    """Read the point-in-time universe and the prices of its members from a LEAN data folder.

    Parameters
    ----------
    data_folder : path
        A LEAN data folder with coarse files and US equity daily files.
    start, end : date-like, optional
        First and last coarse date (inclusive); all coarse files when omitted.
    top_n, min_price, require_fundamental
        The universe rule (:func:`shared.universe.top_dollar_volume`).

    Returns
    -------
    TrainingPanel

    Raises
    ------
    FileNotFoundError
        No coarse file in the window.
    """
    from lean_local.data import formats, map_files
    from lean_local.data.facts import factor_columns

    _, universe = _shared()
    folder = Path(data_folder)
    coarse = formats.read_coarse_range(folder, start or "1900-01-01", end or "2100-12-31")
    if coarse.empty:
        raise FileNotFoundError(
            f"no coarse universe files in {folder / 'equity/usa/fundamental/coarse'} for {start}..{end}; "
            "build data first (lean-local data synthetic ...)"
        )
    resolver = map_files.load_resolver(folder)
    # Identify stocks by their map file (named by the latest ticker; LEAN resolves the sid so), else
    # by the day's ticker.
    sids = coarse["sid"].astype(str)
    permticks = {sid: m.permtick.lower() for sid in sids.unique() if (m := resolver.resolve_sid(sid)) is not None}
    coarse["symbol"] = sids.map(permticks).fillna(coarse["symbol"].astype(str).str.lower())
    dates = pd.DatetimeIndex(np.sort(coarse["date"].unique()))
    selection = universe.top_dollar_volume(coarse, top_n, min_price, require_fundamental)
    membership = universe.membership_panel(selection, dates)
    closes, volumes, opens, highs, lows = {}, {}, {}, {}, {}
    for ticker in progress.wrap(membership.columns, desc="reading members' bars", total=len(membership.columns)):
        # a renamed stock's bars are in one zip per ticker: read every period through the map file
        map_file = resolver.get(ticker) or map_files.MapFile.unmapped(ticker)
        bars = map_files.read_bars(folder, map_file.segments())
        if bars is None:
            continue
        factor_path = formats.factor_file_path(folder, ticker)
        price_factor, split_factor = factor_columns(
            formats.read_factor_file(factor_path) if factor_path.exists() else None, bars.index
        )
        factor = price_factor * split_factor
        closes[ticker] = pd.Series(bars["close"].to_numpy() * factor, index=bars.index)
        opens[ticker] = pd.Series(bars["open"].to_numpy() * factor, index=bars.index)
        highs[ticker] = pd.Series(bars["high"].to_numpy() * factor, index=bars.index)
        lows[ticker] = pd.Series(bars["low"].to_numpy() * factor, index=bars.index)
        # Split-adjusted shares: raw volume jumps by the split ratio at every split, which would read as a
        # volume shock in vol_ratio_20 for 20 days.
        volumes[ticker] = pd.Series(bars["volume"].to_numpy() / split_factor, index=bars.index)
    close = pd.DataFrame(closes).reindex(dates)
    volume = pd.DataFrame(volumes).reindex(dates)
    membership = membership.reindex(columns=close.columns, fill_value=False)
    close, volume, membership, breaks = _cut_at_breaks(close, volume, membership)
    # the traded label's bars, with the same columns (a cut series' parts read the stock's bars)
    bars_panels = {}
    for name, series in (("open", opens), ("high", highs), ("low", lows)):
        frame = pd.DataFrame(series).reindex(dates)
        parts = {column: frame[column.split("@")[0]].where(close[column].notna()) for column in close.columns}
        bars_panels[name] = pd.DataFrame(parts, index=dates)
    return TrainingPanel(close, volume, membership, int(coarse["symbol"].nunique()), breaks, bars_panels)


def _cut_at_breaks(close: pd.DataFrame, volume: pd.DataFrame, membership: pd.DataFrame):
    """Cut each stock's series where its one-day return is impossible (a split-like move without a
    factor-file row, or a hole: :func:`lean_local.data.coarse_builder.series_breaks`).

    The part from a break on becomes its own column ``<ticker>@<YYYY-MM-DD>``, so no feature, label or
    return spans a break. Returns the three panels and the breaks as ``(ticker, date)`` pairs.
    """
    from lean_local.data.coarse_builder import series_breaks

    cuts = {ticker: series_breaks(close[ticker].to_numpy()) for ticker in close.columns}
    cuts = {ticker: positions for ticker, positions in cuts.items() if len(positions)}
    if not cuts:
        return close, volume, membership, []
    breaks = []
    panels = [close, volume, membership]
    extra: list[dict[str, pd.Series]] = [{}, {}, {}]
    for ticker, positions in cuts.items():
        bounds = [*positions.tolist(), len(close)]
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            name = f"{ticker}@{close.index[lo]:%Y-%m-%d}"
            breaks.append((ticker, f"{close.index[lo]:%Y-%m-%d}"))
            for panel, parts, blank in zip(panels, extra, (np.nan, np.nan, False), strict=True):
                part = panel[ticker].copy()
                part.iloc[:lo] = blank
                part.iloc[hi:] = blank
                parts[name] = part
        for panel, blank in zip(panels, (np.nan, np.nan, False), strict=True):
            panel.loc[close.index[positions[0]]:, ticker] = blank
    close, volume, membership = (pd.concat([panel, pd.DataFrame(parts, index=panel.index)], axis=1)
                                 for panel, parts in zip(panels, extra, strict=True))
    return close, volume, membership.astype(bool), breaks


def _model_card(manifest: dict[str, Any], report: dict[str, Any]) -> str:
    lines = [
        "# ml_mean_reversion models",
        "",
        f"Trained {report['trained_at']} by `lean-local train ml_mean_reversion` on `{report['data_folder']}`"
        f" ({'SYNTHETIC market' if report['synthetic'] else 'market data'}).",
        "",
        f"- model kind: `{report['kind']}` ({report['kind_reason']})",
        f"- training window: {manifest['training_window']}",
        f"- thresholds: {manifest['thresholds']}",
        f"- universe: top {report['top_n']} by dollar volume, price >= ${report['min_price']}, "
        f"{report['n_candidates']} candidate stocks, {report['n_members']} ever members",
        f"- packages: {manifest['packages']}",
        "",
        "| side | events | OOS AUC | base rate | hit rate p > threshold | count | QPI-rule AUC |",
        "|---|---|---|---|---|---|---|",
    ]
    for side, v in manifest["validation"].items():
        if not isinstance(v, dict) or "auc" not in v:
            continue
        lines.append(
            f"| {side} | {v['n_samples']} | {_fmt(v['auc'])} | {_fmt(v['base_rate'])} | "
            f"{_fmt(v['hit_rate_at_threshold'])} | {v['count_at_threshold']} | "
            f"{_fmt(v['baseline_qpi_rule']['qpi_auc'])} |"
        )
    lines += ["", "Test period (the last walk-forward folds; the kind is chosen on the earlier ones):", "", "```"]
    for side, v in manifest["validation"].items():
        if isinstance(v, dict) and "auc" in v:
            lines += [side, *test_period_lines(v)]
    lines += ["```", "", "Files (sha256):", ""]
    lines += [f"- `{e['file']}` {e['sha256']}" for e in manifest["models"].values()]
    lines += ["", "Out-of-sample figures come from walk-forward folds with purging and an embargo; "
              "they are estimates on this data, not promises."]
    return "\n".join(lines) + "\n"


def _fmt(x: Any) -> str:
    return "n/a" if x is None else f"{x:.4f}"


def _pct(x: Any) -> str:
    return "n/a" if x is None else f"{x:+.2%}"


def train(
    data_folder: str | os.PathLike[str],
    storage: str | os.PathLike[str],
    models_dir: str | os.PathLike[str] | None,
    start: Any = None,
    end: Any = None,
    kinds: Sequence[str] = ("hist", "gbc"),
    top_n: int = 500,
    min_price: float = 1.0,
    require_fundamental: bool = False,
    long_threshold: float = 15.0,
    short_threshold: float = 85.0,
    probability: float = 0.60,
    horizon: int = 6,
    n_folds: int = 5,
    embargo: int = 6,
    seed: int = 0,
    permutation_repeats: int = 5,
) -> dict[str, Any]:
    """Run the whole pipeline and export the models.

    Parameters
    ----------
    data_folder : path
        LEAN data folder.
    storage : path
        Object store root (the workspace's ``storage/``).
    models_dir : path or None
        Where the versioned copies go (``models/ml_mean_reversion``); None skips the copy.
    start, end : date-like, optional
        Coarse dates of the training window.
    kinds : sequence of {"hist", "gbc"}
        Model kinds compared; the better one is exported.
    Other parameters: the universe rule, the event thresholds, the probability the strategy trades
    above, the label horizon (trading days), walk-forward folds, embargo (trading days, >= horizon),
    the random seed and permutation-importance repeats.

    Returns
    -------
    dict
        The report: sample counts, the comparison (``{side: {kind: validate-report}}``), the chosen kind
        and why, the manifest, the versioned folder, and timings (seconds).
    """
    from lean_local.object_store import ObjectStore

    ml, _ = _shared()
    from shared import model_store

    timings: dict[str, float] = {}
    started = time.perf_counter()
    panel = load_panel(data_folder, start, end, top_n, min_price, require_fundamental)
    timings["load"] = time.perf_counter() - started
    config = ml.EventConfig(long_threshold, short_threshold, horizon, probability)
    validation = ml.ValidationConfig(n_folds=n_folds, embargo=embargo, random_state=seed,
                                     permutation_repeats=permutation_repeats)
    started = time.perf_counter()
    events = ml.build_events(panel.close, panel.volume, panel.membership, config, panel.bars)
    timings["events"] = time.perf_counter() - started
    counts = {side: int((events["side"] == side).sum()) for side in ml.SIDES}
    if min(counts.values(), default=0) == 0:
        raise ValueError(f"too few events to train both sides: {counts}; widen the window or the thresholds")
    started = time.perf_counter()
    comparison: dict[str, dict[str, Any]] = {side: {} for side in ml.SIDES}
    steps = [(side, kind) for side in ml.SIDES for kind in kinds]
    for side, kind in progress.wrap(steps, desc="walk-forward validation", total=len(steps)):
        comparison[side].update(ml.compare_models(events, side, (kind,), config, validation))
    timings["validation"] = time.perf_counter() - started
    kind, reason = ml.choose_kind(comparison)
    started = time.perf_counter()
    models = {side: ml.fit_final(events, side, kind, seed)
              for side in progress.wrap(ml.SIDES, desc=f"final fit ({kind})", total=len(ml.SIDES))}
    timings["final_fit"] = time.perf_counter() - started
    window = {
        "start": str(events["date"].min().date()),
        "end": str(events["date"].max().date()),
        "last_label_date": str(panel.close.index[int(events["date_pos"].max()) + horizon].date()),
        "n_events_long": str(counts["long"]),
        "n_events_short": str(counts["short"]),
    }
    chosen = {side: comparison[side][kind] for side in ml.SIDES}
    store = ObjectStore(storage)
    manifest = model_store.publish_models(store, models, config, window, chosen, kind)
    exported = [entry["file"] for entry in manifest["models"].values()]
    synthetic_marker = Path(data_folder) / "synthetic.json"
    report: dict[str, Any] = {
        "data_folder": str(data_folder),
        "synthetic": synthetic_marker.exists(),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "top_n": top_n,
        "min_price": min_price,
        "n_candidates": panel.n_candidates,
        "n_members": int(panel.membership.any().sum()),
        "n_days": int(len(panel.close.index)),
        "series_breaks": [f"{ticker} {day}" for ticker, day in panel.breaks],
        "events": counts,
        "comparison": comparison,
        "kind": kind,
        "kind_reason": reason,
        "manifest": manifest,
        "store_keys": [model_store.object_store_key(name) for name in (model_store.MANIFEST, *exported)],
        "versioned": None,
    }
    if models_dir is not None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        folder = Path(models_dir) / stamp
        model_store.export_models(models, folder, config, window, chosen, kind)
        from lean_local.atomic import atomic_write

        with atomic_write(folder / "MODEL_CARD.md") as tmp:
            tmp.write_text(_model_card(manifest, report), encoding="utf-8")
        with atomic_write(folder / "training_report.json") as tmp:
            tmp.write_text(report_json(report), encoding="utf-8")
        report["versioned"] = str(folder)
    timings["total"] = sum(timings.values())
    report["timings"] = timings
    return report


def report_json(report: dict[str, Any]) -> str:
    """The training report as JSON text, keys sorted; the manifest is left out (it is stored beside the
    models)."""
    return json.dumps({k: v for k, v in report.items() if k != "manifest"}, indent=2, sort_keys=True, default=str)


def summary_text(report: dict[str, Any]) -> str:
    """The report as the human-readable lines the command prints."""
    out = [
        f"data: {report['data_folder']}{' (SYNTHETIC)' if report['synthetic'] else ''}, {report['n_days']} days, "
        f"{report['n_candidates']} candidates, {report['n_members']} ever in the top {report['top_n']}",
        f"events: long {report['events']['long']}, short {report['events']['short']}",
    ]
    for side, by_kind in report["comparison"].items():
        for kind, v in by_kind.items():
            out.append(
                f"  {side:5s} {kind:4s} OOS AUC {_fmt(v['auc'])}  base rate {_fmt(v['base_rate'])}  "
                f"hit rate p>{v['probability_threshold']:.2f} {_fmt(v['hit_rate_at_threshold'])} "
                f"(n={v['count_at_threshold']})  QPI-rule AUC {_fmt(v['baseline_qpi_rule']['qpi_auc'])}  "
                f"fit {v['fit_seconds']:.2f} s"
            )
            out.extend(test_period_lines(v))
    out.append(f"chosen: {report['kind']} ({report['kind_reason']})")
    out.append(f"object store: {', '.join(report['store_keys'])}")
    if report["versioned"]:
        out.append(f"versioned copy: {report['versioned']}")
    out.append("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in report["timings"].items()))
    return "\n".join(out)


def test_period_lines(report: dict[str, Any]) -> list[str]:
    """The test period of one :func:`shared.ml_training.validate` report: the model's AUC and lift over the
    base rate, then each baseline's AUC and the paired date-bootstrap 95% interval of the model's AUC minus
    the baseline's. Empty for a report without a test period."""
    test = report.get("test")
    if not test:
        return []
    lines = [f"        test period ({test['n']} events): AUC {_fmt(test['auc'])}, base rate {_fmt(test['base_rate'])}, "
             f"lift at p>{report['probability_threshold']:.2f} {_fmt(test['lift_at_threshold'])} "
             f"(n={test['count_at_threshold']}); validation-period AUC {_fmt(report.get('validation_auc'))}"]
    traded = test.get("traded")
    if traded:
        lines.append(f"          traded label (open t+1 to the 5% stop or open t+7, {traded['n']} events): "
                     f"AUC {_fmt(traded['auc'])}, base rate {_fmt(traded['base_rate'])}, lift at "
                     f"p>{report['probability_threshold']:.2f} {_fmt(traded['lift_at_threshold'])} "
                     f"(n={traded['count_at_threshold']}), mean return {_pct(traded['mean_return'])} all, "
                     f"{_pct(traded['mean_return_at_threshold'])} at p>{report['probability_threshold']:.2f}")
    for name, baseline in test["baselines"].items():
        d = baseline["model_minus_baseline"]
        lines.append(f"          vs {name:12s} AUC {_fmt(baseline['auc'])}: model - baseline {_fmt(d['difference'])} "
                     f"[{_fmt(d['low'])}, {_fmt(d['high'])}]")
    return lines
