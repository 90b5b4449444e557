"""The error raised when user code touches a LEAN member the local runtime does not provide."""

from __future__ import annotations


class NotSupportedError(AttributeError):
    """Raised for a LEAN API member the local runtime does not implement."""


def not_supported(owner: str, name: str) -> NotSupportedError:
    """The error raised when user code touches a LEAN member the local runtime lacks."""
    return NotSupportedError(
        f"{owner}.{name} is part of LEAN's API but the lean_local runtime does not provide it; "
        "run this algorithm in LEAN (lean backtest) or avoid this member"
    )
