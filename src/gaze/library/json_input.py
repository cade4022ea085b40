"""JSON text received from outside (request bodies, uploads, cursors): parsed with clear errors.

Every parse of untrusted JSON in GAZE goes through `load_json`, so that bad syntax, bad UTF-8
and nesting too deep for Python's parser (RecursionError) all end as one `InvalidJson`.
"""

from __future__ import annotations

import json
from typing import Any

from gaze.library.errors import Invalid, TooLarge
from gaze.library.files import MAX_FILE_BYTES


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


def parse_json_document(raw: bytes, *, required: bool = True) -> Any:
    """The JSON value of `raw`. An empty body is Invalid (code ``missing_body``) when
    `required`, else ``{}``; text that is not JSON is Invalid (code ``invalid_json``); more
    than `MAX_FILE_BYTES` (a library file's limit) is TooLarge."""
    if len(raw) > MAX_FILE_BYTES:
        raise TooLarge(f"The body is over {MAX_FILE_BYTES} bytes.")
    if not raw.strip():
        if required:
            raise Invalid(["(body): send a JSON document"], code="missing_body")
        return {}
    try:
        return load_json(raw)
    except InvalidJson as error:
        raise Invalid([f"(body): not valid JSON: {error}"], code="invalid_json") from None
