"""What corporate events do to the portfolio (LEAN ``AlgorithmManager.HandleDividends``).

A dividend pays cash only to holdings whose prices are not dividend-adjusted
(``SecurityPortfolioManager.ApplyDividend``): with ``RAW`` or ``SPLIT_ADJUSTED`` normalization the
account currency receives ``quantity * distribution * conversion rate`` (longs receive, shorts pay);
adjusted prices already carry the dividend, so other modes change nothing. Nothing is paid during
warm-up (the position already reflects it). LEAN applies it in the step the dividend arrives, after
``on_securities_changed`` and before the consolidators and ``on_data``.
"""

from __future__ import annotations

from typing import Any

from lean_local.engine.common import DataNormalizationMode, Symbol

_PAYS_DIVIDENDS = (DataNormalizationMode.RAW, DataNormalizationMode.SPLIT_ADJUSTED)


def apply_dividends(portfolio: Any, securities: Any, dividends: dict[Symbol, Any]) -> None:
    """Credit (or debit, for shorts) the account currency with the dividends of ``dividends``
    (symbol -> ``Dividend``, ``distribution`` in the quote currency per share) that LEAN pays."""
    for symbol, dividend in dividends.items():
        security = securities.get(symbol)
        if security is None or security.data_normalization_mode not in _PAYS_DIVIDENDS:
            continue
        quantity = security.holdings.quantity
        if quantity:
            total = quantity * dividend.distribution * security.quote_currency.conversion_rate
            portfolio.cash_book.ensure(portfolio.cash_book.account_currency).add_amount(total)
