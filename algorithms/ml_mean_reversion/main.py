from collections.abc import Callable
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, cast

import numpy as np
from AlgorithmImports import *
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from shared.features import FEATURE_NAMES, FeatureState
from shared.history_panel import slice_bars, traded_bars
from shared.ml_training import LONG, SHORT
from shared.model_store import LoadedModels, ModelLoadError, load_models, object_store_key
from shared.regime import BEAR, BULL, UNKNOWN, VixRegimeState, book_allocation
from shared.risk import min_price_ok, position_targets, select_entries, stop_price_on_tick, time_stop_hit
from shared.universe import top_dollar_volume_index

# The models are written by `lean-local train ml_mean_reversion` or research/ml_mean_reversion.ipynb.
TRAIN_HINT = (
    "Train and export the models first: `lean-local train ml_mean_reversion --data-folder <data> "
    "--end <a date before the backtest>` (or run research/ml_mean_reversion.ipynb in LEAN's research "
    "environment), with the package versions this algorithm runs."
)
QPI = FEATURE_NAMES.index("qpi")
REGIME_CODE = {BULL: 0, BEAR: 1, UNKNOWN: -1}
# A VIX close older than this sizes the books as an unknown regime: after the VIX data ends, LEAN fills its
# last bar forward, and a regime computed from a repeated close would be invented.
MAX_VIX_AGE = timedelta(days=7)


class BpsFeeModel(FeeModel):
    """Commission of a fixed number of basis points of the traded value, in the account currency."""

    def __init__(self, bps: float) -> None:
        super().__init__()
        self.rate = bps / 1e4

    def get_order_fee(self, parameters: OrderFeeParameters) -> OrderFee:
        security = parameters.security
        value = abs(parameters.order.quantity) * security.price
        return OrderFee(CashAmount(value * self.rate, "USD"))


class OpenTrade:
    """One trade of the strategy, from its entry order to its exit."""

    def __init__(self, direction: int, entry_id: int) -> None:
        self.direction = direction
        self.entry_id = entry_id
        self.filled = False
        self.bars_held = 0
        self.stop_ticket: OrderTicket | None = None


