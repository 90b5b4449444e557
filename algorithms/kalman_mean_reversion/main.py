import json
from datetime import datetime

import numpy as np
from AlgorithmImports import *

from shared.kalman import HedgeRatioFilter
from shared.kalman_rules import MeanReversionRules

# Written by tools/kalman_fit.py (or research/kalman_mean_reversion.ipynb) before the backtest window.
PARAMS_KEY = "kalman_mean_reversion/params.json"


class KalmanMeanReversion(QCAlgorithm):
    """Trade the spreads of the pairs the fitting step chose (Chan, *Algorithmic Trading*, 2013, ch. 3).

    Each pair ``Y/X`` runs a slow dynamic hedge-ratio Kalman filter on prices divided by their
    formation means (``shared.kalman_spread``, stage 1). The spread is the filter's innovation with the
    prior hedge ratio, ``e = y - (beta x + alpha)``, and ``Q`` its variance: enter when
    ``|e| > sqrt(Q)`` (long the spread when ``e`` is low: long Y, short beta X), exit when ``e``
    crosses 0. The parameters, the pairs and the filter's state at the end of the validation window
    come from the object store; without them, or when the fit chose no pair, the algorithm stops with
    a runtime error saying so. Decisions at the close fill at the next open.
    """

    def initialize(self) -> None:
        self.set_start_date(self._date_parameter("start_date", "2016-01-04"))
        self.set_end_date(self._date_parameter("end_date", "2021-03-31"))
        self.set_cash(self.get_parameter("cash", 100000))
        gross_exposure = self.get_parameter("gross_exposure", 1.0)
        # Entry threshold in standard deviations of the spread (Chan: 1, |e| > sqrt(Q)).
        entry_z = self.get_parameter("entry_z", 1.0)

        if not self.object_store.contains_key(PARAMS_KEY):
            raise RuntimeError(f"{PARAMS_KEY} is not in the object store: run tools/kalman_fit.py first")
        stored = json.loads(self.object_store.read(PARAMS_KEY))
        state_date = datetime.strptime(stored["state_date"], "%Y-%m-%d")
        self.state_day = state_date.date()
        if state_date >= self.start_date:
            raise ValueError(f"{PARAMS_KEY} was fitted up to {stored['state_date']}, inside the backtest")
        pairs = stored["pairs"]
        self.names = sorted(pairs)
        self.log(f"{len(self.names)} pair(s) from {PARAMS_KEY} (formation {stored['fit_start']} .. "
                 f"{stored['formation_end']}, validation to {stored['validation_end']}): {', '.join(self.names)}")
        if not self.names:
            raise RuntimeError(f"{PARAMS_KEY} holds no pair: tools/kalman_fit.py found none that qualifies "
                               "(its table gives each candidate's reason), so there is nothing to trade")
        legs = [name.split("/") for name in self.names]
        tickers = list(dict.fromkeys(t for leg in legs for t in leg))
        self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in tickers]
        self.y_index = np.array([tickers.index(y) for y, _ in legs])
        self.x_index = np.array([tickers.index(x) for _, x in legs])
        self.y_scale = np.array([pairs[n]["y_scale"] for n in self.names])
        self.x_scale = np.array([pairs[n]["x_scale"] for n in self.names])
        self.hedge_filter = HedgeRatioFilter()
        self.hedge_filter.add_series(
            self.names,
            r=np.array([pairs[n]["r"] for n in self.names]),
            transition_cov=np.array([pairs[n]["transition_cov"] for n in self.names]),
            initial_state_mean=np.array([pairs[n]["state_mean"] for n in self.names]),
            initial_state_cov=np.array([pairs[n]["state_cov"] for n in self.names]),
        )
        # Exit when the spread crosses 0; no stop, no time stop (Chan).
        self.rules = MeanReversionRules(len(self.names), entry_z=entry_z, exit_z=0.0)
        self.pair_gross = gross_exposure / len(self.names)
        self.pair_weights = np.zeros((len(self.names), len(self.symbols)))
        self.target_weight = np.zeros(len(self.symbols))
        # The filter continues from its state at the end of the validation window: the bars from
        # there to the start date update it (warm-up) before any trade.
        self.set_warm_up(self.start_date - state_date, Resolution.DAILY)

    def on_data(self, data: Slice) -> None:
        # Missing for the filter (it only predicts): a fill-forward copy of an old bar, and a bar the
        # stored state already contains (warm-up may start on its day).
        close = np.array([
            data.bars[s].close
            if s in data.bars and not data.bars[s].is_fill_forward and data.bars[s].time.date() > self.state_day
            else np.nan
            for s in self.symbols
        ])
        if np.all(np.isnan(close)):
            return
        y = close[self.y_index] / self.y_scale
        x = close[self.x_index] / self.x_scale
        prior_beta = self.hedge_filter.predicted_state[:, 0]
        step = self.hedge_filter.update(y, x)
        if self.is_warming_up:
            return
        with np.errstate(invalid="ignore"):
            z = step.innovation / np.sqrt(step.innovation_var)
        for name, value in zip(self.names, z, strict=True):
            if np.isfinite(value):
                self.plot("Spread z", name, float(value))
        previous = self.rules.position.copy()
        position, _ = self.rules.step(z, step.innovation)
        for j in np.flatnonzero(position != previous):
            self.pair_weights[j] = 0.0
            if position[j] != 0:
                # Long the spread: y normalized units long, beta of x's short; dollars y~ and beta x~.
                y_dollars, x_dollars = y[j], prior_beta[j] * x[j]
                size = self.pair_gross / (abs(y_dollars) + abs(x_dollars))
                self.pair_weights[j, self.y_index[j]] += position[j] * size * y_dollars
                self.pair_weights[j, self.x_index[j]] -= position[j] * size * x_dollars
        self._trade(self.pair_weights.sum(axis=0))

    def _trade(self, target: np.ndarray) -> None:
        """Move holdings to the target weights; only symbols whose target changed are traded."""
        changed = np.flatnonzero(target != self.target_weight)
        # Closing and reducing orders first, so the new legs never wait for margin.
        for i in sorted(changed, key=lambda i: abs(target[i]) - abs(self.target_weight[i])):
            if target[i] == 0:
                self.liquidate(self.symbols[i])
            else:
                self.set_holdings(self.symbols[i], float(target[i]))
        self.target_weight = target

    def _date_parameter(self, name: str, default: str) -> datetime:
        return datetime.strptime(self.get_parameter(name, default), "%Y-%m-%d")
