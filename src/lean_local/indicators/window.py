"""``RollingWindow``, ``IndicatorDataPoint`` and the ``+=`` event type shared by indicators and
consolidators (LEAN ``Common/Indicators``).

``RollingWindow`` keeps the newest ``size`` items; ``window[0]`` is the newest, ``window[count - 1]``
the oldest. As LEAN's: reading an index past ``count`` returns ``None`` (and, past ``size``, grows
the window to hold it); ``is_ready`` is ``samples >= size`` (every ``add`` is a sample, also those
that fell off since).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")

MIN_TIME = datetime(1, 1, 1)


class Event:
    """A .NET-style event: ``event += handler``, ``event -= handler``; calling it calls every
    handler in the order they were added (``handler(sender, args)``)."""

    __slots__ = ("_handlers",)

    def __init__(self) -> None:
        self._handlers: list[Callable[..., Any]] = []

    def __iadd__(self, handler: Callable[..., Any]) -> Event:
        if not callable(handler):
            raise TypeError(f"an event handler must be callable, got {type(handler).__name__}")
        self._handlers.append(handler)
        return self

    def __isub__(self, handler: Callable[..., Any]) -> Event:
        for k in range(len(self._handlers) - 1, -1, -1):
            if self._handlers[k] == handler:
                del self._handlers[k]
                break
        return self

    def __call__(self, *args: Any) -> None:
        for handler in tuple(self._handlers):
            handler(*args)

    def __len__(self) -> int:
        return len(self._handlers)

    def clear(self) -> None:
        self._handlers.clear()


class RollingWindow(Generic[T]):
    """The newest ``size`` items, indexed newest first (LEAN ``RollingWindow<T>``).

    ``RollingWindow[TradeBar](5)`` and ``RollingWindow(5)`` are the same window (Python does not
    check item types).

    Raises
    ------
    ValueError
        ``size`` is negative (LEAN: ``RollingWindow must have size of at least 0.``).
    """

    def __init__(self, size: int) -> None:
        size = int(size)
        if size < 0:
            raise ValueError("RollingWindow must have size of at least 0.")
        self._items: list[Any] = []  # oldest first
        self._size = size
        self._samples = 0
        self._removed: Any = None

    # -- size and state -----------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self._size

    @size.setter
    def size(self, value: int) -> None:
        value = int(value)
        if value < 0:
            raise ValueError("RollingWindow must have size of at least 0.")
        if value < len(self._items):
            del self._items[: len(self._items) - value]
        self._size = value

    @property
    def count(self) -> int:
        return len(self._items)

    @property
    def samples(self) -> int:
        return self._samples

    @property
    def is_ready(self) -> bool:
        return self._samples >= self._size

    @property
    def most_recently_removed(self) -> Any:
        if self._samples <= self._size:
            raise RuntimeError("No items have been removed yet!")
        return self._removed

    # -- items --------------------------------------------------------------------------------
    def add(self, item: Any) -> None:
        self._samples += 1
        if self._size == 0:
            self._removed = item
            return
        if len(self._items) == self._size:
            self._removed = self._items.pop(0)
        self._items.append(item)

    def reset(self) -> None:
        self._samples = 0
        self._items.clear()

    def _position(self, i: int) -> int | None:
        """List position of LEAN index ``i`` (None: past the items; the window grows past size)."""
        i = int(i)
        n = len(self._items)
        if i < 0:
            if self._size + i < 0:
                raise IndexError("Index must be a non-negative integer less than the window size or a negative "
                                 "integer whose absolute value is at most the window size")
            i = n + i
            if i < 0:
                return None
        if i > n - 1:
            if i > self._size - 1:
                self._size = i + 1
            return None
        return n - 1 - i

    def __getitem__(self, i: int) -> Any:
        position = self._position(i)
        return None if position is None else self._items[position]

    def __setitem__(self, i: int, value: Any) -> None:
        i = int(i)
        if i < 0:
            if self._size + i < 0:
                raise IndexError("Index must be a non-negative integer less than the window size or a negative "
                                 "integer whose absolute value is at most the window size")
            i = self._size + i
        if i > len(self._items) - 1:
            if i > self._size - 1:
                self._size = i + 1
            while len(self._items) < i + 1:
                self.add(None)
        self._items[len(self._items) - 1 - i] = value

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items[::-1])

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"RollingWindow(size={self._size}, count={len(self._items)})"


class IndicatorDataPoint:
    """A time and a value (LEAN ``IndicatorDataPoint``); ``end_time`` is ``time``.

    ``IndicatorDataPoint(time, value)`` or ``IndicatorDataPoint(symbol, time, value)``.
    """

    __slots__ = ("symbol", "time", "value")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        symbol: Any = kwargs.get("symbol")
        time = kwargs.get("time", MIN_TIME)
        value = kwargs.get("value", 0.0)
        if len(args) == 3:
            symbol, time, value = args
        elif len(args) == 2:
            time, value = args
        elif args:
            raise TypeError("IndicatorDataPoint(time, value) or IndicatorDataPoint(symbol, time, value)")
        self.symbol = symbol
        self.time = time
        self.value = float(value)

    @property
    def end_time(self) -> datetime:
        return self.time

    @property
    def price(self) -> float:
        return self.value

    def __float__(self) -> float:
        return self.value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IndicatorDataPoint):
            return other.time == self.time and other.value == self.value
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.time, self.value))

    def __lt__(self, other: IndicatorDataPoint) -> bool:
        return self.value < other.value

    def __repr__(self) -> str:
        # LEAN: "{Time:s} - {Value}"
        stamp = self.time.strftime("%Y-%m-%dT%H:%M:%S") if isinstance(self.time, datetime) else str(self.time)
        return f"{stamp} - {self.value}"

    __str__ = __repr__
