"""Apply a job's LoRAs to a loaded pipeline with diffusers' own LoRA loader (needs ``peft``).

diffusers reads the files people download and converts them itself: kohya / A1111 / ComfyUI
naming (``lora_unet_*``, ``lora_te_*``, ``lora_te1_*`` / ``lora_te2_*``, with ``.alpha``) and
diffusers / peft naming (``unet.*.lora_A.weight``, ``*.lora.down.weight``). Each file becomes one
named adapter on the pipeline, loaded once and kept while the checkpoint stays loaded (up to
``keep`` idle adapters, least recently used dropped first); every job then activates exactly its
own adapters with its weights (``model_weight`` for the UNet, ``clip_weight`` for the text
encoders), and a job without LoRAs runs with all of them disabled. Nothing is fused into the
checkpoint's weights, so swapping LoRAs never reloads the checkpoint.

A LoRA made for another base model (an SD1.x LoRA on an SDXL checkpoint...) fails the job with
:class:`LoraDoesNotFit`, found three ways: its cross-attention layers read text embeddings of
another width than the checkpoint's UNet; diffusers / peft refuse it (no matching layer, shape
mismatch); or fewer of its layers were adapted than the file holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaze.engines.base import EngineError
from gaze.engines.local.checkpoint_config import read_tensor_shapes
from gaze.generation_spec import LoraSpec

DEFAULT_KEPT_ADAPTERS = 8
"""Loaded LoRA adapters kept per checkpoint for later jobs (beyond the running job's own)."""

LORA_DOWN_SUFFIXES = (
    ".lora_down.weight",  # kohya / A1111
    ".lora_A.weight",  # peft
    ".lora.down.weight",  # diffusers (older training scripts)
    "_lora.down.weight",  # diffusers attention processors (``to_q_lora``)
    ".lora_linear_layer.down.weight",  # diffusers text encoders
)
BASE_MODEL_BY_CONTEXT_WIDTH = {768: "SD1.x", 1024: "SD2.x", 2048: "SDXL"}
"""Text embedding width a UNet's cross-attention reads, by base model."""
_CROSS_ATTENTION_KEY = re.compile(r"attn2[._](?:processor[._])?to_[kv](?:_lora)?[._]")
FileIdentity = tuple[str, int, int]


class LoraDoesNotFit(EngineError):
    """The LoRA was made for another base model than the checkpoint's."""


@dataclass(frozen=True)
class ResolvedLora:
    """A LoRA of a spec with its file on disk."""

    spec: LoraSpec
    path: Path


@dataclass
class LoraState:
    """The adapters loaded into one pipeline: file identity -> adapter name, oldest use first."""

    adapters: OrderedDict[FileIdentity, str] = field(default_factory=OrderedDict)
    active: bool = False


def peft_available() -> bool:
    return importlib.util.find_spec("peft") is not None


def _file_identity(path: Path) -> FileIdentity:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _adapter_name(identity: FileIdentity) -> str:
    digest = hashlib.sha256(repr(identity).encode("utf-8")).hexdigest()[:16]
    return f"lora_{digest}"


def _text_encoder_names(pipeline: Any) -> list[str]:
    return [name for name in ("text_encoder", "text_encoder_2") if getattr(pipeline, name, None)]


def lora_layer_count(shapes: Mapping[str, tuple[int, ...]]) -> int:
    """How many adapted layers (down / up pairs) a LoRA file holds."""
    return sum(1 for name in shapes if name.endswith(LORA_DOWN_SUFFIXES))


def lora_context_width(shapes: Mapping[str, tuple[int, ...]]) -> int | None:
    """The text embedding width the LoRA's cross-attention ``to_k`` / ``to_v`` layers read."""
    widths = {
        shape[1]
        for name, shape in shapes.items()
        if name.endswith(LORA_DOWN_SUFFIXES)
        and len(shape) >= 2
        and _CROSS_ATTENTION_KEY.search(name)
        and not name.startswith(("lora_te", "text_encoder"))
    }
    return widths.pop() if len(widths) == 1 else None


def _base_model(width: int | None) -> str:
    return BASE_MODEL_BY_CONTEXT_WIDTH.get(width or 0, "another base model")


def adapted_layer_count(pipeline: Any, adapter: str) -> int:
    """How many layers of the pipeline carry ``adapter``."""
    return sum(
        1
        for name in ("unet", "text_encoder", "text_encoder_2")
        if getattr(pipeline, name, None) is not None
        for module in getattr(pipeline, name).modules()
        if adapter in getattr(module, "lora_A", {})
    )


def check_lora_fits(pipeline: Any, lora: ResolvedLora, checkpoint: str) -> int:
    """Refuse a LoRA whose file shows it was made for another base model; its layer count."""
    shapes = read_tensor_shapes(lora.path)
    layers = lora_layer_count(shapes)
    if not layers:
        raise EngineError(
            f"LoRA {lora.spec.name} holds no LoRA layers (lora_down / lora_up or lora_A / "
            "lora_B); other LyCORIS types (LoHa, LoKr) are not supported"
        )
    width = lora_context_width(shapes)
    expected = int(pipeline.unet.config.cross_attention_dim)
    if width is not None and width != expected:
        raise LoraDoesNotFit(
            f"LoRA {lora.spec.name} does not fit checkpoint {checkpoint}: it was made for "
            f"{_base_model(width)} (text width {width}), the checkpoint is "
            f"{_base_model(expected)} (text width {expected})"
        )
    return layers


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' per-component load reports and progress bars while an adapter loads.

    Each report lists the *other* adapters' weights as "missing"; what matters is checked here.
    """
    from transformers.utils import logging as transformers_logging

    verbosity = transformers_logging.get_verbosity()
    progress = transformers_logging.is_progress_bar_enabled()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(verbosity)
        if progress:
            transformers_logging.enable_progress_bar()


def _load_adapter(pipeline: Any, lora: ResolvedLora, name: str, checkpoint: str) -> None:
    layers = check_lora_fits(pipeline, lora, checkpoint)
    try:
        with _quiet_transformers():
            pipeline.load_lora_weights(
                str(lora.path.parent), weight_name=lora.path.name, adapter_name=name
            )
    except Exception as error:  # any failure inside diffusers / peft
        _forget_adapter(pipeline, name)
        message = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        if "size mismatch" in str(error) or "not found in the base model" in str(error):
            raise LoraDoesNotFit(
                f"LoRA {lora.spec.name} does not fit checkpoint {checkpoint}: its layers do not "
                f"match the checkpoint's ({message})"
            ) from error
        raise EngineError(f"could not load LoRA {lora.spec.name}: {message}") from error
    adapted = adapted_layer_count(pipeline, name)
    if adapted < layers:
        _forget_adapter(pipeline, name)
        raise LoraDoesNotFit(
            f"LoRA {lora.spec.name} does not fit checkpoint {checkpoint}: only {adapted} of its "
            f"{layers} layers exist in the checkpoint"
        )


def apply_loras(
    pipeline: Any,
    state: LoraState,
    loras: list[ResolvedLora],
    checkpoint: str,
    keep: int = DEFAULT_KEPT_ADAPTERS,
) -> None:
    """Make exactly ``loras`` active on ``pipeline`` (loading new files as adapters).

    ``checkpoint`` names the checkpoint in error messages; at most ``keep`` adapters beyond the
    job's own stay loaded.
    """
    if not loras:
        if state.active:
            pipeline.disable_lora()
            state.active = False
        _drop_idle_adapters(pipeline, state, set(), keep)
        return
    if not peft_available():
        raise EngineError("LoRAs need the 'peft' package, which is not installed on this server")
    identities = [_file_identity(lora.path) for lora in loras]
    if len(set(identities)) != len(identities):
        raise EngineError("the same LoRA file is listed twice")
    names: list[str] = []
    weights: list[dict[str, float]] = []
    for lora, identity in zip(loras, identities, strict=True):
        name = state.adapters.get(identity)
        if name is None:
            name = _adapter_name(identity)
            state.active = True  # a new adapter starts out active, even a half-loaded one
            _load_adapter(pipeline, lora, name, checkpoint)
            state.adapters[identity] = name
        state.adapters.move_to_end(identity)
        names.append(name)
        component_weights = {"unet": lora.spec.model_weight}
        for encoder in _text_encoder_names(pipeline):
            component_weights[encoder] = lora.spec.clip_weight
        weights.append(component_weights)
    state.active = True
    try:
        pipeline.enable_lora()
        pipeline.set_adapters(names, adapter_weights=weights)
    except Exception as error:  # any failure inside diffusers / peft
        raise EngineError(f"could not apply LoRAs: {error}") from error
    _drop_idle_adapters(pipeline, state, set(names), keep)


def _drop_idle_adapters(pipeline: Any, state: LoraState, in_use: set[str], keep: int) -> None:
    """Delete the least recently used adapters not in use beyond ``keep`` idle ones."""
    idle = [identity for identity, name in state.adapters.items() if name not in in_use]
    for identity in idle[: max(0, len(idle) - keep)]:
        name = state.adapters.pop(identity)
        try:
            pipeline.delete_adapters(name)
        except Exception as error:  # any failure inside diffusers / peft
            raise EngineError(f"could not unload LoRA adapter {name}: {error}") from error


def loaded_adapter_names(pipeline: Any) -> set[str]:
    """Adapters present on any component of the pipeline."""
    return {name for names in pipeline.get_list_adapters().values() for name in names}


def _forget_adapter(pipeline: Any, name: str) -> None:
    """Remove whatever part of a failed adapter got injected (best effort)."""
    try:
        if name in loaded_adapter_names(pipeline):
            pipeline.delete_adapters(name)
    except Exception:  # the original loading error is the one worth reporting
        return
