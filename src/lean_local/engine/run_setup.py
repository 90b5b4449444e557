"""What the loop sets up before the first time step: the warm-up's start, ``on_end_of_day``'s
scheduled events and the currencies' conversion pairs."""

from __future__ import annotations

import functools
import inspect
from datetime import datetime, timedelta
from pathlib import Path

from lean_local.data import formats
from lean_local.engine import intraday
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Market, SecurityType, Symbol, not_supported
from lean_local.engine.daily_readers import log
from lean_local.engine.run_context import RunContext


def warmup_start(algo: QCAlgorithm, run: RunContext) -> datetime:
    """The run's first time: the start date, or earlier by ``set_warm_up``'s period or bar count."""
    if run.warm_up is None:
        return algo.start_date
    period, _resolution = run.warm_up
    if isinstance(period, timedelta):
        return algo.start_date - period
    bars = int(period)
    # LEAN counts each subscription's own bars and starts at the earliest: a daily security's count decides
    resolutions = [s.resolution for s in algo.securities.values()]
    if run.universes:
        resolutions.append(algo.universe_settings.resolution)
    if intraday.is_intraday(_resolution) or (_resolution is None and resolutions
                                             and all(intraday.is_intraday(r) for r in resolutions)):
        finest = _resolution if intraday.is_intraday(_resolution) else min(resolutions)
        return intraday.warm_up_start(run.exchange_hours(Symbol("SPY")), algo.start_date, bars, finest)
    hours = None
    for security in algo.securities.values():
        if security.type == SecurityType.EQUITY:
            hours = security.exchange.hours
            break
    if hours is None and len(algo.securities):
        hours = algo.securities.values()[0].exchange.hours
    if hours is None:
        return algo.start_date - timedelta(days=bars)
    days = hours.trading_days((algo.start_date - timedelta(days=bars * 2 + 30)).date(),
                              (algo.start_date - timedelta(days=1)).date())
    if len(days) < bars:
        return algo.start_date - timedelta(days=bars * 2 + 30)
    return days[-bars].to_pydatetime()


def schedule_end_of_day(algo: QCAlgorithm, run: RunContext) -> None:
    """LEAN's ``on_end_of_day(symbol)``: for each security, every trading day 10 minutes before its
    market close (``ScheduledEventFactory.EverySecurityEndOfDay``)."""
    handler = getattr(type(algo), "on_end_of_day", None)
    if handler is None:
        return
    if len(inspect.signature(handler).parameters) < 2:
        raise not_supported("QCAlgorithm", "on_end_of_day() without a symbol (LEAN's deprecated form)")
    if run.universes:
        raise not_supported("QCAlgorithm", "on_end_of_day with universe-selected securities")
    for security in list(algo.securities.values()):
        symbol = security.symbol
        algo.schedule.on(algo.date_rules.every_day(symbol), algo.time_rules.before_market_close(symbol, 10),
                         functools.partial(algo.on_end_of_day, symbol))


def setup_conversions(algo: QCAlgorithm, data_folder: Path) -> None:
    """Point each currency other than the account's at a subscribed pair that prices it in the
    account currency. LEAN adds an internal subscription of the pair when the algorithm has none
    (``Cash.EnsureCurrencyDataFeed``, Oanda pairs at daily resolution here); the runtime asks for it
    instead when the data folder has the pair's file, and without a file the rate stays 0, as the
    data-less internal subscription leaves it in LEAN."""
    book = algo.portfolio.cash_book
    account = book.account_currency
    if account != "USD":
        book.ensure("USD")  # the default benchmark's (SPY's) quote currency: LEAN adds its cash
    by_pair = {s.symbol.value: s for s in algo.securities.values() if s.type == SecurityType.FOREX}
    for currency, cash in book.items():
        if currency == account:
            continue
        if currency + account in by_pair:
            cash.currency_conversion = (by_pair[currency + account], False)
        elif account + currency in by_pair:
            cash.currency_conversion = (by_pair[account + currency], True)
        elif any(formats.forex_daily_path(data_folder, pair, Market.OANDA).exists()
                 for pair in (currency + account, account + currency)):
            raise ValueError(f"no conversion for {currency}: add_forex('{currency}{account}') or "
                             f"add_forex('{account}{currency}') (lean_local does not add LEAN's internal conversion "
                             "subscriptions)")
        else:
            log.warning("no data prices %s in %s (no forex/oanda/daily/%s.zip nor %s.zip): its conversion rate "
                        "stays 0, as LEAN's internal conversion subscription without data leaves it", currency,
                        account, (currency + account).lower(), (account + currency).lower())
