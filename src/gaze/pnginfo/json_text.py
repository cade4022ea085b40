"""JSON read from an image's text, strictly: what it gives can always be answered as JSON."""

from __future__ import annotations

import json
from typing import Any


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def strict_json(text: str) -> Any:
    """The JSON value of `text`; ValueError for NaN/Infinity, unpaired surrogates (from
    ``\\ud800`` escapes) and nesting too deep to read."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except UnicodeEncodeError:
        raise ValueError("holds unpaired surrogate characters") from None
    return value
