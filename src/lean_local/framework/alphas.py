"""Alpha models: ``AlphaModel`` (subclass it with ``update`` / ``on_securities_changed``),
``NullAlphaModel``, ``CompositeAlphaModel`` (what ``add_alpha`` builds) and ``ConstantAlphaModel``.

Follows ``Algorithm/Alphas/*.cs`` and ``Algorithm.Framework/Alphas/ConstantAlphaModel.cs``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lean_local.framework.insights import Insight, InsightDirection, InsightType


class AlphaModel:
    """Base class of alpha models: ``update(algorithm, data) -> list[Insight]`` each time step
    with data, ``on_securities_changed(algorithm, changes)`` on universe changes.

    ``name`` is the model's name (the class name unless set; LEAN's C# base uses a GUID, its
    Python wrapper the Python class name); insights without a ``source_model`` get it.
    """

    def update(self, algorithm: Any, data: Any) -> list[Insight]:
        raise NotImplementedError("Types deriving from 'AlphaModel' must implement the "
                                  "'IEnumerable<Insight> Update(QCAlgorithm, Slice) method.")

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        pass

    @property
    def name(self) -> str:
        return self.__dict__.get("_name") or type(self).__name__

    @name.setter
    def name(self, value: str) -> None:
        self.__dict__["_name"] = value


def update_security_collection(securities: list[Any], changes: Any) -> None:
    """``NotifiedSecurityChanges.UpdateCollection``: add the added, drop the removed (in order)."""
    for security in changes.added_securities:
        if security not in securities:
            securities.append(security)
    for security in changes.removed_securities:
        if security in securities:
            securities.remove(security)


class NullAlphaModel(AlphaModel):
    """Emits nothing (the algorithm's default)."""

    def update(self, algorithm: Any, data: Any) -> list[Insight]:
        return []


class CompositeAlphaModel(AlphaModel):
    """Several alpha models as one: their insights in the order the models were added."""

    def __init__(self, *alpha_models: Any) -> None:
        if not alpha_models:
            raise ValueError("Must specify at least 1 alpha model for the CompositeAlphaModel")
        self._models = list(alpha_models)

    def update(self, algorithm: Any, data: Any) -> list[Insight]:
        insights: list[Insight] = []
        for model in self._models:
            name = model_name(model)
            for insight in model.update(algorithm, data) or []:
                if not insight.source_model:
                    insight.source_model = name
                insights.append(insight)
        return insights

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        for model in self._models:
            model.on_securities_changed(algorithm, changes)

    def add_alpha(self, alpha_model: Any) -> None:
        self._models.append(alpha_model)


def model_name(model: Any) -> str:
    """``AlphaModelExtensions.GetModelName``: the model's ``name``, else its class name."""
    name = getattr(model, "name", None)
    return name if isinstance(name, str) and name else type(model).__name__


class ConstantAlphaModel(AlphaModel):
    """The same insight for every security in the universe, re-emitted once each ``period``.

    Parameters
    ----------
    type, direction
        The :class:`InsightType` and :class:`InsightDirection` of every insight.
    period
        The insights' period; a symbol gets a new insight when at least ``period`` has passed
        since its last one (UTC time), and again when it re-joins the universe.
    magnitude, confidence, weight
        Optional values copied into every insight.
    """

    def __init__(self, type: InsightType, direction: InsightDirection, period: timedelta,
                 magnitude: float | None = None, confidence: float | None = None, weight: float | None = None) -> None:
        self._type = type
        self._direction = direction
        self._period = period
        self._magnitude = magnitude
        self._confidence = confidence
        self._weight = weight
        self._securities: list[Any] = []
        self._insight_times: dict[Any, datetime] = {}
        name = f"ConstantAlphaModel({InsightType(type).name.capitalize()},{InsightDirection(direction).name.capitalize()},"
        name += _timespan_text(period)
        if magnitude is not None:
            name += f",{magnitude}"
        if confidence is not None:
            name += f",{confidence}"
        self.name = name + ")"

    def update(self, algorithm: Any, data: Any) -> list[Insight]:
        now = algorithm.utc_time
        return [Insight(security.symbol, self._period, self._type, self._direction, self._magnitude,
                        self._confidence, weight=self._weight)
                for security in self._securities
                if security.price != 0 and self.should_emit_insight(now, security.symbol)]

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        update_security_collection(self._securities, changes)
        for removed in changes.removed_securities:
            self._insight_times.pop(removed.symbol, None)

    def should_emit_insight(self, utc_time: datetime, symbol: Any) -> bool:
        last = self._insight_times.get(symbol)
        if last is not None and utc_time - last < self._period:
            return False
        self._insight_times[symbol] = utc_time
        return True


def _timespan_text(span: timedelta) -> str:
    """.NET's ``TimeSpan.ToString()``: ``[d.]hh:mm:ss``."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}.{text}" if days else text
