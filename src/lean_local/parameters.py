"""Parameter names given on the command line, checked against the project's ``config.json``.

``lean backtest --parameter`` and ``lean optimize`` pass any name through; a misspelt one then
changes nothing and an optimization runs the same configuration at every grid point. The local
commands refuse a name the project does not declare, naming the nearest declared one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class UnknownParameterError(ValueError):
    """A ``--parameter`` name that the project's ``config.json`` does not declare."""


def check_parameter_names(names: Iterable[str], declared: Iterable[str], config_path: str | Path) -> None:
    """Raise :class:`UnknownParameterError` for the first name not in ``declared``.

    Parameters
    ----------
    names : iterable of str
        The names given with ``--parameter``.
    declared : iterable of str
        The keys of ``config.json``'s ``parameters``.
    config_path : str or Path
        The ``config.json`` the names are checked against (named in the message).
    """
    known = sorted(declared)
    for name in names:
        if name in known:
            continue
        nearest = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean '{nearest[0]}'?" if nearest else ""
        listed = ", ".join(known) if known else "none"
        raise UnknownParameterError(
            f"--parameter {name}: {config_path} declares no parameter '{name}'{hint} (declared: {listed})")
