"""Stylized facts of a LEAN daily US equity folder, real or synthetic (``lean-local data facts``).

The facts are the ones a market model for a short-horizon strategy has to get right (issue 15): tails,
return and volatility autocorrelation, the market factor, co-movement, volume persistence, the size of
the 3-day -> 6-day reversal the ML strategy trades, the dollar-volume distribution and the number of
listed names. Everything is computed on one panel (dates x securities) with array operations; the only
loop is over the securities' files when a folder is read.

Conventions
-----------
* Prices are LEAN's ``ADJUSTED`` normalisation (raw x price factor x split factor of the factor-file row
  with the earliest date on or after the bar); volume is split-adjusted (raw shares / split factor), so
  neither jumps at a split; dollar volume is raw close x raw volume (what a coarse file holds).
* A daily return is the log change of the adjusted close between consecutive panel dates; it is NaN when
  either bar is missing (listing day, a gap, after delisting).
* Per-security statistics need ``min_observations`` values (pairs, for autocorrelations) and are
  summarised by their median across securities.
* The market is ``SPY`` (adjusted close) when the folder has it, and is then left out of the cross
  section; otherwise the equal-weighted mean return of the panel.

Modules: :mod:`.panel` (the panel from a folder or a synthetic market), :mod:`.measures` (the
statistics on NaN-padded arrays, the reversal), :mod:`.summary` (:func:`stylized_facts`,
:func:`coarse_facts`), :mod:`.bands` (the real-equity bands, the table, the JSON file) and
:mod:`.cli` (``lean-local data facts``).
"""

from lean_local.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "bands": ["REAL_EQUITY_BANDS", "band_verdict", "format_table", "write_facts_json"],
    "cli": ["CLI_EXAMPLE", "register", "run"],
    "measures": [
        "ENTRY_OFFSET", "EXIT_OFFSET", "SIGNAL_DAYS", "autocorrelation", "correlation_with",
        "cross_sectional_ranks", "excess_kurtosis", "finite_median", "mean_pairwise_correlation",
        "newey_west_t", "reversal_ic_and_spread", "reversal_signal_and_outcome", "values_at_ranks",
    ],
    "panel": [
        "MARKET_TICKER", "DailyPanel", "factor_columns", "load_folder_panel", "log_returns", "market_panel",
    ],
    "summary": ["DOLLAR_VOLUME_RANKS", "coarse_facts", "stylized_facts"],
})
