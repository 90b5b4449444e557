import json
from datetime import datetime

import numpy as np
from AlgorithmImports import *

from shared.kalman import HedgeRatioFilter, LocalLevelFilter, zscore
from shared.kalman_rules import MeanReversionRules, spread_mark

# Written by research/kalman_mean_reversion.ipynb (EM fit on a training window before the backtest).
PARAMS_KEY = "kalman_mean_reversion/params.json"

# Defaults when the object store has no fitted parameters: of the order of what EM finds on LEAN's
# sample ETFs and on GOOG/GOOGL in log prices (docs/kalman_mean_reversion.md).
DEFAULT_LEVEL_Q = 1.0e-4  # level variance per day (log price squared)
DEFAULT_LEVEL_R = 1.0e-5  # observation noise variance (log price squared)
DEFAULT_PAIR_R = 1.0e-6  # spread noise variance (log price squared)
DEFAULT_PAIR_DELTA = 1.0e-7  # Chan's delta: (beta, alpha) random-walk variance delta / (1 - delta)


class KalmanMeanReversion(QCAlgorithm):
    """Trade deviations from a Kalman-filtered fair value, on single assets or on pairs.

    ``mode=single``: a local-level filter on each asset's log price; z is the innovation over its
    predicted standard deviation. ``mode=pair``: a dynamic hedge-ratio filter
    ``log y = beta log x + alpha + e`` per pair; z is the spread's innovation over its predicted
    standard deviation, traded with equal-dollar legs (long y / short x when z is low). Entries,
    exits, the stop and the time stop are ``shared.kalman_rules``. All filters advance by one
    batched update per daily bar; decisions at the close fill at the next open.
    """

    def initialize(self) -> None:
        self.set_start_date(self._date_parameter("start_date", "2016-01-04"))
        self.set_end_date(self._date_parameter("end_date", "2021-03-31"))
        self.set_cash(self.get_parameter("cash", 100000))

        self.mode = self.get_parameter("mode", "single")
        entry_z = self.get_parameter("entry_z", 1.5)
        exit_z = self.get_parameter("exit_z", 0.0)
        max_holding = self.get_parameter("max_holding", 20)
        stop_loss = self.get_parameter("stop_loss", 0.10)
        self.gross_exposure = self.get_parameter("gross_exposure", 1.0)
        stored = self._stored_parameters()

        if self.mode == "single":
            tickers = _split(self.get_parameter("tickers", "SPY,QQQ,IWM,EEM"), ",")
            self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in tickers]
            fitted = stored.get("single", {})
            q = np.array([fitted.get(t, {}).get("q", self.get_parameter("level_q", DEFAULT_LEVEL_Q)) for t in tickers])
            r = np.array([fitted.get(t, {}).get("r", self.get_parameter("level_r", DEFAULT_LEVEL_R)) for t in tickers])
            self.level_filter = LocalLevelFilter()
            self.level_filter.add_series(tickers, q=q, r=r)
            self.series_names = tickers
            # Each asset's position is one slice of the book.
            self.leg_weight = self.gross_exposure / len(tickers)
        elif self.mode == "pair":
            pairs = [tuple(_split(p, "/")) for p in _split(self.get_parameter("pairs", "GOOG/GOOGL"), ",")]
            if any(len(p) != 2 for p in pairs):
                raise ValueError("pairs must look like 'Y/X' or 'Y1/X1,Y2/X2'")
            tickers = list(dict.fromkeys(t for p in pairs for t in p))
            self.symbols = [self.add_equity(t, Resolution.DAILY).symbol for t in tickers]
            self.y_index = np.array([tickers.index(p[0]) for p in pairs])
            self.x_index = np.array([tickers.index(p[1]) for p in pairs])
            self.series_names = [f"{y}/{x}" for y, x in pairs]
            fitted = stored.get("pair", {})
            r = np.array([fitted.get(n, {}).get("r", self.get_parameter("pair_r", DEFAULT_PAIR_R)) for n in self.series_names])
            delta = self.get_parameter("pair_delta", DEFAULT_PAIR_DELTA)
            trans_cov = np.stack(
                [
                    np.asarray(fitted[n]["transition_cov"]) if n in fitted else np.eye(2) * delta / (1.0 - delta)
                    for n in self.series_names
                ]
            )
            self.hedge_filter = HedgeRatioFilter()
            self.hedge_filter.add_series(self.series_names, r=r, transition_cov=trans_cov)
            # Two legs per pair, equal dollars each.
            self.leg_weight = self.gross_exposure / (2 * len(pairs))
        else:
            raise ValueError(f"mode must be 'single' or 'pair', got {self.mode!r}")

        self.rules = MeanReversionRules(len(self.series_names), entry_z, exit_z, max_holding, stop_loss)
        self.target_weight = np.zeros(len(self.symbols))
        self.set_benchmark(self.symbols[0])
        # The filters start diffuse; these bars let them converge before the first trade.
        self.set_warm_up(self.get_parameter("warmup_bars", 60), Resolution.DAILY)

    def on_data(self, data: Slice) -> None:
        close = np.array([data.bars[s].close if s in data.bars else np.nan for s in self.symbols])
        if np.all(np.isnan(close)):
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            log_close = np.log(np.where(close > 0, close, np.nan))

        if self.mode == "single":
            level = self.level_filter.update(log_close)
            z = zscore(level.innovation, level.innovation_var)
            mark = log_close
        else:
            pair = self.hedge_filter.update(log_close[self.y_index], log_close[self.x_index])
            z = zscore(pair.innovation, pair.innovation_var)
            mark = spread_mark(close[self.y_index], close[self.x_index])

        if self.is_warming_up:
            return
        for name, value in zip(self.series_names, z, strict=True):
            if np.isfinite(value):
                self.plot("Kalman z", name, float(value))
        position, _ = self.rules.step(z, mark)
        self._trade(position.astype(np.float64))

    def _trade(self, position: np.ndarray) -> None:
        """Move holdings to the rules' positions; only symbols whose target changed are traded."""
        if self.mode == "single":
            target = position * self.leg_weight
        else:
            # Legs of several pairs may share a symbol: their weights add up.
            target = np.zeros(len(self.symbols))
            np.add.at(target, self.y_index, position * self.leg_weight)
            np.add.at(target, self.x_index, -position * self.leg_weight)
        changed = np.flatnonzero(target != self.target_weight)
        # Closing and reducing orders first, so the new legs never wait for margin.
        for i in sorted(changed, key=lambda i: abs(target[i]) - abs(self.target_weight[i])):
            symbol = self.symbols[i]
            if target[i] == 0:
                self.liquidate(symbol)
            else:
                self.set_holdings(symbol, float(target[i]))
        self.target_weight = target

    def _stored_parameters(self) -> dict:
        """Noise parameters fitted by the research notebook, or ``{}`` when none were saved."""
        if not self.object_store.contains_key(PARAMS_KEY):
            self.log(f"{PARAMS_KEY} not in the object store: noise parameters from parameters/defaults")
            return {}
        stored = json.loads(self.object_store.read(PARAMS_KEY))
        train_end = stored.get("train_end", "")
        self.log(f"noise parameters from {PARAMS_KEY} (EM on {stored.get('train_start')} .. {train_end})")
        if train_end and train_end >= self.start_date.strftime("%Y-%m-%d"):
            self.log("warning: the parameters were fitted on data inside the backtest period (in-sample)")
        return stored

    def _date_parameter(self, name: str, default: str) -> datetime:
        return datetime.strptime(self.get_parameter(name, default), "%Y-%m-%d")


def _split(text: str, sep: str) -> list[str]:
    return [part.strip().upper() for part in text.split(sep) if part.strip()]
