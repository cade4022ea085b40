"""The API calls both clients make: what to send, and how to read the answer."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from gaze.client.errors import GazeApiError
from gaze.client.models import UNSET, Hires, Unset

DEFAULT_URL = "http://127.0.0.1:5782"


def default_url() -> str:
    return os.environ.get("GAZE_URL") or DEFAULT_URL


def default_api_key() -> str | None:
    return os.environ.get("GAZE_API_KEY") or None


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] | None = None
    """Multipart files: field name -> (file name, content, content type)."""


def segment(value: str) -> str:
    """A path segment, escaped."""
    return quote(value, safe="")


def generate_call(
    preset: str,
    *,
    count: int | None = None,
    seed: int | None = None,
    width: int | None = None,
    height: int | None = None,
    checkpoint: str | None = None,
    extra_positive: str | None = None,
    extra_negative: str | None = None,
    webhook_url: str | None = None,
    webhook_events: Sequence[str] | None = None,
    idempotency_key: str | None = None,
    init_image: str | None = None,
    denoise: float | None = None,
    resize: str | None = None,
    mask: str | None = None,
    mask_blur: int | None = None,
    mask_grow: int | None = None,
    hires: Hires | dict[str, Any] | Unset | None = UNSET,
    slots: Mapping[str, Any] | None = None,
) -> Call:
    """`hires=None` sends `"hires": null` (turns a preset's hires pass off); leaving it out
    keeps the preset's. `slots` replaces the preset's slots by category: an id fixes the slot,
    a dict is a full slot, None turns it off."""
    body = generate_body(
        count=count,
        seed=seed,
        width=width,
        height=height,
        checkpoint=checkpoint,
        extra_positive=extra_positive,
        extra_negative=extra_negative,
        webhook_url=webhook_url,
        webhook_events=webhook_events,
        init_image=init_image,
        denoise=denoise,
        resize=resize,
        mask=mask,
        mask_blur=mask_blur,
        mask_grow=mask_grow,
        hires=hires,
        slots=slots,
    )
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return Call("POST", f"/api/v1/generate/{segment(preset)}", json=body, headers=headers)


def generate_body(
    *,
    webhook_events: Sequence[str] | None = None,
    hires: Hires | dict[str, Any] | Unset | None = UNSET,
    slots: Mapping[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The JSON body of generate (and resolve) from the given fields."""
    body = given(**fields)
    if webhook_events is not None:
        body["webhook_events"] = list(webhook_events)
    if not isinstance(hires, Unset):
        body["hires"] = hires.to_json() if isinstance(hires, Hires) else hires
    if slots is not None:
        body["slots"] = dict(slots)
    return body


def compose_call(
    recipe: Mapping[str, Any], *, idempotency_key: str | None = None, **fields: Any
) -> Call:
    """`POST /api/v1/generate` with a recipe (a preset's fields) and generate's fields."""
    body = {"recipe": dict(recipe), **generate_body(**fields)}
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return Call("POST", "/api/v1/generate", json=body, headers=headers)


def resolve_call(preset: str, **fields: Any) -> Call:
    """`POST /api/v1/presets/<slug>/resolve` with generate's fields that change the result."""
    return Call("POST", f"/api/v1/presets/{segment(preset)}/resolve", json=generate_body(**fields))


def resolve_recipe_call(recipe: Mapping[str, Any], **fields: Any) -> Call:
    body = {"recipe": dict(recipe), **generate_body(**fields)}
    return Call("POST", "/api/v1/resolve", json=body)


def save_recipe_call(recipe: Mapping[str, Any], name: str, preset_id: str | None = None) -> Call:
    body = {"recipe": dict(recipe), "name": name, **given(id=preset_id)}
    return Call("POST", "/api/v1/presets/from-recipe", json=body)


def given(**values: Any) -> dict[str, Any]:
    """The values that are not None."""
    return {name: value for name, value in values.items() if value is not None}


def upload_call(source: Path | str | bytes) -> Call:
    """`POST /api/v1/uploads` of an image file (a path) or its bytes; reads the file."""
    if isinstance(source, bytes):
        name, data = "image.png", source
    else:
        name, data = Path(source).name, Path(source).read_bytes()
    files = {"file": (name, data, "application/octet-stream")}
    return Call("POST", "/api/v1/uploads", files=files)


def upscale_call(
    job_id: str,
    *,
    scale: float | None = None,
    upscaler: str | None = None,
    denoise: float | None = None,
) -> Call:
    body = given(scale=scale, upscaler=upscaler, denoise=denoise)
    return Call("POST", f"/api/v1/job/{segment(job_id)}/upscale", json=body)


def vary_call(
    job_id: str,
    *,
    denoise: float | None = None,
    seed: int | None = None,
    count: int | None = None,
) -> Call:
    body = given(denoise=denoise, seed=seed, count=count)
    return Call("POST", f"/api/v1/job/{segment(job_id)}/vary", json=body)


def jobs_call(
    *,
    status: str | Sequence[str] | None = None,
    preset: str | None = None,
    batch_id: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call:
    params: dict[str, Any] = {}
    if status:
        params["status"] = [status] if isinstance(status, str) else list(status)
    for name, value in (("preset", preset), ("batch_id", batch_id), ("limit", limit)):
        if value is not None:
            params[name] = value
    if cursor:
        params["cursor"] = cursor
    return Call("GET", "/api/v1/jobs", params=params)


def events_call(
    *, job: str | None = None, batch: str | None = None, last_event_id: int | None = None
) -> Call:
    params = {name: value for name, value in (("job", job), ("batch", batch)) if value}
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    return Call("GET", "/api/v1/events", params=params, headers=headers)


def answer_json(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a successful answer; GazeApiError for an error answer."""
    if response.status_code >= 400:
        raise api_error(response)
    data = response.json()
    if not isinstance(data, dict):
        raise GazeApiError(response.status_code, "unexpected_answer", "expected a JSON object")
    return data


def api_error(response: httpx.Response) -> GazeApiError:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and "code" in data:
        return GazeApiError(response.status_code, str(data["code"]), str(data.get("error", "")))
    return GazeApiError(response.status_code, "http_error", response.text[:200])


def image_file_name(image_url: str) -> str:
    return image_url.rstrip("/").rsplit("/", 1)[-1]
