"""A synthetic US market, written as a self-contained LEAN data folder.

The generator builds, from one seed, a panel of stocks (dates x stocks) with a market factor, sector
factors, GARCH volatility clustering, Student-t tails, listings, delistings, renames, splits and
dividends, a planted short-horizon reversal of configurable strength, a cap-weighted market ETF
(``SYNSPY``), a volatility index consistent with the market's conditional volatility (``SYNVIX``), four FX pairs with a monthly momentum /
mean-reversion structure, and the auxiliary files LEAN needs (factor, map and coarse files, the
interest rate, market hours and symbol properties). Everything is vectorized over the whole panel;
the only Python loops run over time steps (the GARCH and price recursions are sequential by nature)
or over output files.

Two entry points:

* :func:`generate_market` returns the model as arrays (:class:`SyntheticMarket`), nothing written.
* :func:`write_market` writes it into a LEAN data folder through :mod:`lean_local.data.formats`.

Determinism: the same :class:`SyntheticMarketConfig` (seed included) gives the same arrays and the
same bytes in every file. Each model component draws from its own child of the seed's
``SeedSequence``, so switching one knob does not reshuffle the random numbers of the others.

Modules: :mod:`.config` (the knobs), :mod:`.blocks` (calendar, shocks, GARCH, tickers, OHLC),
:mod:`.stocks` (the stock panel), :mod:`.spy_vix` (``SPY`` and the VIX), :mod:`.fx` (the FX pairs),
:mod:`.model` (:func:`generate_market`), :mod:`.writer` (:func:`write_market`), :mod:`.folder` (the
target folder's lock and its one-step replacement) and :mod:`.cli` (``lean-local data synthetic``).

See ``docs/synthetic.md`` for the model equations and what the defaults imply.
"""

from lean_local.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "blocks": [
        "garch_variance", "make_tickers", "mean_abs_student_t", "ohlc_from_close", "reversal_kernel",
        "round_price", "stationary_ar1", "student_t", "trading_days", "volume_shock",
    ],
    "cli": ["CLI_EXAMPLE", "add_arguments", "register", "run"],
    "config": [
        "FX_PAIRS", "INDEX_TICKER", "MARKER_FILE", "MARKER_VERSION", "NEVER", "RESERVED_TICKERS",
        "TRADING_DAYS_PER_YEAR", "VOLATILITY_TICKER", "SyntheticMarketConfig",
    ],
    "folder": ["GENERATED_FOLDERS", "FolderBusyError"],
    "fx": ["FX_START", "pip_size"],
    "model": ["SyntheticMarket", "generate_market"],
    "writer": ["factor_table", "map_table", "symbol_at", "write_market"],
})
