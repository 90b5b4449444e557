"""Progress bars: the one place that decides whether one is shown.

A bar shows on stderr only when it is a terminal and the ``CI`` environment variable is unset (so
logs, pipes and test runs never hold bar text), and only when the caller asked for it. Otherwise
the bar is a disabled ``tqdm`` whose methods do nothing, so callers never branch on it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

__all__ = ["bar", "shown", "wrap"]

T = TypeVar("T")


def shown(requested: bool = True) -> bool:
    """Whether a progress bar should show: ``requested``, stderr is a terminal and ``CI`` is unset."""
    return requested and not os.environ.get("CI") and sys.stderr.isatty()


def bar(total: int, description: str, unit: str, requested: bool = True) -> Any:
    """A ``tqdm`` bar of ``total`` ``unit``s on stderr, disabled unless :func:`shown` (``requested``).

    Use it as a context manager (or call ``close()``) and advance it with ``update(n)``.
    """
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit=unit, leave=False, file=sys.stderr,
                disable=not shown(requested))


def wrap(iterable: Iterable[T], desc: str = "", total: int | None = None) -> Iterable[T]:
    """``iterable`` behind a ``tqdm`` bar on stderr when :func:`shown`; the bare iterable otherwise."""
    if not shown():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False, file=sys.stderr)
