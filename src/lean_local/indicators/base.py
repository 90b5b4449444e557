"""The indicator base classes (LEAN ``IndicatorBase``, ``Indicator``, ``BarIndicator``,
``WindowIndicator``).

An indicator receives inputs through ``update`` (an ``IndicatorDataPoint``, ``(time, value)``, or a
bar for bar indicators), counts them in ``samples``, computes its value and, when the computation
succeeds, stores it as ``current`` (newest entry of ``window``, a ``RollingWindow`` of 2 by default)
and fires ``updated(sender, current)``. A new indicator's window already holds one point
(``0.0`` at ``datetime.min``), as LEAN's. Inputs older than the last input of the same symbol are
ignored (LEAN's forward-only rule). Values are Python floats (LEAN computes in ``decimal``).
"""

from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any

from lean_local.engine.common import NotSupportedError
from lean_local.indicators.window import MIN_TIME, Event, IndicatorDataPoint, RollingWindow

log = logging.getLogger("lean_local.indicators")


class IndicatorStatus(IntEnum):
    """Outcome of one computation (LEAN ``IndicatorStatus``)."""

    SUCCESS = 0
    INVALID_INPUT = 1
    MATH_ERROR = 2
    VALUE_NOT_READY = 3


class IndicatorResult:
    """A computed value and its status (LEAN ``IndicatorResult``)."""

    __slots__ = ("value", "status")

    def __init__(self, value: float, status: IndicatorStatus = IndicatorStatus.SUCCESS) -> None:
        self.value = float(value)
        self.status = status


