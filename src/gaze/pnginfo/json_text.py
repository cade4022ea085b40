"""JSON read from an image's text, strictly: what it gives can always be answered as JSON."""

from __future__ import annotations

import json
import math
from typing import Any


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


MAX_INTEGER_DIGITS = 40
"""Longer than any seed (2**64 has 20 digits): a longer integer is refused, not turned into an
infinite float later."""


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"an integer of {len(digits)} digits")
    return int(digits)


def _finite(digits: str) -> float:
    number = float(digits)
    if not math.isfinite(number):
        raise ValueError(f"{digits[:20]} is too large a number")
    return number


def strict_json(text: str) -> Any:
    """The JSON value of `text`; ValueError for NaN/Infinity, integers over
    `MAX_INTEGER_DIGITS` digits, floats too large to be finite, unpaired surrogates
    (``\\ud800`` escapes) and nesting too deep to read."""
    try:
        value = json.loads(
            text,
            parse_constant=_no_constant,
            parse_int=_integer,
            parse_float=_finite,
        )
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except UnicodeEncodeError:
        raise ValueError("holds unpaired surrogate characters") from None
    return value
