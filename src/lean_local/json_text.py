"""``json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)`` as UTF-8 bytes, fast, for result files.

Two costs make the standard call slow on a backtest's tens of megabytes: with ``indent`` the
standard library encodes in pure Python, and the objects themselves (a dict per order, per fill) take
longer to build than to encode. So :func:`dump_indented` encodes compactly in C and indents the text
with array operations, and :class:`Records` writes many records of one shape from columns through
one text template, without a dict per record; both give exactly the standard call's bytes.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from json.encoder import encode_basestring  # type: ignore[attr-defined]

import numpy as np

#: Bytes of compact JSON where indentation may go (structural characters), plus the string syntax.
_JSON_SYNTAX = np.zeros(256, dtype=bool)
_JSON_SYNTAX[list(b'{}[],:"\\')] = True


class Column:
    """A leaf of a :class:`Records` shape: filled per record from the column of this name."""

    def __init__(self, name: str) -> None:
        self.name = name


class Records:
    """Records of one shape, as the standard call writes a JSON array of them (or an object of them under
    ``keys``), written from columns of JSON texts (:func:`json_floats`, :func:`json_ints`,
    :func:`json_strings`) through one ``%`` template.

    Parameters
    ----------
    shape : dict
        One record: constant leaves as they are, the others as :class:`Column` s.
    columns : dict[str, Sequence[str]]
        Column name -> each record's JSON text of that leaf.
    keys : sequence of str, optional
        The records as an object under these keys (in this order) instead of an array.
    """

    def __init__(self, shape: dict, columns: Mapping[str, Sequence[str]], keys: Sequence[str] | None = None) -> None:
        self.shape, self.columns, self.keys = shape, columns, keys

    def render(self, indent: int) -> str:
        """The JSON text with its first line at ``indent`` spaces (the caller writes that indent)."""
        template = json.dumps(self.shape, indent=2, ensure_ascii=False, allow_nan=False,
                              default=lambda column: f"\x00{column.name}\x00")
        template = template.replace("%", "%%").replace("\n", "\n" + " " * (indent + 2))
        names = re.findall(r'"\\u0000(.*?)\\u0000"', template)
        template = re.sub(r'"\\u0000.*?\\u0000"', "%s", template)
        rows = zip(*(self.columns[name] for name in names), strict=True) if self.columns else iter(())
        item = "\n" + " " * (indent + 2)
        if self.keys is None:
            texts = [template % row for row in rows]
            return "[" + item + ("," + item).join(texts) + "\n" + " " * indent + "]" if texts else "[]"
        texts = [f"{key}: {template % row}" for key, row in zip(json_strings(self.keys), rows, strict=True)]
        return "{" + item + ("," + item).join(texts) + "\n" + " " * indent + "}" if texts else "{}"


def json_floats(values: Iterable[float]) -> list[str]:
    """Numbers as JSON writes floats; a non-finite one raises JSON's own error."""
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    if not np.isfinite(array).all():
        raise ValueError("Out of range float values are not JSON compliant")
    return list(map(float.__repr__, array.tolist()))


def json_ints(values: Iterable[int]) -> list[str]:
    """Integers as JSON writes them."""
    return list(map(int.__repr__, map(int, values)))


def json_strings(values: Iterable[str | None]) -> list[str]:
    """Strings as JSON writes them (``null`` for None)."""
    return ["null" if value is None else encode_basestring(value) for value in values]


def dump_indented(obj) -> bytes:
    """The standard call's bytes for ``obj``, which may hold :class:`Records` (written in their place)."""
    token = secrets.token_hex(8)
    fragments: list[Records] = []

    def place(value):
        if not isinstance(value, Records):
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        fragments.append(value)
        return f"\x00{token}-{len(fragments) - 1}\x00"

    compact = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=place)
    out = _indent(compact.encode("utf-8"))
    if not fragments:
        return out
    pieces, done = [], 0
    for number, records in enumerate(fragments):
        marker = json.dumps(f"\x00{token}-{number}\x00").encode()
        at = out.index(marker, done)
        line = out[out.rfind(b"\n", 0, at) + 1:at]
        pieces += [out[done:at], records.render(len(line) - len(line.lstrip(b" "))).encode("utf-8")]
        done = at + len(marker)
    pieces.append(out[done:])
    return b"".join(pieces)


def _indent(compact: bytes) -> bytes:
    """Compact JSON indented as ``indent=2`` writes it.

    Outside strings, a non-empty ``[``/``{`` and each ``,`` are followed by a newline and two spaces
    per open level, a non-empty ``]``/``}`` is preceded by one, and ``:`` becomes ``": "``.
    """
    data = np.frombuffer(compact, dtype=np.uint8)
    pos = np.flatnonzero(_JSON_SYNTAX[data])
    chars = data[pos]
    backslash = chars == ord("\\")
    if backslash.any():
        # An escape is a backslash and the byte after it, so a quote after an odd run of
        # backslashes belongs to the string; the backslashes themselves are never structure.
        slashes = pos[backslash]
        run_starts = np.flatnonzero(np.r_[True, np.diff(slashes) != 1])
        run_lengths = np.diff(np.r_[run_starts, len(slashes)])
        escaped = (slashes[run_starts] + run_lengths)[run_lengths % 2 == 1]
        escaped = escaped[data[escaped] == ord('"')]
        keep = ~backslash
        keep[np.searchsorted(pos, escaped)] = False
        pos, chars = pos[keep], chars[keep]
    quote = chars == ord('"')
    outside = (np.cumsum(quote) % 2 == 0) & ~quote
    pos, chars = pos[outside], chars[outside]

    opening = (chars == ord("[")) | (chars == ord("{"))
    closing = (chars == ord("]")) | (chars == ord("}"))
    depth = np.cumsum(opening.astype(np.int64) - closing)  # open levels after each character
    empty = np.zeros(len(chars) + 1, dtype=bool)  # empty[i + 1]: chars i, i + 1 are "[]" or "{}"
    empty[1:-1] = opening[:-1] & closing[1:] & (pos[1:] == pos[:-1] + 1)
    newline_after = (opening & ~empty[1:]) | (chars == ord(","))
    newline_before = closing & ~empty[:-1]
    colon = chars == ord(":")
    width = np.where(newline_after | newline_before, 1 + 2 * depth, colon)
    inserted = width > 0
    at = (pos + ~newline_before)[inserted]  # input offset each insertion goes before
    width, newline = width[inserted], ~colon[inserted]

    # The output alternates runs of input bytes and insertions (spaces, the first a newline).
    runs = np.empty(2 * len(at) + 1, dtype=np.int64)
    runs[0:-1:2] = np.diff(at, prepend=0)
    runs[1::2] = width
    runs[-1] = len(data) - (at[-1] if len(at) else 0)
    is_input = np.zeros(len(runs), dtype=bool)
    is_input[0::2] = True
    out = np.full(len(data) + int(width.sum()), ord(" "), dtype=np.uint8)
    out[np.repeat(is_input, runs)] = data
    out[(at + np.cumsum(width) - width)[newline]] = ord("\n")
    return out.tobytes()
