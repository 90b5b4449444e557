"""Security initializers and seeders (LEAN ``Common/Securities/FuncSecurityInitializer.cs``,
``CompositeSecurityInitializer.cs``, ``FuncSecuritySeeder.cs``).

``set_security_initializer(initializer)`` runs ``initializer.initialize(security)`` (or the function
itself) for every security the algorithm adds afterwards, universes included. A seeder gives a new
security the price of its last known data before its first bar arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class FuncSecurityInitializer:
    """An initializer that calls ``func(security)``."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self._func = func

    def initialize(self, security: Any) -> None:
        self._func(security)


class CompositeSecurityInitializer:
    """Runs each initializer in the given order."""

    def __init__(self, *initializers: Any) -> None:
        self._initializers = list(initializers)

    def initialize(self, security: Any) -> None:
        for initializer in self._initializers:
            run_initializer(initializer, security)


class FuncSecuritySeeder:
    """Seeds a security with each data point ``func(security)`` returns (LEAN ``SetMarketPrice``)."""

    def __init__(self, func: Callable[[Any], Iterable[Any] | Any]) -> None:
        self._func = func

    def seed_security(self, security: Any) -> bool:
        """True when there was data to seed with."""
        data = self._func(security)
        if data is None:
            return False
        points = [data] if hasattr(data, "close") or hasattr(data, "value") else list(data)
        for point in points:
            security.set_market_price(point)
        return bool(points)


def run_initializer(initializer: Any, security: Any) -> None:
    """``initializer.initialize(security)``, or ``initializer(security)`` for a plain function."""
    if hasattr(initializer, "initialize"):
        initializer.initialize(security)
    else:
        initializer(security)
