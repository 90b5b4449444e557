"""LEAN's ``Orders`` framework modules (``from Orders.Slippage.X import X``)."""
