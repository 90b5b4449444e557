"""Execution models: ``ExecutionModel``, ``ImmediateExecutionModel``, ``NullExecutionModel``
(``Algorithm/Execution/*.cs``)."""

from __future__ import annotations

from typing import Any

from lean_local.framework.targets import (
    PortfolioTarget,
    PortfolioTargetCollection,
    above_minimum_order_margin,
    unordered_quantity,
)


class ExecutionModel:
    """Base class: ``execute(algorithm, targets)`` turns portfolio targets into orders."""

    def __init__(self, asynchronous: bool = True) -> None:
        self.asynchronous = asynchronous

    def execute(self, algorithm: Any, targets: list[Any]) -> None:
        raise NotImplementedError("Types deriving from 'ExecutionModel' must implement the "
                                  "'void Execute(QCAlgorithm, IPortfolioTarget[]) method.")

    def on_securities_changed(self, algorithm: Any, changes: Any) -> None:
        pass

    def on_order_event(self, algorithm: Any, order_event: Any) -> None:
        pass


class NullExecutionModel(ExecutionModel):
    """Places no orders."""

    def execute(self, algorithm: Any, targets: list[Any]) -> None:
        pass


class ImmediateExecutionModel(ExecutionModel):
    """A market order for each target's unordered quantity, at once.

    Targets are kept until the holdings reach them; each call orders position-reducing targets
    first, then by decreasing order value, skipping orders whose margin is below
    ``settings.minimum_order_margin_portfolio_percentage`` of the portfolio value.
    """

    def __init__(self, asynchronous: bool = True) -> None:
        super().__init__(asynchronous)
        self.targets_collection = PortfolioTargetCollection()

    def execute(self, algorithm: Any, targets: list[Any]) -> None:
        self.targets_collection.add_range(targets)
        if self.targets_collection.is_empty:
            return
        for target in self.targets_collection.order_by_margin_impact(algorithm):
            security = algorithm.securities[target.symbol]
            quantity = unordered_quantity(algorithm, target, security)
            if quantity == 0:
                continue
            if above_minimum_order_margin(algorithm, security, quantity):
                algorithm.market_order(security.symbol, quantity, self.asynchronous, target.tag)
            elif PortfolioTarget.minimum_order_margin_percentage_warning_sent is None:
                PortfolioTarget.minimum_order_margin_percentage_warning_sent = False
        self.targets_collection.clear_fulfilled(algorithm)
