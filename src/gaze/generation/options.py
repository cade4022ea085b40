"""The options of one generate request, checked once for every caller: the REST API's JSON
body, the UI's generate panel (JSON or form fields) and resource previews.

`parse_generation_options` checks shapes and limits (count, seed range, size, checkpoint
path, extra prompt text, webhook, and the init image, mask and hires options of
`gaze.generation.image_options`, and the slot overrides of `gaze.presets.slot_overrides`);
the submit service checks what needs the database, the media
folder and the backends (the preset resolves, the checkpoint exists, the init image is an image).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from gaze.events.types import EVENT_TYPES
from gaze.generation.image_options import IMAGE_FIELDS, ImageOptions, parse_image_options
from gaze.generation_spec import seed_problem
from gaze.library.text_rules import MAX_PATH_LENGTH, prompt_problem, surrogate_problem
from gaze.presets.schema import Slot
from gaze.presets.slot_overrides import parse_slot_overrides
from gaze.service_errors import ServiceError
from gaze.webhooks.url_policy import MAX_URL_LENGTH

MAX_COUNT = 20
MIN_SIZE, MAX_SIZE, SIZE_STEP = 64, 4096, 8

FIELDS = (
    "count",
    "checkpoint",
    "extra_positive",
    "extra_negative",
    "seed",
    "width",
    "height",
    "webhook_url",
    "webhook_events",
    "slots",
    "priority",
    *IMAGE_FIELDS,
)
PRIORITY_VALUES = ("normal", "high")


class InvalidOptions(ServiceError):
    """A generate request whose options are unusable; `code` names the field's problem."""


@dataclass(frozen=True)
class GenerationOptions:
    count: int = 1
    seed: int | None = None
    checkpoint: str | None = None
    extra_positive: str = ""
    extra_negative: str = ""
    width: int | None = None
    height: int | None = None
    webhook_url: str | None = None
    webhook_events: tuple[str, ...] | None = None
    images: ImageOptions = field(default_factory=ImageOptions)
    """The init image, mask and hires pass."""
    slots: Mapping[str, Slot] = field(default_factory=dict)
    """Slots replacing the preset's, by category (`gaze.presets.slot_overrides`)."""
    priority: str = "normal"
    """`high` runs before every normal pending job, for keys allowed it (gaze.jobs.fair_queue)."""

    def seeds(self) -> list[int] | None:
        """The seed of each image when the request fixed the first one; None: random."""
        if self.seed is None:
            return None
        return [self.seed + index for index in range(self.count)]


def _shown(value: Any) -> str:
    try:
        return json.dumps(value)[:40]
    except (TypeError, ValueError):
        return repr(value)[:40]


def _integer(name: str, value: Any, code: str, from_form: bool) -> int | None:
    """An integer field; from a form, text of digits counts and blank means not given."""
    if value is None:
        return None
    if from_form and isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.isascii() and text.isdigit():
            return int(text)
        raise InvalidOptions(f"{name} must be a whole number, got {text[:30]!r}", code=code)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidOptions(f"{name} must be an integer, got {_shown(value)}", code=code)


def _count(value: Any, from_form: bool) -> int:
    count = _integer("count", value, "invalid_count", from_form)
    if count is None:
        return 1
    if not 1 <= count <= MAX_COUNT:
        raise InvalidOptions(
            f"count must be an integer from 1 to {MAX_COUNT}, got {count}", code="invalid_count"
        )
    return count


def _seed(value: Any, count: int, from_form: bool) -> int | None:
    seed = _integer("seed", value, "invalid_seed", from_form)
    if seed is None:
        return None
    problem = seed_problem(seed, count)
    if problem:
        raise InvalidOptions(f"seed {problem}", code="invalid_seed")
    return seed


def _size(values: Mapping[str, Any], from_form: bool) -> tuple[int | None, int | None]:
    width = _integer("width", values.get("width"), "invalid_size", from_form)
    height = _integer("height", values.get("height"), "invalid_size", from_form)
    if (width is None) != (height is None):
        raise InvalidOptions(
            "width and height must be given together (or neither of them)", code="invalid_size"
        )
    for name, side in (("width", width), ("height", height)):
        if side is not None and (not MIN_SIZE <= side <= MAX_SIZE or side % SIZE_STEP):
            raise InvalidOptions(
                f"{name} must be an integer multiple of {SIZE_STEP} from {MIN_SIZE} to "
                f"{MAX_SIZE}, got {side}",
                code="invalid_size",
            )
    return width, height


