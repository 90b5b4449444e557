"""``Maximum`` and ``Minimum`` over the last ``period`` inputs (LEAN), with the number of inputs
since the extreme (``periods_since_maximum`` / ``periods_since_minimum``)."""

from __future__ import annotations

from typing import Any

from lean_local.indicators.base import WindowIndicator
from lean_local.indicators.window import RollingWindow


def _name_period(args: tuple, prefix: str) -> tuple[str, int]:
    if len(args) >= 2 and isinstance(args[0], str):
        return args[0], int(args[1])
    return f"{prefix}({int(args[0])})", int(args[0])


class Maximum(WindowIndicator):
    """Largest of the last ``period`` inputs; ready after ``period`` inputs."""

    def __init__(self, *args: Any) -> None:
        name, period = _name_period(args, "MAX")
        super().__init__(name, period)
        self.periods_since_maximum = 0

    @property
    def is_ready(self) -> bool:
        return self.samples >= self.period

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        if self.samples == 1 or data.value >= self.current.value:
            self.periods_since_maximum = 0
            return data.value
        if self.periods_since_maximum >= self.period - 1:
            # the maximum left the window: search it again (first of equals, newest first, as LEAN)
            best = max(range(window.count), key=lambda i: (window[i].value, -i))
            self.periods_since_maximum = best
            return window[best].value
        self.periods_since_maximum += 1
        return self.current.value

    def reset(self) -> None:
        self.periods_since_maximum = 0
        super().reset()


class Minimum(WindowIndicator):
    """Smallest of the last ``period`` inputs; ready after ``period`` inputs."""

    def __init__(self, *args: Any) -> None:
        name, period = _name_period(args, "MIN")
        super().__init__(name, period)
        self.periods_since_minimum = 0

    @property
    def is_ready(self) -> bool:
        return self.samples >= self.period

    def _compute_window(self, window: RollingWindow, data: Any) -> float:
        if self.samples == 1 or data.value <= self.current.value:
            self.periods_since_minimum = 0
            return data.value
        if self.periods_since_minimum >= self.period - 1:
            best = min(range(window.count), key=lambda i: (window[i].value, i))
            self.periods_since_minimum = best
            return window[best].value
        self.periods_since_minimum += 1
        return self.current.value

    def reset(self) -> None:
        self.periods_since_minimum = 0
        super().reset()
