"""The generate request's second-pass options: the init image (img2img) with its denoise and
resize, the inpainting mask with its blur and grow, and the hires pass.

Their shapes and ranges are checked here, for the API and the web UI alike; whether the paths
name images GAZE can use is checked when the job is submitted (`gaze.generation.sources`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from gaze.generation_spec import RESIZE_MODES, HiresSpec
from gaze.library.fields import describe_errors
from gaze.media.source_images import media_path_problem
from gaze.presets.resolve import FROM_PRESET, PresetDefault
from gaze.presets.schema import HiresSettings
from gaze.service_errors import ServiceError

IMAGE_FIELDS = ("init_image", "denoise", "resize", "mask", "mask_blur", "mask_grow", "hires")
MAX_MASK_PIXELS = 128
"""The largest mask_blur and mask_grow, in pixels."""


class InvalidImageOptions(ServiceError):
    """An init image, mask or hires option that is unusable; `code` names the field."""


@dataclass(frozen=True)
class ImageOptions:
    init_image: str | None = None
    """A path relative to the media folder: an upload (``inputs/...``) or a gallery image."""
    denoise: float | None = None
    """None: DEFAULT_IMG2IMG_DENOISE with an init image."""
    resize: str | None = None
    mask: str | None = None
    mask_blur: int | None = None
    mask_grow: int | None = None
    hires: HiresSpec | PresetDefault | None = FROM_PRESET
    """A hires pass, None to turn the preset's off, FROM_PRESET to keep the preset's."""


def _blank(value: Any, from_form: bool) -> bool:
    return value is None or (from_form and isinstance(value, str) and not value.strip())


def _path(name: str, value: Any, from_form: bool) -> str | None:
    if _blank(value, from_form):
        return None
    if not isinstance(value, str):
        raise InvalidImageOptions(f"{name} must be a string path", code=f"invalid_{name}")
    path = value.strip() if from_form else value
    problem = media_path_problem(path)
    if problem:
        raise InvalidImageOptions(f"{name} {problem}", code=f"invalid_{name}")
    return path


def _number(name: str, value: Any, from_form: bool) -> float | None:
    if _blank(value, from_form):
        return None
    if from_form and isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidImageOptions(
                f"{name} must be a number, got {value.strip()[:30]!r}", code=f"invalid_{name}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidImageOptions(f"{name} must be a number", code=f"invalid_{name}")
    return float(value)


def _denoise(value: Any, from_form: bool) -> float | None:
    denoise = _number("denoise", value, from_form)
    if denoise is not None and not 0.0 <= denoise <= 1.0:
        raise InvalidImageOptions(
            f"denoise must be a number from 0 to 1, got {denoise:g}", code="invalid_denoise"
        )
    return denoise


def _pixels(name: str, value: Any, from_form: bool) -> int | None:
    number = _number(name, value, from_form)
    if number is None:
        return None
    if not number.is_integer() or not 0 <= number <= MAX_MASK_PIXELS:
        raise InvalidImageOptions(
            f"{name} must be a whole number of pixels from 0 to {MAX_MASK_PIXELS}, got {number:g}",
            code=f"invalid_{name}",
        )
    return int(number)


def _resize(value: Any, from_form: bool) -> str | None:
    if _blank(value, from_form):
        return None
    if value not in RESIZE_MODES:
        raise InvalidImageOptions(
            f"resize must be one of {', '.join(RESIZE_MODES)}, got {str(value)[:30]!r}",
            code="invalid_resize",
        )
    return str(value)


def parse_hires(value: Any, prefix: str = "hires.", code: str = "invalid_hires") -> HiresSpec:
    """A hires pass from its JSON object; InvalidImageOptions names each bad field (as
    ``<prefix><field>``)."""
    if not isinstance(value, Mapping):
        raise InvalidImageOptions(
            'hires must be an object such as {"scale": 1.5, "denoise": 0.5}, or null for none',
            code=code,
        )
    try:
        settings = HiresSettings.model_validate(dict(value))
    except ValidationError as error:
        problems = "; ".join(f"{prefix}{line}" for line in describe_errors(error))
        raise InvalidImageOptions(problems, code=code) from None
    return settings.to_spec()


def _hires(values: Mapping[str, Any]) -> HiresSpec | PresetDefault | None:
    if "hires" not in values:
        return FROM_PRESET
    if values["hires"] is None:
        return None
    return parse_hires(values["hires"])


def parse_image_options(values: Mapping[str, Any], *, from_form: bool = False) -> ImageOptions:
    """The second-pass options of a generate request (see the module docstring)."""
    options = ImageOptions(
        init_image=_path("init_image", values.get("init_image"), from_form),
        denoise=_denoise(values.get("denoise"), from_form),
        resize=_resize(values.get("resize"), from_form),
        mask=_path("mask", values.get("mask"), from_form),
        mask_blur=_pixels("mask_blur", values.get("mask_blur"), from_form),
        mask_grow=_pixels("mask_grow", values.get("mask_grow"), from_form),
        hires=_hires(values),
    )
    if options.init_image is None:
        for name in ("mask", "denoise", "resize"):
            if getattr(options, name) is not None:
                raise InvalidImageOptions(
                    f"{name} needs an init_image", code=f"{name}_without_init_image"
                )
    if options.mask is None:
        for name in ("mask_blur", "mask_grow"):
            if getattr(options, name) is not None:
                raise InvalidImageOptions(f"{name} needs a mask", code=f"{name}_without_mask")
    return options
