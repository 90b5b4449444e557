"""The report's charts, drawn with matplotlib into inline SVG (no JavaScript library, no network).

``matplotlib.figure.Figure`` is used directly (not pyplot), so no GUI backend or global figure
state is involved. Text stays text in the SVG (``svg.fonttype = none``): smaller files, and the
browser's fonts. A fixed hash salt and no date metadata make the same data give the same bytes.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from lean_local.report.model import ReportData

BLUE, GREY, RED, GREEN, ORANGE = "#1f5fbf", "#8a8f98", "#c0392b", "#1e8449", "#d68910"
PALETTE = [BLUE, ORANGE, GREEN, RED, "#7d3c98", "#17a589", "#5d6d7e", "#a04000"]
WIDTH = 10.0
STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "lean-local-report",
    "font.family": "sans-serif",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e6ea",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#9aa0a8",
    "legend.frameon": False,
    # user series names are plain text: "$" in a name must not start matplotlib's mathtext
    "text.parse_math": False,
}

# Chart lines keep at most this many points (each bucket's first, lowest, highest and last): the
# page stays small (the data tables keep every row) and the extremes stay visible.
MAX_POINTS = 500
LEGEND_ABOVE = {"loc": "lower left", "bbox_to_anchor": (0.0, 1.0), "borderaxespad": 0.2}


def _compact(value: float, _position: object = None) -> str:
    """Money ticks that stay narrow: 950, 12.5k, 1.2M, 3B."""
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.4g}"


_THOUSANDS = FuncFormatter(_compact)
_PERCENT = FuncFormatter(lambda v, _: f"{v:.0f}%" if abs(v) >= 10 or v == 0 else f"{v:.1f}%")


def downsample(series: pd.Series, max_points: int = MAX_POINTS) -> pd.Series:
    """At most about ``max_points`` points of ``series`` (NaN dropped): in each of ``max_points // 4``
    equal runs of points, the first, the lowest, the highest and the last, in time order."""
    series = series.dropna()
    n = len(series)
    if n <= max_points:
        return series
    buckets = max(1, max_points // 4)
    ids = np.arange(n) * buckets // n
    values = series.to_numpy(dtype=float)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], n] - 1
    lows = np.array([s + int(np.argmin(values[s:e + 1])) for s, e in zip(starts, ends, strict=True)])
    highs = np.array([s + int(np.argmax(values[s:e + 1])) for s, e in zip(starts, ends, strict=True)])
    keep = np.unique(np.concatenate([starts, ends, lows, highs]))
    return series.iloc[keep]


def to_svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element (XML prolog and doctype removed) for inlining in HTML."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        # Fixed margins instead of bbox_inches="tight", which draws every figure twice.
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    # The RDF metadata block only names the creator; dropping it keeps the page free of links.
    start, end = text.find("<metadata>"), text.find("</metadata>")
    return text[:start] + text[end + len("</metadata>"):] if start >= 0 and end > start else text


def _figure(height: float, rows: int = 1) -> tuple[Figure, list]:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH, height))
        # margins in inches: a 0.95 in left margin holds a rotated label and 6-character ticks
        fig.subplots_adjust(left=0.95 / WIDTH, right=1 - 0.15 / WIDTH, top=1 - 0.35 / height,
                            bottom=0.45 / height, hspace=0.15)
        axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0].tolist()
    return fig, axes


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def equity_chart(data: ReportData, log_scale: bool) -> str:
    """Equity against the benchmark, the benchmark rescaled to the equity on its first date."""
    with matplotlib.rc_context(STYLE):
        fig, (ax,) = _figure(3.6)
        if data.equity.empty:
            _empty(ax, "no equity samples")
            return to_svg(fig)
        equity = downsample(data.equity)
        ax.plot(equity.index, equity.to_numpy(), color=BLUE, lw=1.3, label="Strategy equity")
        if not data.benchmark.empty:
            first = data.benchmark.index[0]
            anchor = data.equity.asof(first)
            if np.isnan(anchor):
                anchor = data.equity.iloc[0]
            scaled = downsample(data.benchmark / data.benchmark.iloc[0] * anchor)
            ax.plot(scaled.index, scaled.to_numpy(), color=GREY, lw=1.0, label="Benchmark (rescaled)")
        if log_scale and (data.equity > 0).all():
            ax.set_yscale("log")
            ax.yaxis.set_minor_formatter(NullFormatter())
            low, high = ax.get_ylim()
            # Within one decade a log axis has a single major tick; evenly spaced values read better.
            if high / low < 10:
                ax.yaxis.set_major_locator(MaxNLocator(6))
        ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.set_ylabel(f"value ({data.currency}{', log' if log_scale else ''})")
        ax.legend(ncol=2, **LEGEND_ABOVE)
        return to_svg(fig)


def drawdown_chart(data: ReportData) -> str:
    """LEAN's equity drawdown series, percent below the running peak."""
    with matplotlib.rc_context(STYLE):
        fig, (ax,) = _figure(2.2)
        if data.drawdown.empty:
            _empty(ax, "no drawdown series")
            return to_svg(fig)
        drawdown = downsample(data.drawdown)
        ax.fill_between(drawdown.index, drawdown.to_numpy(), 0.0, color=RED, alpha=0.35, lw=0)
        ax.plot(drawdown.index, drawdown.to_numpy(), color=RED, lw=0.8)
        ax.yaxis.set_major_formatter(_PERCENT)
        ax.set_ylabel("drawdown")
        return to_svg(fig)


