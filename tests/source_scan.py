"""Helpers of the tests that read the runtime's source with ``ast`` (layers, private accesses)."""

from __future__ import annotations

import ast


def imported_from(node: ast.ImportFrom, package: str) -> str:
    """The absolute module a ``from ... import`` in ``package`` names (a relative import resolved)."""
    base = node.module or ""
    if not node.level:
        return base
    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*parts, base] if base else parts)
