"""LEAN's Python slippage modules."""