class MlMeanReversion(QCAlgorithm):
    """ML-filtered mean reversion, long/short, on the top 500 US stocks by dollar volume.

    Long a stock sold off hard (QPI below ``long_qpi``) and short one bid up hard (QPI above
    ``short_qpi``) when the gradient-boosting model of that side gives the bounce a probability above
    ``probability``; best probabilities first, at most ``max_long`` / ``max_short`` positions. Each
    book's gross exposure depends on the VIX regime and is split equally over its slots, each position
    capped at ``liquidity_cap`` of its 20-day average dollar volume. Exits: a stop-market order
    ``stop_pct`` away from the fill price, and a time stop after ``max_bars`` trading days.

    Decisions are taken on the daily close and fill at the next open (market-on-open). Features are
    incremental state per symbol (``shared.features.FeatureState``), warmed by one batched history
    request for the symbols a universe change adds. The models come from the object store and are
    checked against their manifest; without valid models the algorithm stops in ``initialize``.
    """

    def initialize(self) -> None:
        self.set_start_date(self._date_parameter("start_date", "2016-01-04"))
        self.set_end_date(self._date_parameter("end_date", "2021-12-31"))
        self.set_cash(self.get_parameter("cash", 100000))
        # The workspace's config names the synthetic market's ETF and volatility index (SYNSPY, SYNVIX);
        # on QuantConnect's data, SPY and VIX.
        self.set_benchmark(self.get_parameter("benchmark", "SPY"))

        self.top_n = self.get_parameter("top_n", 500)
        self.min_price = self.get_parameter("min_price", 1.0)
        self.require_fundamental = self.get_parameter("require_fundamental", "false").lower() == "true"
        self.long_qpi = self.get_parameter("long_qpi", 15.0)
        self.short_qpi = self.get_parameter("short_qpi", 85.0)
        self.probability = self.get_parameter("probability", 0.60)
        self.max_long = self.get_parameter("max_long", 20)
        self.max_short = self.get_parameter("max_short", 20)
        self.stop_pct = self.get_parameter("stop_pct", 0.05)
        self.max_bars = self.get_parameter("max_bars", 6)
        self.liquidity_cap = self.get_parameter("liquidity_cap", 0.05)
        self.warmup_bars = self.get_parameter("warmup_bars", 80)
        self.bull_book = (self.get_parameter("bull_long", 1.1), self.get_parameter("bull_short", 0.2))
        self.bear_book = (self.get_parameter("bear_long", 0.1), self.get_parameter("bear_short", 0.2))
        self.commission_bps = self.get_parameter("commission_bps", 5.0)
        self.slippage_bps = self.get_parameter("slippage_bps", 10.0)

        self.models = self._load_models()
        # The models score a handful of events a day: one OpenMP thread is several times faster than a
        # pool for such small batches (and does not fight the engine for cores).
        threadpool_limits(limits=1, user_api="openmp")

        self.universe_settings.resolution = Resolution.DAILY
        self.add_universe(self._select)
        vix_source = self.get_parameter("vix_source", "index")
        vix_ticker = self.get_parameter("vix_ticker", "VIX")
        if vix_source == "index":
            self.vix = self.add_index(vix_ticker, Resolution.DAILY).symbol
        elif vix_source == "cboe":
            # CBOE ships with LEAN's data sources; quantconnect-stubs do not describe it.
            self.vix = self.add_data(CBOE, vix_ticker, Resolution.DAILY).symbol  # type: ignore[name-defined]
        else:
            raise ValueError(f"vix_source must be 'index' or 'cboe', got {vix_source!r}")
        self.regime_state = VixRegimeState(self.get_parameter("vix_sma", 15), self.get_parameter("vix_threshold", 1.15))
        # Seed the regime with the VIX closes before the start so the first day has one.
        vix_history = self.history(self.vix, self.regime_state.sma_window, Resolution.DAILY)
        self.regime = UNKNOWN
        self.vix_fresh: datetime | None = None
        if not vix_history.empty:
            for vix_close in vix_history["close"].to_numpy(dtype=float):
                self.regime = self.regime_state.update(vix_close)
            self.vix_fresh = self.time

        # The universe's equities, each the features' column of its symbol: one state, not a set beside it.
        self.features = FeatureState()
        # Stateless: every equity shares one of each.
        self.fee_model = BpsFeeModel(self.commission_bps)
        self.slippage_model = ConstantSlippageModel(self.slippage_bps / 1e4)
        self.positions: dict[Symbol, OpenTrade] = {}

    def _date_parameter(self, name: str, default: str) -> datetime:
        return datetime.strptime(self.get_parameter(name, default), "%Y-%m-%d")

    def _load_models(self) -> LoadedModels:
        def read(name: str) -> bytes:
            return bytes(self.object_store.read_bytes(object_store_key(name)))

        try:
            models = load_models(read)
        except ModelLoadError as error:
            message = f"ml_mean_reversion cannot start: {error}. {TRAIN_HINT}"
            self.error(message)
            raise RuntimeError(message) from error
        if set(models.models) != {LONG, SHORT}:
            message = f"ml_mean_reversion cannot start: the manifest has models {sorted(models.models)}. {TRAIN_HINT}"
            self.error(message)
            raise RuntimeError(message)
        for warning in models.warnings:
            self.debug(warning)
        trained = models.thresholds
        if (trained["long_qpi_below"], trained["short_qpi_above"]) != (self.long_qpi, self.short_qpi):
            self.debug(
                f"warning: models were trained on QPI events < {trained['long_qpi_below']} / > "
                f"{trained['short_qpi_above']}, the algorithm trades < {self.long_qpi} / > {self.short_qpi}"
            )
        last_label = models.manifest["training_window"].get("last_label_date", "")
        if last_label >= f"{self.start_date:%Y-%m-%d}":
            self.debug(f"warning: training labels reach {last_label}, after the backtest start: in-sample period")
        return models

    def _select(self, fundamental: list[Fundamental]) -> list[Symbol]:
        # LEAN hands over a .NET enumerable: one pass into a list gives len() and indexing.
        rows = list(fundamental)

        def field(name: str) -> Callable[[np.ndarray], list[Any]]:
            # The selection asks for the prices (and flags) of the largest dollar volumes alone, and the
            # tickers of rows tied in dollar volume: a day's few hundred rows in contention, of thousands.
            read = attrgetter(name)
            return lambda at: [read(rows[i]) for i in at.tolist()]

        # Tickers, not Symbol objects, break dollar-volume ties: plain strings order the same in LEAN and here.
        chosen = top_dollar_volume_index(
            field("price"),
            np.fromiter(map(attrgetter("dollar_volume"), rows), np.float64, len(rows)),
            field("symbol.value"),
            self.top_n,
            self.min_price,
            field("has_fundamental_data") if self.require_fundamental else None,
        )
        return [rows[i].symbol for i in chosen.tolist()]

    def on_securities_changed(self, changes: SecurityChanges) -> None:
        tracked = self.features.columns
        self.features.remove([s.symbol for s in changes.removed_securities if s.symbol in tracked])

        added = []
        for security in changes.added_securities:
            if security.type != SecurityType.EQUITY:
                continue
            security.set_fee_model(self.fee_model)
            security.set_slippage_model(self.slippage_model)
            if security.symbol not in tracked:
                added.append(security.symbol)
        if not added:
            return
        # One history request for every symbol added today warms their incremental state.
        history = self.history(added, self.warmup_bars, Resolution.DAILY)
        # LEAN's history fills days without a bar forward with volume 0: no trade that day, so a
        # missing bar for the features (as on_data treats fill-forward bars)
        close, volume = traded_bars(history, added)
        self.features.add(added, close, volume)

    def on_data(self, data: Slice) -> None:
        if data.contains_key(self.vix):
            self.regime = self.regime_state.update(float(self.securities[self.vix].price))
            vix_data = cast(BaseData, data[self.vix])
            if not vix_data.is_fill_forward:
                self.vix_fresh = self.time
        # A fill-forward bar (LEAN repeats the last bar with volume 0 on a day without one) is no trade:
        # the features see a missing bar, which keeps the QPI volume ratio and the average dollar
        # volume free of invented zero-volume days.
        close, volume = slice_bars(data.bars.items(), self.features.columns, self.features.n_symbols)
        if close is None or volume is None:
            return  # no stock bar: the VIX's own step, a midnight step of corporate events
        features = self.features.update(close, volume)

        self._exit_positions(data)
        self._enter_positions(cast(list[Symbol], self.features.symbols), close, features)
        self._plot_state()

    def _exit_positions(self, data: Slice) -> None:
        for symbol, position in list(self.positions.items()):
            if position.filled and not self.portfolio[symbol].invested:
                # Stopped out, or delisted and liquidated by LEAN.
                self.transactions.cancel_open_orders(symbol)
                del self.positions[symbol]
            elif position.filled and data.bars.contains_key(symbol):
                position.bars_held += 1
        held = [s for s, p in self.positions.items() if p.filled]
        expired = time_stop_hit(np.array([self.positions[s].bars_held for s in held]), self.max_bars)
        for symbol, done in zip(held, expired, strict=True):
            if done:
                self.liquidate(symbol, tag=f"time stop {self.max_bars} days")

    def _enter_positions(self, symbols: list[Symbol], close: np.ndarray, features: np.ndarray) -> None:
        qpi = features[:, QPI]
        columns = self.features.columns
        free = np.ones(len(symbols), dtype=bool)
        free[[columns[s] for s in self.positions if s in columns]] = False
        tradable = free & min_price_ok(close, self.min_price) & np.isfinite(features).all(axis=1)
        long_gross, short_gross = book_allocation(self._sizing_regime(), self.bull_book, self.bear_book)
        value = self.portfolio.total_portfolio_value
        books = (
            (LONG, 1, tradable & (qpi < self.long_qpi), long_gross, self.max_long),
            (SHORT, -1, tradable & (qpi > self.short_qpi), short_gross, self.max_short),
        )
        for side, direction, candidates, gross, max_positions in books:
            slots = max_positions - sum(1 for p in self.positions.values() if p.direction == direction)
            if slots <= 0 or gross <= 0 or not candidates.any():
                continue
            probability = np.full(len(symbols), np.nan)
            probability[candidates] = self.models.probability(side, features[candidates])
            picks = select_entries(probability, candidates, slots, self.probability)
            adv = self.features.avg_dollar_volume(picks)
            weights = position_targets(gross, value, adv, direction, max_positions, self.liquidity_cap)
            for index, weight in zip(picks, weights, strict=True):
                symbol = symbols[index]
                quantity = self.calculate_order_quantity(symbol, float(weight))
                if quantity == 0:
                    continue
                ticket = self.market_on_open_order(
                    symbol, quantity, tag=f"{side} entry p={probability[index]:.3f} qpi={qpi[index]:.1f}"
                )
                # An order LEAN rejects at submission (buying power) is already Invalid here: its
                # event fired before the ticket came back, so the slot must not be taken.
                if ticket.status in (OrderStatus.INVALID, OrderStatus.CANCELED):
                    continue
                self.positions[symbol] = OpenTrade(direction, ticket.order_id)

    def on_order_event(self, order_event: OrderEvent) -> None:
        position = self.positions.get(order_event.symbol)
        if position is None or order_event.order_id != position.entry_id:
            return
        if order_event.status in (OrderStatus.CANCELED, OrderStatus.INVALID):
            del self.positions[order_event.symbol]
        elif order_event.status == OrderStatus.FILLED:
            position.filled = True
            tick = self.securities[order_event.symbol].symbol_properties.minimum_price_variation
            stop_price = stop_price_on_tick(order_event.fill_price, position.direction, self.stop_pct, float(tick))
            position.stop_ticket = self.stop_market_order(
                order_event.symbol, -self.portfolio[order_event.symbol].quantity, stop_price,
                tag=f"stop {self.stop_pct:.0%}",
            )

    def _sizing_regime(self) -> str:
        """The regime the books are sized by: unknown when the last VIX close is older than ``MAX_VIX_AGE``."""
        if self.vix_fresh is None or self.time - self.vix_fresh > MAX_VIX_AGE:
            return UNKNOWN
        return str(self.regime)

    def _plot_state(self) -> None:
        value = self.portfolio.total_portfolio_value
        holdings = [self.portfolio[s].holdings_value for s in self.positions]
        self.plot("Regime", "VIX regime (1 bear, 0 bull, -1 unknown)", REGIME_CODE[self._sizing_regime()])
        # "Exposure" is one of LEAN's own charts: plotting to it raises
        self.plot("Book exposure", "Long gross", sum(h for h in holdings if h > 0) / value)
        self.plot("Book exposure", "Short gross", -sum(h for h in holdings if h < 0) / value)
        self.plot("Positions", "Long", sum(1 for p in self.positions.values() if p.direction > 0))
        self.plot("Positions", "Short", sum(1 for p in self.positions.values() if p.direction < 0))

