"""LEAN's limit on the wall time of one time loop (``Engine/AlgorithmTimeLimitManager.cs``).

A time step whose handlers (``on_data``, scheduled events, the framework's models) run longer than
``algorithm-manager-time-loop-maximum`` minutes (``lean.json``, 20 by default) stops the run with
LEAN's runtime error. A timer signal checks whether the step counter has moved since the last check,
so a run that keeps stepping costs nothing; the check needs the main thread of a POSIX process
(elsewhere the limit is not enforced, as with LEAN's ``Isolator`` switched off).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

DEFAULT_MINUTES = 20.0
#: checks per limit period: the step is stopped within 10% past the limit
_CHECKS_PER_LIMIT = 10


class TimeLoopExceeded(RuntimeError):
    """A time step ran longer than the limit (LEAN's ``Runtime Error: Algorithm took longer ...``)."""


def time_loop_message(minutes: float, elapsed_seconds: float) -> str:
    """LEAN's ``AlgorithmTimeLimitManager.GetErrorMessage`` text."""
    return (f"Algorithm took longer than {minutes:g} minutes on a single time loop. "
            f"CurrentTimeStepElapsed: {elapsed_seconds / 60.0:.1f} minutes")


def time_loop_minutes(config: dict[str, Any]) -> float:
    """``algorithm-manager-time-loop-maximum`` of a parsed ``lean.json`` (minutes; 0 or less: no limit).

    Raises
    ------
    ValueError
        The value is not a number.
    """
    value = config.get("algorithm-manager-time-loop-maximum", DEFAULT_MINUTES)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"lean.json: algorithm-manager-time-loop-maximum must be a number of minutes, "
                         f"not {value!r}") from None


class TimeLoopLimit:
    """Stops a time step that runs longer than ``minutes`` (a context manager around the loop).

    Parameters
    ----------
    minutes : float
        The limit; 0 or less disables it.
    step : callable
        The loop's step counter: a step has ended when its value changes.
    """

    def __init__(self, minutes: float, step: Callable[[], int]) -> None:
        self.minutes = minutes
        self._step = step
        self._seen: int | None = None
        self._since = 0.0
        self.exceeded: str | None = None  # the message, once the limit was hit
        self._previous: Any = None
        self._armed = False

    def __enter__(self) -> TimeLoopLimit:
        usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        if self.minutes > 0 and usable:
            self._seen, self._since = self._step(), time.monotonic()
            self._previous = signal.signal(signal.SIGALRM, self._check)
            interval = self.minutes * 60.0 / _CHECKS_PER_LIMIT
            signal.setitimer(signal.ITIMER_REAL, interval, interval)
            self._armed = True
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._armed = False

    def raise_if_exceeded(self) -> None:
        """Raise again after a step that caught the first :class:`TimeLoopExceeded` itself."""
        if self.exceeded is not None:
            raise TimeLoopExceeded(self.exceeded)

    def _check(self, signum: int, frame: FrameType | None) -> None:
        now, step = time.monotonic(), self._step()
        if step != self._seen:
            self._seen, self._since = step, now
            return
        elapsed = now - self._since
        if elapsed > self.minutes * 60.0:
            self.exceeded = time_loop_message(self.minutes, elapsed)
            raise TimeLoopExceeded(self.exceeded)
