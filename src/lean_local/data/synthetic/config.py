"""The knobs of the synthetic market (:class:`SyntheticMarketConfig`) and the constants every part shares."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TRADING_DAYS_PER_YEAR = 252
# The synthetic market's ETF (its cap-weighted market) and volatility index. Names no real security has,
# so the market joins a data folder that holds real data (LEAN's sample SPY, CBOE's VIX) beside it.
INDEX_TICKER = "SYNSPY"
VOLATILITY_TICKER = "SYNVIX"
# Tickers the generator never hands to a synthetic stock: the market's own index and volatility index,
# the real ones, and every US equity and index ticker of LEAN's sample data, whose files share the
# workspace's data folder with the synthetic market.
RESERVED_TICKERS = frozenset({
    INDEX_TICKER, VOLATILITY_TICKER, "SPY", "VIX", "SPX", "NDX",
    "AAA", "AAPL", "AIG", "BAC", "BNO", "EEM", "FB", "FOXA", "GBSN", "GDVD", "GOOAV", "GOOCV", "GOOG", "GOOGL",
    "IBM", "IWM", "NWSA", "QQQ", "SHY", "SPWR", "SPWRA", "TAPA", "TFCFA", "TWX", "USO", "UW", "VXX", "WM", "WMI",
})
FX_PAIRS = ("EURUSD", "GBPUSD", "USDCAD", "USDJPY")
MARKER_FILE = "synthetic.json"
# The market's own folder inside the workspace's data folder, and what of it does not join that folder:
# the real market hours, symbol properties, interest rate and FX rates (ECB's) rule there.
WORKSPACE_SUBFOLDER = "synthetic"
NOT_LINKED = ("market-hours", "symbol-properties", "alternative/interest-rate", "forex", MARKER_FILE)
MARKER_VERSION = 1
# LEAN's far-future date that ends the map file of a security still listed, and the factor file.
NEVER = datetime(2050, 12, 31)


@dataclass(frozen=True)
class SyntheticMarketConfig:
    """Every knob of the synthetic market. Rates and volatilities are annual unless said otherwise.

    Attributes
    ----------
    n_stocks : int
        Number of distinct stocks over the whole period (listed at the start or listing later;
        some delist). Not counting ``SPY``.
    years : float
        Length of the period in calendar years from ``start``.
    start : str
        First calendar date (``YYYY-MM-DD``); the panel starts on the first US trading day on or
        after it.
    seed : int
        Root seed. Same config and seed: same bytes.
    n_sectors : int
        Number of sector factors; each stock loads on one.
    market_drift : float
        Annual log drift of the market factor.
    market_vol : float
        Long-run annual volatility of the market factor (its GARCH unconditional level).
    market_garch : tuple of float
        GARCH(1, 1) ``(alpha, beta)`` of the market factor; ``alpha + beta < 1`` is the persistence.
    sector_vol : float
        Long-run annual volatility of each sector factor.
    sector_garch : tuple of float
        GARCH(1, 1) ``(alpha, beta)`` of the sector factors.
    idio_vol_median : float
        Median across stocks of the long-run annual idiosyncratic volatility.
    idio_vol_dispersion : float
        Log-normal sigma of the idiosyncratic volatility across stocks.
    idio_garch : tuple of float
        GARCH(1, 1) ``(alpha, beta)`` of the idiosyncratic volatility.
    student_t_df : float
        Degrees of freedom of the Student-t innovations (scaled to unit variance; > 2).
    regime_persistence : float
        Daily AR(1) coefficient of the slow log-volatility regimes (0.99: a half-life of ~70 days).
    market_regime_std : float
        Stationary standard deviation of the market-wide log-volatility regime, which scales every
        component (market, sectors, stocks) as volatility rises and falls together across a market.
    idio_regime_std : float
        Stationary standard deviation of each stock's own log-volatility regime (its idiosyncratic part).
    max_vol_multiple : float
        Ceiling of every process's conditional volatility (GARCH times regime) as a multiple of its long-run
        level: without it, a run of large Student-t shocks in a high regime compounds into daily moves of
        100% and one stock's market capitalisation comes to dominate the index.
    close_noise : float
        Standard deviation of the transient noise in each close (bid/ask bounce, closing-auction
        imbalance) as a fraction of the day's return volatility. It reverses the next day, so close-to-close
        returns have a slightly negative lag-1 autocorrelation; opens are set from the efficient price, so
        a trade from one open to another does not see it.
    beta_mean, beta_std : float
        Cross-sectional mean and standard deviation of market betas (clipped to [0.2, 2.5]).
    alpha_std : float
        Cross-sectional standard deviation of the stocks' annual log drift around the market's.
    reversal_strength : float
        Fraction in [0, 1) of the volume-weighted idiosyncratic return of the last
        ``reversal_lookback`` days that reverses over the following ``reversal_horizon`` days.
        0 gives returns with no short-horizon predictability.
    reversal_lookback : int
        Days of idiosyncratic return whose reversal is planted (3: the pressure index's horizon).
    reversal_horizon : int
        Days over which the reversal is spread evenly (6: the ML label's horizon).
    reversal_volume_sensitivity : float
        How much a day's abnormal volume scales the reversal of that day's shock: the weight is
        ``exp(k * nu - k**2 / 2)`` (mean 1) with ``nu`` the standard-normal volume shock; 0 makes
        every shock reverse by the same fraction.
    volume_return_sensitivity : float
        Log-volume added per unit of absolute standardized return (volume rises with |return|).
    volume_shock_cap : float
        Absolute standardized shock above which volume rises no further (12: at most about 50 times the
        usual volume from the day's shock). A Student-t shock has no exponential moment, so without a cap
        the volume's mean is infinite and a large market meets volumes beyond 1e18 shares.
    volume_noise : float
        Standard deviation of the daily log-volume shock ``nu`` (before its AR(1) persistence).
    volume_persistence : float
        AR(1) coefficient of log-volume shocks.
    volume_slow_std : float
        Stationary standard deviation of a slow stock-specific log-volume level (interest in a stock waxes
        and wanes over months).
    volume_slow_persistence : float
        Daily AR(1) coefficient of that slow level.
    market_cap_median : float
        Median market capitalisation at listing, dollars.
    market_cap_dispersion : float
        Log-normal sigma of market capitalisation across stocks.
    turnover_median : float
        Median daily turnover (shares traded / shares outstanding).
    price_median : float
        Median share price at listing, dollars.
    price_dispersion : float
        Log-normal sigma of the listing price.
    penny_fraction : float
        Fraction of stocks listing below $1 (uniform in [0.2, 1)); they have 1.5x the volatility
        and a tenth of the market capitalisation.
    listed_at_start_fraction : float
        Fraction of stocks listed on the first day; the rest list uniformly over the period.
    merger_rate : float
        Annual hazard of a stock being delisted for a reason unrelated to its price (acquisition).
    bankruptcy_drawdown : float
        A stock delists the day its total-return drawdown from its peak exceeds this fraction.
    delist_price : float
        A stock delists the day its raw close falls below this price, dollars.
    rename_fraction : float
        Fraction of stocks that change ticker once (map-file history).
    split_price : float
        Raw close above which a stock may split (forward split).
    split_daily_probability : float
        Daily probability of a split while the raw close is above ``split_price``.
    split_ratios : tuple of int
        Forward split ratios, drawn uniformly (2 means 2-for-1).
    reverse_split_price : float
        Raw close below which a stock may do a 1-for-``reverse_split_ratio`` reverse split.
    reverse_split_daily_probability : float
        Daily probability of a reverse split while the raw close is below ``reverse_split_price``.
    reverse_split_ratio : int
        Shares merged into one by a reverse split.
    dividend_payer_fraction : float
        Fraction of (non-penny) stocks that pay quarterly dividends.
    dividend_yield_range : tuple of float
        Annual dividend yield of a payer, uniform in this range; paid quarterly as a fraction of
        the previous raw close.
    spy_price : float
        ``SPY``'s first close, dollars.
    spy_dividend_yield : float
        ``SPY``'s annual dividend yield, paid quarterly.
    vix_premium : float
        Variance risk premium: VIX = 100 x (forecast annualized market volatility) x (1 + premium).
    vix_noise : float
        Log-normal sigma of the VIX's AR(1) noise around that level.
    fx_momentum : float
        Monthly FX momentum: coefficient of the last 3 months' log return in next month's expected
        log return. 0 = none.
    fx_reversion : float
        Monthly FX mean reversion: fraction of the log deviation from the pair's fair value closed
        each month. 0 = none.
    fx_daily_vol : float
        Daily volatility of each pair's idiosyncratic log return (a common USD factor adds to it).
    fx_usd_vol : float
        Daily volatility of the common USD factor.
    fx_spread_pips : tuple of float
        Bid/ask spread per pair in pips, in ``FX_PAIRS`` order (a pip is 0.01 for JPY quotes,
        0.0001 otherwise).
    interest_rate : float
        The risk-free rate written to the interest-rate file, percent (constant).
    jobs : int
        Worker processes used to write files (the model itself runs in one process).
    """

    n_stocks: int = 4200
    years: float = 12.0
    start: str = "2010-01-04"
    seed: int = 7
    n_sectors: int = 11
    market_drift: float = 0.06
    market_vol: float = 0.18
    market_garch: tuple[float, float] = (0.09, 0.89)
    sector_vol: float = 0.08
    sector_garch: tuple[float, float] = (0.05, 0.93)
    idio_vol_median: float = 0.22
    idio_vol_dispersion: float = 0.35
    idio_garch: tuple[float, float] = (0.12, 0.86)
    student_t_df: float = 4.0
    regime_persistence: float = 0.99
    market_regime_std: float = 0.3
    idio_regime_std: float = 0.5
    max_vol_multiple: float = 4.0
    close_noise: float = 0.15
    beta_mean: float = 1.0
    beta_std: float = 0.3
    alpha_std: float = 0.02
    reversal_strength: float = 0.035
    reversal_lookback: int = 3
    reversal_horizon: int = 6
    reversal_volume_sensitivity: float = 1.0
    volume_return_sensitivity: float = 0.35
    volume_shock_cap: float = 12.0
    volume_noise: float = 0.3
    volume_persistence: float = 0.5
    volume_slow_std: float = 0.55
    volume_slow_persistence: float = 0.997
    market_cap_median: float = 2.2e9
    market_cap_dispersion: float = 1.4
    turnover_median: float = 0.006
    price_median: float = 30.0
    price_dispersion: float = 0.8
    penny_fraction: float = 0.04
    listed_at_start_fraction: float = 0.78
    merger_rate: float = 0.015
    bankruptcy_drawdown: float = 0.85
    delist_price: float = 0.1
    rename_fraction: float = 0.03
    split_price: float = 150.0
    split_daily_probability: float = 0.01
    split_ratios: tuple[int, ...] = (2, 3, 4)
    reverse_split_price: float = 0.5
    reverse_split_daily_probability: float = 0.004
    reverse_split_ratio: int = 10
    dividend_payer_fraction: float = 0.45
    dividend_yield_range: tuple[float, float] = (0.01, 0.04)
    spy_price: float = 110.0
    spy_dividend_yield: float = 0.018
    vix_premium: float = 0.15
    vix_noise: float = 0.06
    fx_momentum: float = 0.15
    fx_reversion: float = 0.05
    fx_daily_vol: float = 0.0045
    fx_usd_vol: float = 0.004
    fx_spread_pips: tuple[float, ...] = (1.0, 1.5, 2.0, 1.0)
    interest_rate: float = 2.0
    jobs: int = 2

    def __post_init__(self) -> None:
        if self.n_stocks < 1:
            raise ValueError("n_stocks must be at least 1")
        if self.years <= 0:
            raise ValueError("years must be positive")
        if not 0.0 <= self.reversal_strength < 1.0:
            raise ValueError("reversal_strength must be in [0, 1)")
        if self.reversal_lookback < 1 or self.reversal_horizon < 1:
            raise ValueError("reversal_lookback and reversal_horizon must be at least 1")
        if self.student_t_df <= 2:
            raise ValueError("student_t_df must be > 2 (finite variance)")
        for name in ("regime_persistence", "volume_slow_persistence", "volume_persistence"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1)")
        for name in ("market_garch", "sector_garch", "idio_garch"):
            a, b = getattr(self, name)
            if a < 0 or b < 0 or a + b >= 1:
                raise ValueError(f"{name}: need alpha, beta >= 0 and alpha + beta < 1")
        if len(self.fx_spread_pips) != len(FX_PAIRS):
            raise ValueError(f"fx_spread_pips needs one value per pair {FX_PAIRS}")

    @classmethod
    def null_market(cls, **changes: Any) -> SyntheticMarketConfig:
        """The calibrated market without the planted reversal (``reversal_strength = 0``): prices keep
        their tails, volatility clustering, market factor and volume, but nothing predicts the sign of a
        trade from one open to a later one. ``changes`` override other knobs (size, seed, ...)."""
        return cls(**{**changes, "reversal_strength": 0.0})

    def to_json(self) -> dict[str, Any]:
        """The config as a JSON-ready dict (tuples become lists)."""
        return dataclasses.asdict(self)


