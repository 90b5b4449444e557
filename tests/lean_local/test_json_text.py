"""The result files' JSON writer: the standard ``json.dumps(indent=2)`` bytes, written fast."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from lean_local.json_text import Column, Records, dump_indented, json_floats, json_ints, json_strings


def _indent2(obj) -> bytes:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")


# Strings mostly of JSON's own syntax and escapes, which the indentation must leave alone.
_TEXT = hs.text(alphabet='"\\[]{}:, \n\x1fé𝄞a', max_size=8)
_JSON = hs.recursive(
    hs.none() | hs.booleans() | hs.integers() | hs.floats(allow_nan=False, allow_infinity=False) | _TEXT,
    lambda inner: hs.lists(inner, max_size=4) | hs.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_dump_writes_the_bytes_of_json_dumps_indent_2(obj):
    assert dump_indented(obj) == _indent2(obj)


def test_dump_keeps_string_syntax_inside_strings():
    for obj in ['a\\"b', {'k\\': ['\\\\"', "[]{}:,", "\u00e9\x1f", [], {}]}, [[[]], {"": {}}], 1.5, "\\"]:
        assert dump_indented(obj) == _indent2(obj)


@settings(max_examples=100, deadline=None)
@given(hs.lists(hs.tuples(_TEXT, hs.integers(), hs.floats(allow_nan=False, allow_infinity=False),
                          hs.none() | _TEXT), max_size=4), _JSON)
def test_records_write_the_bytes_of_json_dumps_indent_2(rows, outer):
    """Records of one shape, as an array and as an object, nested in other JSON: the standard bytes."""
    shape = {"name": Column("name"), "n%s": [Column("n"), {}], "inner": {"x": Column("x"), "none": None},
             "tag": Column("tag"), "k": "%d"}

    def dicts(name, n, x, tag):
        return {"name": name, "n%s": [n, {}], "inner": {"x": x, "none": None}, "tag": tag, "k": "%d"}

    names, ns, xs, tags = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [], [])
    columns = {"name": json_strings(names), "n": json_ints(ns), "x": json_floats(xs), "tag": json_strings(tags)}
    keys = [f"k{i}" for i in range(len(rows))]
    as_list = [dicts(*row) for row in rows]
    as_object = dict(zip(keys, as_list, strict=True))
    assert dump_indented(Records(shape, columns)) == _indent2(as_list)
    doc = {"a": outer, "records": [Records(shape, columns, keys), {"b": Records(shape, columns)}]}
    assert dump_indented(doc) == _indent2({"a": outer, "records": [as_object, {"b": as_list}]})


def test_json_floats_refuse_what_json_refuses():
    assert json_floats([1, 0.1, -2.5e-9]) == ["1.0", "0.1", "-2.5e-09"]
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        json_floats([1.0, float("nan")])
