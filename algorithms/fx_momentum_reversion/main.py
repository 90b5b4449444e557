from datetime import datetime, timedelta

import pandas as pd
from AlgorithmImports import *

from shared.fx_factors import (
    MODEL_KEY,
    FxFactorModel,
    daily_closes_from_history,
    fit_fx_factor_model,
    month_end_log_prices,
    select_positions,
)

PAIRS = ["EURUSD", "GBPUSD", "USDCAD", "USDJPY"]


class FxMomentumReversion(QCAlgorithm):
    """Monthly FX momentum + mean reversion (Serban 2010; QuantConnect's Strategy Library tutorial).

    A pooled regression of each pair's monthly log return on a reversal factor (distance of last
    month's log price from its fit-window mean, in fit-window standard deviations) and a 3-month
    momentum factor predicts next month's return of EURUSD, GBPUSD, USDCAD and USDJPY. On the
    first trading day of each month the algorithm goes long the pair with the highest prediction
    and short the one with the lowest (only the long when all predictions are positive, only the
    short when all are negative). The model lives in ``Library/shared/fx_factors.py``.

    Parameters (``config.json``, strings as LEAN passes them)
    ---------------------------------------------------------
    start_date, end_date : ``YYYY-MM-DD``
        Backtest window.
    fit_start : ``YYYY-MM-DD``
        First day of the history the model is fitted on; the window ends at the start date, or at
        the rebalance time when refitting (expanding window).
    refit_months : int
        0 fits once (or uses the stored model); k > 0 refits every k rebalances.
    leverage : float
        Gross exposure as a multiple of portfolio value, split evenly between the positions.
    """

    def initialize(self) -> None:
        self.set_start_date(self._date_parameter("start_date", "2013-06-01"))
        self.set_end_date(self._date_parameter("end_date", "2016-06-01"))
        self.set_cash(100000)
        self._fit_start = self._date_parameter("fit_start", "2004-01-01")
        self._refit_months = self.get_parameter("refit_months", 0)
        self._leverage = self.get_parameter("leverage", 1.0)
        self._rebalances = 0

        self._symbols = {ticker: self.add_forex(ticker, Resolution.DAILY, Market.OANDA).symbol for ticker in PAIRS}
        self._tickers = {symbol: ticker for ticker, symbol in self._symbols.items()}

        self._model = self._stored_model() or self._fit(self.start_date)
        # Daily forex bars arrive in the evening: without a few days of warm-up the securities have
        # no price yet at a rebalance on the first days of the backtest, and set_holdings skips them.
        self.set_warm_up(timedelta(days=7))
        eurusd = self._symbols["EURUSD"]
        self.schedule.on(
            self.date_rules.month_start(eurusd), self.time_rules.after_market_open(eurusd), self._rebalance
        )

    def _date_parameter(self, name: str, default: str) -> datetime:
        return datetime.strptime(self.get_parameter(name, default), "%Y-%m-%d")

    def _stored_model(self) -> FxFactorModel | None:
        """The research notebook's model, if the object store has one this backtest may use."""
        if not self.object_store.contains_key(MODEL_KEY):
            return None
        model = FxFactorModel.from_json(self.object_store.read(MODEL_KEY))
        # A model fitted on months after the start date would trade on future data.
        if list(model.pairs) != PAIRS or datetime.fromisoformat(model.fit_end) >= self.start_date:
            self.log(f"Stored model ({model.fit_start} to {model.fit_end}) not usable from {self.start_date:%Y-%m-%d}")
            return None
        self._log_model("Loaded", model)
        return model

    def _month_end_log_prices(self, start: datetime, end: datetime) -> pd.DataFrame:
        """Month-end log prices of every completed month between ``start`` and ``end``."""
        history = self.history(list(self._symbols.values()), start, end, Resolution.DAILY)
        return month_end_log_prices(daily_closes_from_history(history, self._tickers), as_of=pd.Timestamp(end))

    def _fit(self, end: datetime) -> FxFactorModel:
        """Pooled OLS on every completed month from ``fit_start`` to ``end`` (nothing later)."""
        model = fit_fx_factor_model(self._month_end_log_prices(self._fit_start, end))
        self._log_model("Fitted", model)
        return model

    def _log_model(self, verb: str, model: FxFactorModel) -> None:
        p, t = model.params, model.tvalues
        self.log(
            f"{verb} model on {model.fit_start} to {model.fit_end} ({model.n_obs} rows): "
            f"const {p['const']:.5f}, reversal {p['reversal']:.5f} (t {t['reversal']:.2f}), "
            f"momentum {p['momentum']:.4f} (t {t['momentum']:.2f}), R2 {model.rsquared:.4f}"
        )

    def _rebalance(self) -> None:
        if self.is_warming_up:
            return
        if self._refit_months > 0 and self._rebalances > 0 and self._rebalances % self._refit_months == 0:
            self._model = self._fit(self.time)
        self._rebalances += 1
        # The predictions need the last month end and the one momentum_months before it.
        lookback = timedelta(days=31 * (self._model.momentum_months + 2))
        x = self._month_end_log_prices(self.time - lookback, self.time)
        predictions = self._model.predict_next(x)
        weights = select_positions(predictions, self._leverage)
        self.log(
            f"{x.index[-1]:%Y-%m} predictions "
            + ", ".join(f"{pair} {value:+.4f}" for pair, value in predictions.items())
            + " -> "
            + ", ".join(f"{pair} {weight:+.2f}" for pair, weight in weights.items() if weight != 0)
        )
        # Zero targets close the pairs that left the selection; LEAN orders reductions first.
        self.set_holdings([PortfolioTarget(self._symbols[pair], float(w)) for pair, w in weights.items()])
