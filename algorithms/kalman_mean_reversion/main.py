from AlgorithmImports import *


class KalmanMeanReversion(QCAlgorithm):
    """Kalman-filter mean reversion. Strategy logic lands with its issue."""

    def initialize(self) -> None:
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2015, 1, 1)
        self.set_cash(100000)
        for ticker in ["SPY", "QQQ", "IWM", "EEM"]:
            self.add_equity(ticker, Resolution.DAILY)
