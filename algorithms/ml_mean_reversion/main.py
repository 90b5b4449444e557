from AlgorithmImports import *


class MlMeanReversion(QCAlgorithm):
    """ML long/short equity mean reversion. Strategy logic lands with its issue."""

    def initialize(self) -> None:
        self.set_start_date(2014, 1, 1)
        self.set_end_date(2015, 1, 1)
        self.set_cash(100000)
        self.add_equity("SPY", Resolution.DAILY)
