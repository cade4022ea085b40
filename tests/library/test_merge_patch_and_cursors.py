"""JSON merge patches (RFC 7396's own examples), list cursors and list filters."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaze.library.listing import decode_cursor, encode_cursor, list_filter, tag_filter_from
from gaze.library.merge_patch import apply_merge_patch
from gaze.service_errors import Invalid


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_the_rfc_7396_examples(target: Any, patch: Any, result: Any) -> None:
    assert apply_merge_patch(target, patch) == result


def test_a_merge_patch_changes_neither_argument() -> None:
    target = {"a": {"b": 1}}
    patch = {"a": {"c": 2}}
    apply_merge_patch(target, patch)
    assert target == {"a": {"b": 1}} and patch == {"a": {"c": 2}}


@given(
    st.booleans(),
    st.text(max_size=40),
    st.text(max_size=40),
    st.one_of(st.none(), st.text(max_size=10)),
)
def test_cursors_round_trip(favourite: bool, name: str, item_id: str, extra: str | None) -> None:
    key = (favourite, name, item_id) if extra is None else (favourite, name, item_id, extra)
    cursor = encode_cursor(key)
    assert cursor.isascii() and "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor) == key


@pytest.mark.parametrize(
    "cursor", ["", "!!!", "e30", "WzEsMiwzXQ", "WyJhIiwiYiIsImMiXQ", "W3RydWUsImEiLCJiIl0"]
)
def test_foreign_cursors_are_invalid(cursor: str) -> None:
    with pytest.raises(Invalid) as refused:
        decode_cursor(cursor)
    assert refused.value.code == "invalid_cursor"
    assert "cursor: " in refused.value.message


def test_tag_filters_parse_key_value_pairs() -> None:
    assert tag_filter_from(["kind:casual", " mood : calm ", "url:http://x"]) == {
        "kind": "casual",
        "mood": "calm",
        "url": "http://x",
    }
    with pytest.raises(Invalid) as refused:
        tag_filter_from(["kind", "a:", ":b", "kind2:x", "kind2:y"])
    assert refused.value.problems == [
        "tag: 'kind' is not key:value",
        "tag: 'a:' is not key:value",
        "tag: ':b' is not key:value",
        "tag: the key 'kind2' is given twice",
    ]


def test_list_filters_check_every_parameter() -> None:
    assert list_filter(q="  aria  ", limit=None).q == "aria"
    assert list_filter(q="   ").q is None
    with pytest.raises(Invalid) as refused:
        list_filter(q="x" * 201, limit=0, tags={"k": " "})
    assert len(refused.value.problems) == 3
    for limit in (True, 201, -1, 2.5):
        with pytest.raises(Invalid):
            list_filter(limit=limit)  # type: ignore[arg-type]
