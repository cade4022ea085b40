"""A library file's JSON document, read strictly: UTF-8 (a BOM allowed), one object, no key
twice, no NaN or Infinity; `DocumentError` says what is wrong."""

from __future__ import annotations

import json
from typing import Any


class DocumentError(Exception):
    """Why a file is not a library document."""


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise DocumentError(f"invalid JSON: the key {key!r} appears twice in one object")
        document[key] = value
    return document


def _reject_constant(name: str) -> Any:
    raise DocumentError(f"invalid JSON: {name} is not a JSON number")


def parse_document(data: bytes) -> dict[str, Any]:
    """The JSON object in `data`; DocumentError when it is not one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DocumentError(f"not UTF-8 text (byte {error.start})") from None
    try:
        document = json.loads(
            text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as error:
        raise DocumentError(
            f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise DocumentError("invalid JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise DocumentError(f"expected a JSON object, found {type(document).__name__}")
    return document
