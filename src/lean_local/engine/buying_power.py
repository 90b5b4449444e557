"""``security.buying_power_model``: a read-only view of the margin model the portfolio applies
(LEAN ``SecurityMarginModel``: initial = maintenance margin = 1 / leverage), for algorithms that
ask it about a position (``Common/Securities/BuyingPowerModel.cs``)."""

from __future__ import annotations

from typing import Any


class ReservedBuyingPowerForPositionParameters:
    """``ReservedBuyingPowerForPositionParameters(security)``."""

    def __init__(self, security: Any) -> None:
        self.security = security


class ReservedBuyingPowerForPosition:
    """The buying power a position holds, in account currency."""

    def __init__(self, absolute_used_buying_power: float) -> None:
        self.absolute_used_buying_power = float(absolute_used_buying_power)


class SecurityMarginModel:
    """The margin terms of one security (the portfolio's own sizing and buying-power checks use the same terms)."""

    def __init__(self, security: Any) -> None:
        self._security = security

    def get_leverage(self, security: Any) -> float:
        return security.leverage

    def get_maintenance_margin(self, security: Any) -> float:
        """``|holdings value| x maintenance margin requirement`` (account currency)."""
        return security.holdings.absolute_holdings_value / security.leverage

    def get_reserved_buying_power_for_position(
            self, parameters: ReservedBuyingPowerForPositionParameters) -> ReservedBuyingPowerForPosition:
        return ReservedBuyingPowerForPosition(self.get_maintenance_margin(parameters.security))
