"""JSON text received from outside (request bodies, uploads, cursors): parsed with clear errors.

Every parse of untrusted JSON in GAZE goes through `load_json`, so that bad syntax, bad UTF-8
and nesting too deep for Python's parser (RecursionError) all end as one `InvalidJson`.
"""

from __future__ import annotations

import json
from typing import Any


class InvalidJson(ValueError):
    """The text is not JSON GAZE can read; the message says why."""


def load_json(raw: bytes | str) -> Any:
    """`json.loads`, failing only with InvalidJson (a ValueError)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise InvalidJson("it nests arrays or objects too deeply") from None
    except UnicodeDecodeError as error:
        raise InvalidJson(f"it is not UTF-8 text ({error.reason})") from None
    except ValueError as error:
        raise InvalidJson(str(error)) from None
