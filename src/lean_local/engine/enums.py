"""LEAN's enumerations the engine uses: ``Resolution``, ``SecurityType``, ``DataNormalizationMode``, ``Market``.

Members and values follow LEAN (``quantconnect-stubs``); the runtime only needs the members the
project's algorithms use, the others exist so user code comparing against them keeps working.
"""

from __future__ import annotations

from enum import IntEnum


class Resolution(IntEnum):
    """Data resolution (LEAN ``Resolution``)."""

    TICK = 0
    SECOND = 1
    MINUTE = 2
    HOUR = 3
    DAILY = 4


class SecurityType(IntEnum):
    """Security type (LEAN ``SecurityType``)."""

    BASE = 0
    EQUITY = 1
    OPTION = 2
    COMMODITY = 3
    FOREX = 4
    FUTURE = 5
    CFD = 6
    CRYPTO = 7
    FUTURE_OPTION = 8
    INDEX = 9
    INDEX_OPTION = 10
    CRYPTO_FUTURE = 11


class OptionRight(IntEnum):
    """An option's right (LEAN ``OptionRight``)."""

    CALL = 0
    PUT = 1


class OptionStyle(IntEnum):
    """An option's exercise style (LEAN ``OptionStyle``)."""

    AMERICAN = 0
    EUROPEAN = 1


class DataNormalizationMode(IntEnum):
    """How equity prices are adjusted (LEAN ``DataNormalizationMode``)."""

    RAW = 0
    ADJUSTED = 1
    SPLIT_ADJUSTED = 2
    TOTAL_RETURN = 3
    FORWARD_PANAMA_CANAL = 4
    BACKWARDS_PANAMA_CANAL = 5
    BACKWARDS_RATIO = 6
    SCALED_RAW = 7


class Market:
    """Market names as LEAN spells them (lower case strings)."""

    USA = "usa"
    OANDA = "oanda"
    FXCM = "fxcm"
    CBOE = "cboe"
    INDIA = "india"
    CME = "cme"
    COINBASE = "coinbase"
    BINANCE = "binance"