def _extra_prompt(name: str, value: Any, from_form: bool) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidOptions(f"{name} must be a string", code="invalid_extra_prompt")
    problem = prompt_problem(value)
    if problem:
        raise InvalidOptions(f"{name} {problem}", code="invalid_extra_prompt")
    return value.strip() if from_form else value


def checkpoint_path_problem(value: str) -> str | None:
    """Why a checkpoint path is not a safe relative path, or None when it is."""
    if not value.strip():
        return "checkpoint must not be empty"
    if len(value) > MAX_PATH_LENGTH:
        return f"checkpoint is longer than {MAX_PATH_LENGTH} characters"
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute():
        return f"checkpoint must be a path relative to the checkpoints folder, got {value!r}"
    if ".." in PurePosixPath(value.replace("\\", "/")).parts:
        return f"checkpoint must not contain '..', got {value!r}"
    if "\x00" in value:
        return "checkpoint must not contain NUL characters"
    problem = surrogate_problem(value)
    if problem:
        return f"checkpoint {problem}"
    return None


def _checkpoint(value: Any, from_form: bool) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidOptions("checkpoint must be a string", code="invalid_checkpoint")
    if from_form:
        value = value.strip()
        if not value:
            return None
    problem = checkpoint_path_problem(value)
    if problem:
        raise InvalidOptions(problem, code="invalid_checkpoint")
    return value


def _webhook_events(events: Any) -> tuple[str, ...]:
    if (
        not isinstance(events, list)
        or not events
        or not all(isinstance(event, str) for event in events)
    ):
        raise InvalidOptions(
            "webhook_events must be a non-empty list of event names",
            code="invalid_webhook_events",
        )
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidOptions(
            f"unknown webhook event(s): {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}",
            code="invalid_webhook_events",
        )
    if len(set(events)) != len(events):
        raise InvalidOptions("webhook_events lists an event twice", code="invalid_webhook_events")
    return tuple(events)


def _webhook(values: Mapping[str, Any]) -> dict[str, Any]:
    url, events = values.get("webhook_url"), values.get("webhook_events")
    if url is None:
        if events is not None:
            raise InvalidOptions(
                "webhook_events needs a webhook_url", code="invalid_webhook_events"
            )
        return {}
    if not isinstance(url, str):
        raise InvalidOptions("webhook_url must be a string", code="invalid_webhook_url")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidOptions(
            f"webhook_url is longer than {MAX_URL_LENGTH} characters", code="invalid_webhook_url"
        )
    problem = surrogate_problem(url)
    if problem:
        raise InvalidOptions(f"webhook_url {problem}", code="invalid_webhook_url")
    found: dict[str, Any] = {"webhook_url": url}
    if events is not None:
        found["webhook_events"] = _webhook_events(events)
    return found


def parse_generation_options(
    values: Mapping[str, Any], *, from_form: bool = False, strict: bool = True
) -> GenerationOptions:
    """Check a request's options. `from_form`: values may be text (``"4"``), blank means
    not given, text is trimmed. `strict`: a field other than FIELDS is refused (the API);
    pages ignore the other fields a form carries."""
    if strict:
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise InvalidOptions(
                f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(FIELDS)}",
                code="unknown_field",
            )
    if not from_form and "count" in values and values["count"] is None:
        raise InvalidOptions("count must be an integer, got null", code="invalid_count")
    count = _count(values.get("count"), from_form)
    width, height = _size(values, from_form)
    return GenerationOptions(
        count=count,
        seed=_seed(values.get("seed"), count, from_form),
        checkpoint=_checkpoint(values.get("checkpoint"), from_form),
        extra_positive=_extra_prompt("extra_positive", values.get("extra_positive"), from_form),
        extra_negative=_extra_prompt("extra_negative", values.get("extra_negative"), from_form),
        width=width,
        height=height,
        **_webhook(values),
        images=parse_image_options(values, from_form=from_form),
        slots=_slots(values.get("slots"), from_form),
        priority=_priority(values.get("priority"), from_form),
    )


def _priority(value: Any, from_form: bool) -> str:
    if value is None or (from_form and isinstance(value, str) and not value.strip()):
        return "normal"
    text = value.strip() if from_form and isinstance(value, str) else value
    if text not in PRIORITY_VALUES:
        raise InvalidOptions(
            f'priority must be "normal" or "high", got {_shown(value)}',
            code="invalid_priority",
        )
    return str(text)


def _slots(value: Any, from_form: bool) -> dict[str, Slot]:
    """Slot overrides (JSON only: a form has no slots field)."""
    if value is None or from_form:
        return {}
    return parse_slot_overrides(value)
