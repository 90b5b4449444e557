from AlgorithmImports import *


class FxMomentumReversion(QCAlgorithm):
    """Monthly FX momentum + mean reversion (Serban 2010). Strategy logic lands with its issue."""

    def initialize(self) -> None:
        self.set_start_date(2013, 6, 1)
        self.set_end_date(2016, 6, 1)
        self.set_cash(100000)
        for ticker in ["EURUSD", "GBPUSD", "USDCAD", "USDJPY"]:
            self.add_forex(ticker, Resolution.DAILY, Market.OANDA)
