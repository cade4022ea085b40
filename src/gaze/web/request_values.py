"""The values a state-changing request sends, whether as a form or as JSON from a script."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from gaze.outside_json import InvalidJson, load_json


async def request_values(request: Request) -> dict[str, Any]:
    """The JSON object, or the form fields, of the request ({} for anything else)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = load_json(await request.body())
        except InvalidJson:
            return {}
        return body if isinstance(body, dict) else {}
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return {key: value for key, value in form.items()}
    return {}


async def form_lists(request: Request) -> dict[str, list[str]]:
    """Every text field of the form, each with all its values (file uploads left out)."""
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


def truthy(value: Any) -> bool | None:
    """A flag from JSON (true/false) or a form ("1"/"0", "on"); None when absent or blank."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "on", "yes")