class IndicatorBase:
    """Base of every indicator.

    Subclasses set ``_input_kind`` (``"point"``: inputs become ``IndicatorDataPoint``; ``"bar"``:
    inputs must be bars with ``open/high/low/close``) and implement ``_compute(input) -> float``, or
    ``_validate_and_compute(input) -> IndicatorResult`` to report a non-success status.
    """

    _input_kind = "point"
    DEFAULT_WINDOW_SIZE = 2

    def __class_getitem__(cls, item: Any) -> type:
        """``ConstantIndicator[IndicatorDataPoint](...)``: LEAN's generic form is the same class."""
        return cls

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.samples = 0
        self.updated = Event()
        self.consolidators: set[Any] = set()
        self._window = RollingWindow(self.DEFAULT_WINDOW_SIZE)
        self._previous_input: dict[Any, Any] = {}
        self._forward_only_logged = False
        self._window.add(IndicatorDataPoint(MIN_TIME, 0.0))

    # -- state --------------------------------------------------------------------------------
    @property
    def window(self) -> RollingWindow:
        return self._window

    @property
    def current(self) -> IndicatorDataPoint:
        return self._window[0]

    @current.setter
    def current(self, point: IndicatorDataPoint) -> None:
        self._window.add(point)

    @property
    def previous(self) -> IndicatorDataPoint:
        point = self._window[1] if self._window.count > 1 else None
        return point if point is not None else IndicatorDataPoint(MIN_TIME, 0.0)

    @property
    def is_ready(self) -> bool:
        raise NotImplementedError

    def __getitem__(self, i: int) -> IndicatorDataPoint:
        return self._window[i]

    def __iter__(self):
        return iter(self._window)

    # -- updates ------------------------------------------------------------------------------
    def update(self, *args: Any, **kwargs: Any) -> bool:
        """``update(input)`` or ``update(time, value)``; returns ``is_ready``.

        Raises
        ------
        NotSupportedError
            ``update(time, value)`` on an indicator that needs bars (LEAN's message).
        TypeError
            A bar indicator received something that is not a bar.
        """
        if kwargs:
            args = (*args, *(kwargs[k] for k in ("input", "time", "value", "data") if k in kwargs))
        if len(args) == 2:
            if self._input_kind != "point":
                raise NotSupportedError(
                    f"{type(self).__name__} does not support the `Update(DateTime, decimal)` method. Use one of the "
                    "following methods instead: Update(TradeBar), Update(QuoteBar)")
            return self._update(IndicatorDataPoint(args[0], args[1]))
        if len(args) != 1:
            raise TypeError("update(input) or update(time, value)")
        return self._update(args[0])

    def _update(self, data: Any) -> bool:
        key = getattr(data, "symbol", None)
        previous = self._previous_input.get(key)
        if previous is not None and data.end_time < previous.end_time:
            if not self._forward_only_logged:
                self._forward_only_logged = True
                log.error("IndicatorBase.Update(): This is a forward only indicator: %s Input: %s Previous: %s. "
                          "It will not be updated with this input.", self.name, data.end_time, previous.end_time)
            return self.is_ready
        if data is previous:
            return self.is_ready
        self.samples += 1
        if self._input_kind == "point":
            if not isinstance(data, IndicatorDataPoint):
                data = IndicatorDataPoint(key, data.end_time, data.value)
        elif not hasattr(data, "high"):
            raise TypeError(f"IndicatorBase.Update() 'input' expected to be a bar but is of type {type(data).__name__}")
        self._previous_input[key] = data
        result = self._validate_and_compute(data)
        if result.status == IndicatorStatus.SUCCESS:
            self.current = IndicatorDataPoint(key, data.end_time, result.value)
            self.updated(self, self.current)
        return self.is_ready

    def _validate_and_compute(self, data: Any) -> IndicatorResult:
        return IndicatorResult(self._compute(data))

    def _compute(self, data: Any) -> float:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget every input (LEAN ``Reset``): samples 0, window back to the initial point."""
        self.samples = 0
        self._previous_input.clear()
        self._window.reset()
        self.current = IndicatorDataPoint(MIN_TIME, 0.0)

    # -- LEAN's operators: an indicator compares and computes as its current value ------------
    def _other(self, other: Any) -> float:
        return float(other.current.value if isinstance(other, IndicatorBase) else other)

    def __float__(self) -> float:
        return self.current.value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IndicatorBase):
            return self is other
        try:
            return self.current.value == float(other)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False

    __hash__ = object.__hash__

    def __lt__(self, other: Any) -> bool:
        return self.current.value < self._other(other)

    def __le__(self, other: Any) -> bool:
        return self.current.value <= self._other(other)

    def __gt__(self, other: Any) -> bool:
        return self.current.value > self._other(other)

    def __ge__(self, other: Any) -> bool:
        return self.current.value >= self._other(other)

    def __add__(self, other: Any) -> float:
        return self.current.value + self._other(other)

    def __radd__(self, other: Any) -> float:
        return self._other(other) + self.current.value

    def __sub__(self, other: Any) -> float:
        return self.current.value - self._other(other)

    def __rsub__(self, other: Any) -> float:
        return self._other(other) - self.current.value

    def __mul__(self, other: Any) -> float:
        return self.current.value * self._other(other)

    def __rmul__(self, other: Any) -> float:
        return self._other(other) * self.current.value

    def __truediv__(self, other: Any) -> float:
        return self.current.value / self._other(other)

    def __rtruediv__(self, other: Any) -> float:
        return self._other(other) / self.current.value

    def __str__(self) -> str:
        # LEAN: Current.Value.ToString("#######0.0####")
        text = f"{self.current.value:.5f}".rstrip("0")
        return text + "0" if text.endswith(".") else text

    def __repr__(self) -> str:
        return f"{self.name} - {self}"


class Indicator(IndicatorBase):
    """An indicator of ``IndicatorDataPoint`` inputs (LEAN ``Indicator``)."""


class BarIndicator(IndicatorBase):
    """An indicator of bar inputs (``open, high, low, close``; LEAN ``BarIndicator``)."""

    _input_kind = "bar"


TradeBarIndicator = BarIndicator


class WindowIndicator(IndicatorBase):
    """An indicator over the last ``period`` inputs (LEAN ``WindowIndicator``); ready once
    ``period`` inputs arrived; ``warm_up_period`` is ``period``.

    Raises
    ------
    ValueError
        ``period`` below 1.
    """

    def __init__(self, name: str, period: int) -> None:
        super().__init__(name)
        if int(period) < 1:
            raise ValueError("RollingWindow must have size of at least 1.")
        self._inputs = RollingWindow(int(period))

    @property
    def period(self) -> int:
        return self._inputs.size

    @property
    def warm_up_period(self) -> int:
        return self.period

    @property
    def is_ready(self) -> bool:
        return self._inputs.is_ready

    def _compute(self, data: Any) -> float:
        self._inputs.add(data)
        return self._compute_window(self._inputs, data)

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        raise NotImplementedError

    @staticmethod
    def _oldest_or_removed(window: RollingWindow) -> Any:
        """The input ``period`` steps back: the oldest in the window until one fell off."""
        return window[window.count - 1] if window.samples <= window.size else window.most_recently_removed

    def reset(self) -> None:
        super().reset()
        self._inputs.reset()


class PythonIndicator(IndicatorBase):
    """A user-written indicator (LEAN ``PythonIndicator``): the subclass defines ``update(input)``,
    sets ``self.value`` and returns whether it is ready (or leaves ``is_ready`` set). The runtime
    wraps that ``update`` so the indicator also counts ``samples``, keeps ``current``/``window``
    and fires ``updated``, as LEAN's wrapper does. Registered, it receives the bars themselves."""

    _input_kind = "any"

    def __init__(self, *args: Any) -> None:
        super().__init__(args[0] if args and isinstance(args[0], str) else "")
        self.value = 0.0
        self._python_ready = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        user_update = cls.__dict__.get("update")
        if user_update is None or getattr(user_update, "_lean_wrapped", False):
            return

        def update(self: PythonIndicator, *args: Any) -> bool:
            return self._python_update(user_update, args)

        update._lean_wrapped = True  # type: ignore[attr-defined]
        update.__doc__ = user_update.__doc__
        cls.update = update  # type: ignore[method-assign]

    @property
    def is_ready(self) -> bool:
        return self.__dict__.get("_python_ready", False)

    @is_ready.setter
    def is_ready(self, value: bool) -> None:
        self._python_ready = bool(value)

    def _python_update(self, user_update: Any, args: tuple) -> bool:
        if "_window" not in self.__dict__:  # the subclass did not call super().__init__()
            name, value = self.__dict__.get("name", ""), self.__dict__.get("value", 0.0)
            ready = self.__dict__.get("_python_ready", False)
            IndicatorBase.__init__(self, name)
            self.value, self._python_ready = value, ready
        data = IndicatorDataPoint(args[0], args[1]) if len(args) == 2 else args[0]
        key = getattr(data, "symbol", None)
        previous = self._previous_input.get(key)
        if previous is not None and data.end_time < previous.end_time:
            return self.is_ready
        self.samples += 1
        self._previous_input[key] = data
        result = user_update(self, data)
        self._python_ready = bool(result) if result is not None else bool(self.is_ready)
        self.current = IndicatorDataPoint(key, data.end_time, float(self.value))
        self.updated(self, self.current)
        return self._python_ready
