"""Library documents received as JSON (request bodies, folder files): size-bounded, parsed
with clear errors."""

from __future__ import annotations

from typing import Any

from gaze.outside_json import InvalidJson, load_json
from gaze.service_errors import Invalid, TooLarge

MAX_FILE_BYTES = 4 * 1024 * 1024
"""The largest library document, as a request body or as a file of a library folder."""


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
