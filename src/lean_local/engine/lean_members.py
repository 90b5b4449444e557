"""LEAN members a class of the runtime lacks, each named by a descriptor that raises
:class:`~lean_local.engine.errors.NotSupportedError` when read.

The classes made or read per order (``Order``, ``OrderTicket``, ``Security``) and the algorithm name them this way instead
of defining ``__getattr__``: a class with ``__getattr__`` has its own attribute lookup, so CPython 3.11
specialises no attribute read on its instances, and each of the many reads per order takes the generic
path. A name that is no LEAN member raises Python's ``AttributeError``, as pythonnet does.
"""

from __future__ import annotations

from typing import Any, NoReturn

from lean_local.engine.errors import not_supported

#: ``System.Object``'s public members, which every LEAN object has.
OBJECT_MEMBERS = ("equals", "get_hash_code", "get_type", "reference_equals", "to_string")


def pascal_case(name: str) -> str:
    """LEAN's own spelling of a snake_case member (``get_hash_code`` -> ``GetHashCode``)."""
    return "".join(part.capitalize() for part in name.split("_"))


class NotSupportedMember:
    """A LEAN member the runtime does not implement: reading it, on an instance or on the class, raises
    :class:`~lean_local.engine.errors.NotSupportedError` naming ``owner.name``. A non-data descriptor, so an
    instance that holds its own attribute of the name reads that."""

    __slots__ = ("owner", "name")

    def __init__(self, owner: str, name: str) -> None:
        self.owner, self.name = owner, name

    def __get__(self, instance: Any, cls: type | None = None) -> NoReturn:
        raise not_supported(self.owner, self.name)


def name_lean_members(cls: type, owner: str, implemented: tuple[str, ...], missing: tuple[str, ...]) -> None:
    """Give ``cls`` a :class:`NotSupportedMember` for each of LEAN's members in ``missing`` and for the
    PascalCase spelling of each of LEAN's members (``implemented`` and ``missing``; pythonnet reads both
    spellings, the runtime only snake_case). ``owner``: the name the errors give the class."""
    for name in (*missing, *map(pascal_case, implemented + missing)):
        if any(name in vars(each) for each in cls.__mro__):  # a base's (a mixin's) member too
            raise TypeError(f"{cls.__name__}.{name} is defined: it is no missing LEAN member")
        setattr(cls, name, NotSupportedMember(owner, name))
