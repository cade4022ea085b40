"""Read a job's LoRA files with diffusers' own LoRA loader (needs ``peft``) and fuse them.

diffusers reads the files people download and converts them itself: kohya / A1111 / ComfyUI
naming (``lora_unet_*``, ``lora_te_*``, ``lora_te1_*`` / ``lora_te2_*``, with ``.alpha``) and
diffusers / peft naming (``unet.*.lora_A.weight``, ``*.lora.down.weight``). A file is loaded once
as a peft adapter, only to learn where each of its layers lands and with what scale: its down /
up matrices are kept (:class:`LoraFactors`, up to ``keep`` idle files per checkpoint, least
recently used dropped first) and the adapter is unloaded at once, so no LoRA layer runs beside
the model. The job's set is then fused into the weights (:mod:`lora_fusing`): a next job with
the same files and strengths reuses the fused weights as they are, one with another set (or none)
gets the checkpoint's own weights back, exactly, before its own set is fused. Swapping LoRAs
never reloads the checkpoint.

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
from gaze.engines.local.lora_fusing import (
    FileIdentity,
    FusedWeights,
    LoraFactors,
    LoraLayerFactors,
    LoraLayerMismatch,
    WeightedLora,
    fused_set,
    layer_factors,
)
from gaze.generation_spec import LoraSpec

DEFAULT_KEPT_LORAS = 8
"""LoRA files kept read per checkpoint for later jobs (beyond the running job's own)."""

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


class LoraDoesNotFit(EngineError):
    """The LoRA was made for another base model than the checkpoint's."""


@dataclass(frozen=True)
class ResolvedLora:
    """A LoRA of a spec with its file on disk."""

    spec: LoraSpec
    path: Path


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

    Their reports list weights as "missing" that are not; what matters is checked here.
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


def _read_adapter(pipeline: Any, lora: ResolvedLora, name: str, checkpoint: str) -> None:
    """Load ``lora`` as the peft adapter ``name`` after checking it fits the checkpoint."""
    layers = check_lora_fits(pipeline, lora, checkpoint)
    try:
        with _quiet_transformers():
            pipeline.load_lora_weights(
                str(lora.path.parent), weight_name=lora.path.name, adapter_name=name
            )
    except Exception as error:  # any failure inside diffusers / peft
        message = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        if "size mismatch" in str(error) or "not found in the base model" in str(error):
            raise LoraDoesNotFit(
                f"LoRA {lora.spec.name} does not fit checkpoint {checkpoint}: its layers do not "
                f"match the checkpoint's ({message})"
            ) from error
        raise EngineError(f"could not load LoRA {lora.spec.name}: {message}") from error
    adapted = adapted_layer_count(pipeline, name)
    if adapted < layers:
        raise LoraDoesNotFit(
            f"LoRA {lora.spec.name} does not fit checkpoint {checkpoint}: only {adapted} of its "
            f"{layers} layers exist in the checkpoint"
        )


def _adapter_factors(pipeline: Any, lora: ResolvedLora, name: str) -> list[LoraLayerFactors]:
    """The down / up matrices and scale of every layer the adapter ``name`` adapts."""
    factors: list[LoraLayerFactors] = []
    for component in ("unet", "text_encoder", "text_encoder_2"):
        model = getattr(pipeline, component, None)
        if model is None:
            continue
        for module_name, module in model.named_modules():
            if name in getattr(module, "lora_embedding_A", {}):
                raise EngineError(
                    f"LoRA {lora.spec.name} adapts the token embeddings, which is not supported"
                )
            if name not in getattr(module, "lora_A", {}):
                continue
            if module.use_dora.get(name) or module.lora_bias.get(name):
                raise EngineError(
                    f"LoRA {lora.spec.name} is a DoRA or carries biases, which is not supported"
                )
            try:
                factors.append(
                    layer_factors(
                        component,
                        module_name,
                        module.get_base_layer().weight,
                        module.lora_A[name].weight,
                        module.lora_B[name].weight,
                        module.scaling[name],
                    )
                )
            except LoraLayerMismatch as error:
                raise EngineError(f"LoRA {lora.spec.name} cannot be applied: {error}") from error
    return factors


def read_lora_factors(
    pipeline: Any, lora: ResolvedLora, identity: FileIdentity, checkpoint: str
) -> LoraFactors:
    """``lora``'s layers as loaded onto ``pipeline`` (checked to fit it); no adapter stays on the
    pipeline, whether it fits or not."""
    if not peft_available():
        raise EngineError("LoRAs need the 'peft' package, which is not installed on this server")
    name = _adapter_name(identity)
    try:
        _read_adapter(pipeline, lora, name, checkpoint)
        return LoraFactors(identity, tuple(_adapter_factors(pipeline, lora, name)))
    finally:
        _unload_adapters(pipeline)


def _unload_adapters(pipeline: Any) -> None:
    """Take every peft layer off the pipeline (the modules they wrapped go back in place), a
    half-loaded adapter's too."""
    pipeline.unload_lora_weights()


@dataclass
class LoraState:
    """One pipeline's LoRAs: the files read (identity -> layers, oldest use first) and the set
    fused into its weights now."""

    files: OrderedDict[FileIdentity, LoraFactors] = field(default_factory=OrderedDict)
    fused: FusedWeights = field(default_factory=FusedWeights)


def apply_loras(
    pipeline: Any,
    state: LoraState,
    loras: list[ResolvedLora],
    checkpoint: str,
    keep: int = DEFAULT_KEPT_LORAS,
) -> None:
    """Make exactly ``loras`` fused into ``pipeline``'s weights (reading new files first; the
    weights change only when the set of files and strengths does).

    ``checkpoint`` names the checkpoint in error messages; at most ``keep`` files beyond the
    job's own stay read. A file that cannot be read leaves the weights as they were.
    """
    if not loras:
        if state.fused.loras:
            state.fused.restore(pipeline)
        _drop_idle_files(state, set(), keep)
        return
    if not peft_available():
        raise EngineError("LoRAs need the 'peft' package, which is not installed on this server")
    identities = [_file_identity(lora.path) for lora in loras]
    if len(set(identities)) != len(identities):
        raise EngineError("the same LoRA file is listed twice")
    weighted: list[WeightedLora] = []
    for lora, identity in zip(loras, identities, strict=True):
        factors = state.files.get(identity)
        if factors is None:
            factors = read_lora_factors(pipeline, lora, identity, checkpoint)
            state.files[identity] = factors
        state.files.move_to_end(identity)
        weighted.append(WeightedLora(factors, lora.spec.model_weight, lora.spec.clip_weight))
    if fused_set(weighted) != state.fused.loras:
        try:
            state.fused.fuse(pipeline, weighted)
        except Exception as error:  # any failure inside torch (out of memory is told apart)
            raise EngineError(f"could not fuse LoRAs: {error}") from error
    _drop_idle_files(state, set(identities), keep)


def _drop_idle_files(state: LoraState, in_use: set[FileIdentity], keep: int) -> None:
    """Forget the least recently used files not in use beyond ``keep`` idle ones."""
    idle = [identity for identity in state.files if identity not in in_use]
    for identity in idle[: max(0, len(idle) - keep)]:
        del state.files[identity]


def loaded_adapter_names(pipeline: Any) -> set[str]:
    """peft adapters present on any component of the pipeline (none between jobs)."""
    try:
        adapters = pipeline.get_list_adapters()
    except ValueError:  # diffusers without its peft backend
        return set()
    return {name for names in adapters.values() for name in names}
