"""A synthetic US market, written as a self-contained LEAN data folder.

The generator builds, from one seed, a panel of stocks (dates x stocks) with a market factor, sector
factors, GARCH volatility clustering, Student-t tails, listings, delistings, renames, splits and
dividends, a planted short-horizon reversal of configurable strength, a cap-weighted ``SPY``, a VIX
consistent with the market's conditional volatility, four FX pairs with a monthly momentum /
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

from lean_local.data.synthetic.blocks import (
    garch_variance,
    make_tickers,
    mean_abs_student_t,
    ohlc_from_close,
    reversal_kernel,
    round_price,
    stationary_ar1,
    student_t,
    trading_days,
)
from lean_local.data.synthetic.cli import CLI_EXAMPLE, add_arguments, register, run
from lean_local.data.synthetic.config import (
    FX_PAIRS,
    MARKER_FILE,
    MARKER_VERSION,
    NEVER,
    RESERVED_TICKERS,
    TRADING_DAYS_PER_YEAR,
    SyntheticMarketConfig,
)
from lean_local.data.synthetic.folder import GENERATED_FOLDERS, FolderBusyError
from lean_local.data.synthetic.fx import FX_START, pip_size
from lean_local.data.synthetic.model import SyntheticMarket, generate_market
from lean_local.data.synthetic.writer import (
    factor_table,
    map_table,
    symbol_at,
    write_market,
)

__all__ = [
    "CLI_EXAMPLE",
    "FX_PAIRS",
    "FX_START",
    "FolderBusyError",
    "GENERATED_FOLDERS",
    "MARKER_FILE",
    "MARKER_VERSION",
    "NEVER",
    "RESERVED_TICKERS",
    "TRADING_DAYS_PER_YEAR",
    "SyntheticMarket",
    "SyntheticMarketConfig",
    "add_arguments",
    "factor_table",
    "garch_variance",
    "generate_market",
    "make_tickers",
    "map_table",
    "mean_abs_student_t",
    "ohlc_from_close",
    "pip_size",
    "register",
    "reversal_kernel",
    "round_price",
    "run",
    "stationary_ar1",
    "student_t",
    "symbol_at",
    "trading_days",
    "write_market",
]
