"""Lazy re-exports for a package's ``__init__``: a name is imported from its module on first use.

A package that re-exports its modules' public names (so callers write ``from lean_local.optimize
import optimize``) would otherwise import every module, and their numpy, pandas and scipy, whenever
any one module of the package is imported; the command line then pays a second or more for
``--help``. With :func:`lazy_exports` the package's ``__init__`` imports nothing, and each name is
imported from its module the first time it is read (PEP 562's module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any


def lazy_exports(package: str, modules: dict[str, Iterable[str]]) -> tuple[Callable[[str], Any],
                                                                          Callable[[], list[str]], list[str]]:
    """The ``__getattr__``, ``__dir__`` and ``__all__`` of a package that re-exports names lazily.

    Parameters
    ----------
    package
        The package's ``__name__``.
    modules
        Submodule name (relative to ``package``) -> the public names it provides.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__, __all__)`` to assign in the package's ``__init__``; ``__all__`` is
        sorted. Reading a name imports its module once and caches the value in the package.

    Raises
    ------
    ValueError
        Two modules export the same name, or a name is also a module's name.
    """
    home: dict[str, str] = {}
    for module, names in modules.items():
        for name in names:
            if name in home:
                raise ValueError(f"{package}: {name} is exported by both .{home[name]} and .{module}")
            home[name] = module
    shadowed = set(home) & set(modules)
    if shadowed:  # importing the module would replace the package's attribute with the module
        raise ValueError(f"{package}: {sorted(shadowed)} name both a module and an exported name")
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home[name]}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(home))

    return __getattr__, __dir__, sorted(home)
