"""The consolidator base (LEAN ``ConsolidatorBase``) and the identity consolidator.

A consolidator receives bars through ``update(data)`` and, when a consolidated bar is complete,
fires ``data_consolidated(sender, bar)``; ``consolidated`` is the last bar emitted, ``working_data``
the bar being built, ``window``/``current`` a ``RollingWindow`` of the emitted bars (2 by default).
``scan(local_time)`` closes a time-based bar whose period has passed without new data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lean_local.indicators.window import Event, RollingWindow


class ConsolidatorBase:
    """Common state and events of every consolidator."""

    DEFAULT_WINDOW_SIZE = 2

    def __init__(self) -> None:
        self.data_consolidated = Event()
        self.consolidated: Any = None
        self._window = RollingWindow(self.DEFAULT_WINDOW_SIZE)

    @property
    def window(self) -> RollingWindow:
        return self._window

    @property
    def current(self) -> Any:
        return self._window[0]

    @property
    def previous(self) -> Any:
        return self._window[1] if self._window.count > 1 else None

    def __getitem__(self, i: int) -> Any:
        return self._window[i]

    @property
    def working_data(self) -> Any:
        return None

    def update(self, data: Any) -> None:
        raise NotImplementedError

    def scan(self, current_local_time: datetime) -> None:
        pass

    def _on_data_consolidated(self, consolidated: Any) -> None:
        if consolidated is not None:
            self._window.add(consolidated)
        self.data_consolidated(self, consolidated)
        self.consolidated = consolidated

    def reset(self) -> None:
        self.consolidated = None
        self._window.reset()

    def dispose(self) -> None:
        self.data_consolidated.clear()


class IdentityDataConsolidator(ConsolidatorBase):
    """Passes each bar through unchanged, once per end time (LEAN ``IdentityDataConsolidator``):
    what ``register_indicator`` uses when the indicator's resolution is the subscription's."""

    def __init__(self) -> None:
        super().__init__()
        self._last: Any = None

    @property
    def working_data(self) -> Any:
        return self._last

    def update(self, data: Any) -> None:
        if self._last is None or data.end_time != self._last.end_time:
            self._on_data_consolidated(data)
            self._last = data

    def reset(self) -> None:
        super().reset()
        self._last = None
