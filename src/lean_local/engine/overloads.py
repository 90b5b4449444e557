"""LEAN's overloaded API methods called from Python: positional or keyword arguments, the first
overload they bind to wins (pythonnet's resolution, with the snake_case parameter names of
``quantconnect-stubs``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def bind_overload(method: str, args: tuple, kwargs: dict[str, Any],
                  *overloads: Callable[..., Any]) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The first of ``overloads`` (functions whose signatures are LEAN's overloads) that
    ``args``/``kwargs`` bind to, and the bound arguments by name (defaults applied).

    Raises
    ------
    TypeError
        No overload takes these arguments (pythonnet's message, naming the method and the
        arguments' types).
    """
    for overload in overloads:
        try:
            bound = inspect.signature(overload).bind(*args, **kwargs)
        except TypeError:
            continue
        bound.apply_defaults()
        return overload, dict(bound.arguments)
    given = ", ".join([str(type(a)) for a in args] + [f"{k}={type(v)}" for k, v in kwargs.items()])
    raise TypeError(f"No method matches given arguments for {method}: ({given})")