def rolling_chart(data: ReportData) -> str:
    """Rolling 6-month Sharpe ratio (top) and annualized volatility (bottom)."""
    with matplotlib.rc_context(STYLE):
        fig, (top, bottom) = _figure(3.6, rows=2)
        if data.rolling_sharpe.dropna().empty and data.rolling_volatility.dropna().empty:
            _empty(top, "fewer than 6 months of returns")
            _empty(bottom, "fewer than 6 months of returns")
            return to_svg(fig)
        sharpe, volatility = downsample(data.rolling_sharpe), downsample(data.rolling_volatility)
        top.plot(sharpe.index, sharpe.to_numpy(), color=BLUE, lw=1.0)
        top.axhline(0.0, color=GREY, lw=0.6)
        top.set_ylabel("Sharpe, 6 mo")
        bottom.plot(volatility.index, volatility.to_numpy() * 100, color=ORANGE, lw=1.0)
        bottom.yaxis.set_major_formatter(_PERCENT)
        bottom.set_ylabel("volatility, 6 mo")
        return to_svg(fig)


def exposure_chart(data: ReportData) -> str:
    """Gross long, gross short and net exposure, percent of portfolio value."""
    with matplotlib.rc_context(STYLE):
        fig, (ax,) = _figure(2.6)
        if data.exposure.empty:
            _empty(ax, "the result has no Exposure chart")
            return to_svg(fig)
        frame = data.exposure * 100
        kept = np.unique(np.concatenate([frame.index.get_indexer(downsample(frame[c], MAX_POINTS // 2).index)
                                         for c in frame]))
        frame = frame.iloc[kept]
        ax.fill_between(frame.index, frame["long"].to_numpy(), 0.0, color=GREEN, alpha=0.25, lw=0,
                        label="gross long")
        ax.fill_between(frame.index, frame["short"].to_numpy(), 0.0, color=RED, alpha=0.25, lw=0,
                        label="gross short")
        ax.plot(frame.index, frame["long"].to_numpy(), color=GREEN, lw=0.6)
        ax.plot(frame.index, frame["short"].to_numpy(), color=RED, lw=0.6)
        ax.plot(frame.index, frame["net"].to_numpy(), color=BLUE, lw=1.0, label="net")
        ax.axhline(0.0, color=GREY, lw=0.6)
        ax.yaxis.set_major_formatter(_PERCENT)
        ax.set_ylabel("exposure")
        ax.legend(ncol=3, **LEGEND_ABOVE)
        return to_svg(fig)


def positions_chart(data: ReportData) -> str:
    """Number of open positions after each fill (a step line)."""
    with matplotlib.rc_context(STYLE):
        fig, (ax,) = _figure(2.2)
        if data.positions.empty:
            _empty(ax, "no filled orders")
            return to_svg(fig)
        end = data.equity.index[-1] if not data.equity.empty else data.positions.index[-1]
        series = downsample(data.positions)
        if end > series.index[-1]:
            series = pd.concat([series, pd.Series([series.iloc[-1]], index=[end])])
        ax.step(series.index, series.to_numpy(), where="post", color=BLUE, lw=1.0)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("positions")
        return to_svg(fig)


def pnl_distribution_chart(data: ReportData) -> str:
    """Histogram of the closed trades' profit and loss over their 1st to 99th percentile; the trades
    beyond it are counted in the end bins (said in the axis label), so outliers do not squash the rest."""
    with matplotlib.rc_context(STYLE):
        fig, (ax,) = _figure(2.6)
        pnl = data.trades["profit_loss"].to_numpy(dtype=float) if len(data.trades) else np.array([])
        if pnl.size == 0:
            _empty(ax, "no closed trades")
            return to_svg(fig)
        low, high = np.quantile(pnl, [0.01, 0.99]) if pnl.size >= 100 else (pnl.min(), pnl.max())
        if high <= low:
            low, high = low - 0.5, high + 0.5
        clipped = np.clip(pnl, low, high)
        outside = int(np.count_nonzero((pnl < low) | (pnl > high)))
        bins = int(np.clip(np.sqrt(pnl.size) * 2, 10, 60))
        edges = np.histogram_bin_edges(clipped, bins=bins)
        ax.hist(clipped[pnl <= 0], bins=edges, color=RED, alpha=0.75, label="losing trades")
        ax.hist(clipped[pnl > 0], bins=edges, color=GREEN, alpha=0.75, label="winning trades")
        ax.axvline(0.0, color=GREY, lw=0.8)
        ax.xaxis.set_major_formatter(_THOUSANDS)
        beyond = f"; {outside} beyond the 1st-99th percentile in the end bins" if outside else ""
        ax.set_xlabel(f"profit and loss per trade ({data.currency}){beyond}")
        ax.set_ylabel("trades")
        ax.legend(ncol=2, **LEGEND_ABOVE)
        return to_svg(fig)


def annual_returns_chart(data: ReportData) -> str:
    """Each calendar year's return, the strategy's bar beside the benchmark's."""
    with matplotlib.rc_context(STYLE):
        fig, (ax,) = _figure(2.6)
        strategy = data.yearly_returns.dropna()
        if strategy.empty:
            _empty(ax, "no equity samples")
            return to_svg(fig)
        years = strategy.index.year
        benchmark = pd.Series(data.benchmark_yearly.to_numpy(dtype=float),
                              index=data.benchmark_yearly.index.year).reindex(years)
        x = np.arange(len(years))
        width = 0.4 if benchmark.notna().any() else 0.6
        values = strategy.to_numpy() * 100
        ax.bar(x - (width / 2 if benchmark.notna().any() else 0), values, width,
               color=[GREEN if v >= 0 else RED for v in values], label="strategy")
        if benchmark.notna().any():
            ax.bar(x + width / 2, benchmark.to_numpy() * 100, width, color=GREY, label="benchmark")
        ax.axhline(0.0, color=GREY, lw=0.6)
        ax.set_xticks(x, [str(y) for y in years])
        ax.yaxis.set_major_formatter(_PERCENT)
        ax.set_ylabel("return")
        ax.legend(ncol=2, **LEGEND_ABOVE)
        return to_svg(fig)


def rolling_beta_chart(data: ReportData) -> str:
    """Rolling 6-month beta on the benchmark."""
    with matplotlib.rc_context(STYLE):
        fig, (ax,) = _figure(2.2)
        beta = downsample(data.rolling_beta)
        if beta.empty:
            _empty(ax, "no benchmark data" if data.benchmark.empty else "fewer than 6 months of returns")
            return to_svg(fig)
        ax.plot(beta.index, beta.to_numpy(), color=BLUE, lw=1.0)
        ax.axhline(0.0, color=GREY, lw=0.6)
        ax.set_ylabel("beta, 6 mo")
        return to_svg(fig)


def user_chart(data: ReportData, chart_name: str) -> str:
    """One of the algorithm's ``plot()`` charts: every series on one axis, in LEAN's series types."""
    with matplotlib.rc_context(STYLE):
        fig, (ax,) = _figure(2.6)
        series_map = data.user_charts.get(chart_name, {})
        drawn = 0
        for i, (series_name, series) in enumerate(sorted(series_map.items())):
            if series.empty:
                continue
            color = PALETTE[i % len(PALETTE)]
            kind = data.user_series_types.get((chart_name, series_name), 0)
            if kind == 0:
                series = downsample(series)
            if kind == 1:
                ax.scatter(series.index, series.to_numpy(), s=8, color=color, label=series_name)
            elif kind == 3:
                ax.bar(series.index, series.to_numpy(), color=color, label=series_name)
            else:
                ax.plot(series.index, series.to_numpy(), color=color, lw=1.0, label=series_name)
            drawn += 1
        if not drawn:
            _empty(ax, "no points plotted")
            return to_svg(fig)
        ax.legend(ncol=min(drawn, 6), **LEGEND_ABOVE)
        return to_svg(fig)
