"""LEAN's BasicTemplateDailyAlgorithm and the statistics LEAN prints for it (reference, section 9).

The acceptance case of the runtime and of the statistics: one source of the expected figures.
"""

BASIC_TEMPLATE_DAILY = '''
from AlgorithmImports import *


class BasicTemplateDailyAlgorithm(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2013, 10, 8)
        self.set_end_date(2013, 10, 17)
        self.set_cash(100000)
        self.add_equity("SPY", Resolution.DAILY)

    def on_data(self, data):
        if not self.portfolio.invested:
            self.set_holdings("SPY", 1)
'''

# LEAN's printed statistics for BasicTemplateDailyAlgorithm (reference section 9).
LEAN_STATISTICS = {
    "Total Orders": "1",
    "Average Win": "0%",
    "Average Loss": "0%",
    "Compounding Annual Return": "424.375%",
    "Drawdown": "0.800%",
    "Expectancy": "0",
    "Start Equity": "100000",
    "End Equity": "104486.22",
    "Net Profit": "4.486%",
    "Sharpe Ratio": "17.304",
    "Sortino Ratio": "35.217",
    "Probabilistic Sharpe Ratio": "96.710%",
    "Loss Rate": "0%",
    "Win Rate": "0%",
    "Profit-Loss Ratio": "0",
    "Alpha": "-0.249",
    "Beta": "1.015",
    "Annual Standard Deviation": "0.141",
    "Annual Variance": "0.02",
    "Information Ratio": "-19",
    "Tracking Error": "0.011",
    "Treynor Ratio": "2.403",
    "Total Fees": "$3.49",
    "Lowest Capacity Asset": "SPY R735QTJ8XC9X",
    "Portfolio Turnover": "10.01%",
}
