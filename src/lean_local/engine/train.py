"""``QCAlgorithm.train``: LEAN's training events (``ScheduleManager.TrainingNow`` and
``ScheduleManager.Training``), scheduled events whose callback is the training code.

In a backtest LEAN runs the training code synchronously at its scheduled time, like any
scheduled event. ``train(training_code)`` runs it "now": LEAN's ``DateRules.Today`` and
``TimeRules.Now`` are evaluated when the schedule is first enumerated, at the start of the run
(the algorithm's time then: the start date at 00:00 for a call in ``initialize``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lean_local.engine.overloads import bind_overload
from lean_local.engine.scheduling import DateRule, TimeRule


def _now(training_code: Callable[[], Any]) -> None: ...


def _scheduled(date_rule: DateRule, time_rule: TimeRule, training_code: Callable[[], Any]) -> None: ...


def train(algorithm: Any, *args: Any, **kwargs: Any) -> Any:
    """``train(training_code)`` or ``train(date_rule, time_rule, training_code)``; returns the
    scheduled event."""
    overload, values = bind_overload("train", args, kwargs, _now, _scheduled)
    code = values["training_code"]
    if overload is _now:
        today = DateRule("TodayOnly", lambda start, end: [algorithm.time.date()])
        now = TimeRule("Now", lambda day: [algorithm.time])
        event = algorithm.schedule.on(today, now, code)
        event.name = f"Training: Now: {algorithm.time:%Y-%m-%dT%H:%M:%S}"
        return event
    return algorithm.schedule.on(values["date_rule"], values["time_rule"], code)
