"""Upscale model files (``.pth`` / ``.safetensors``) to runnable networks, by their key layout.

Recognised layouts (see docs/decisions/006-upscale-models.md):
- RRDBNet in BasicSR's names (``conv_first``, ``body.N.rdbK.convJ``, ``conv_upN``...): Real-ESRGAN
  and most models trained since 2021, including its pixel-unshuffle 2x / 1x variants;
- RRDBNet in the original ESRGAN names (``model.0``, ``model.1.sub.N.RDBK.convJ.0``...): ESRGAN
  and the older "4x-*" community models; renamed to BasicSR's names on load;
- SRVGGNetCompact (``body.N`` convolutions with PReLU between them).
Sizes (features, growth, blocks) and the scale are read from the weights. ``.pth`` files are read
with ``weights_only=True`` (no pickled code runs); BasicSR's ``params_ema`` / ``params`` wrappers
and ``module.`` prefixes are unwrapped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import Tensor, nn

from gaze.engines.base import EngineError
from gaze.engines.local.upscale_models.compact import SRVGGNetCompact
from gaze.engines.local.upscale_models.rrdbnet import RRDBNet

UPSCALE_MODEL_SUFFIXES = (".pth", ".safetensors")
WRAPPER_KEYS = ("params_ema", "params", "state_dict")
_OLD_DENSE_KEY = re.compile(r"model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias)")
_OLD_TRUNK_KEY = re.compile(r"model\.1\.sub\.(\d+)\.(weight|bias)")
_OLD_TOP_KEY = re.compile(r"model\.(\d+)\.(weight|bias)")
_INDEXED_KEY = re.compile(r"(body|conv_up)\.?(\d+)")


@dataclass(frozen=True)
class UpscaleModel:
    """A loaded network (float32, eval mode) and how much it enlarges an image."""

    network: nn.Module
    scale: int
    layout: str
    """``esrgan`` (RRDBNet, either key naming) or ``compact``."""


def load_upscale_model(path: Path, name: str) -> UpscaleModel:
    """The model in ``path`` (``name`` is how errors call it); EngineError if it cannot be read
    or its layout is not one of the recognised ones."""
    state = _unwrapped(_read_state(path, name))
    if "conv_first.weight" in state:
        return _rrdbnet(state, name)
    if "model.0.weight" in state and any(key.startswith("model.1.sub.") for key in state):
        return _rrdbnet(_renamed_from_esrgan(state), name)
    if state.get("body.0.weight") is not None and state["body.0.weight"].ndim == 4:
        return _compact(state, name)
    raise EngineError(
        f"upscale model {name}: unknown layout (the embedded engine runs ESRGAN / Real-ESRGAN "
        "RRDBNet and SRVGGNetCompact models)"
    )


def _read_state(path: Path, name: str) -> Mapping[str, object]:
    try:
        if path.suffix == ".safetensors":
            return load_file(path, device="cpu")
        if path.suffix == ".pth":
            loaded = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(loaded, Mapping):
                raise EngineError(f"upscale model {name}: not a state dict")
            return loaded
    except EngineError:
        raise
    except Exception as error:  # a damaged or foreign file, whatever the reader raises
        raise EngineError(f"upscale model {name} cannot be read: {error}") from error
    raise EngineError(f"upscale model {name}: not a .pth or .safetensors file")


def _unwrapped(state: Mapping[str, object]) -> dict[str, Tensor]:
    for key in WRAPPER_KEYS:
        inner = state.get(key)
        if isinstance(inner, Mapping):
            state = inner
            break
    return {
        key.removeprefix("module."): value
        for key, value in state.items()
        if isinstance(value, Tensor)
    }


def _renamed_from_esrgan(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """ESRGAN's names to BasicSR's: the dense blocks, the trunk convolution, then the top-level
    convolutions in order (the upsampling ones, ``conv_hr``, ``conv_last``)."""
    renamed: dict[str, Tensor] = {}
    top: dict[int, dict[str, Tensor]] = {}
    for key, value in state.items():
        if dense := _OLD_DENSE_KEY.fullmatch(key):
            block, rdb, conv, kind = dense.groups()
            renamed[f"body.{block}.rdb{rdb}.conv{conv}.{kind}"] = value
        elif trunk := _OLD_TRUNK_KEY.fullmatch(key):
            renamed[f"conv_body.{trunk.group(2)}"] = value
        elif outer := _OLD_TOP_KEY.fullmatch(key):
            top.setdefault(int(outer.group(1)), {})[outer.group(2)] = value
        else:
            renamed[key] = value  # left for load_state_dict to report
    indices = sorted(top)
    if len(indices) < 3 or indices[0] != 0:
        return renamed
    names = ["conv_first"]
    names += [f"conv_up{number}" for number in range(1, len(indices) - 2)]
    names += ["conv_hr", "conv_last"]
    for index, new_name in zip(indices, names, strict=True):
        for kind, value in top[index].items():
            renamed[f"{new_name}.{kind}"] = value
    return renamed


def _rrdbnet(state: dict[str, Tensor], name: str) -> UpscaleModel:
    try:
        first = state["conv_first.weight"]
        last = state["conv_last.weight"]
        growth = state["body.0.rdb1.conv1.weight"].shape[0]
    except KeyError as missing:
        raise EngineError(f"upscale model {name}: RRDBNet without {missing.args[0]}") from None
    out_channels = last.shape[0]
    unshuffle = {out_channels * 4: 2, out_channels * 16: 4}.get(first.shape[1], 1)
    blocks = 1 + max(_indices(state, "body"), default=-1)
    doublings = len(_indices(state, "conv_up"))
    network = RRDBNet(
        in_channels=first.shape[1] // unshuffle**2,
        out_channels=out_channels,
        features=first.shape[0],
        growth=growth,
        blocks=blocks,
        doublings=doublings,
        unshuffle=unshuffle,
    )
    scale = 2**doublings // unshuffle
    if scale < 1:
        raise EngineError(f"upscale model {name}: RRDBNet that shrinks images")
    return UpscaleModel(_loaded(network, state, name), scale, "esrgan")


def _compact(state: dict[str, Tensor], name: str) -> UpscaleModel:
    layers = sorted(_indices(state, "body"))
    convolutions = [i for i in layers if state[f"body.{i}.weight"].ndim == 4]
    activations = [i for i in layers if state[f"body.{i}.weight"].ndim == 1]
    if convolutions != list(range(0, 2 * len(convolutions), 2)) or activations != list(
        range(1, 2 * len(convolutions) - 1, 2)
    ):
        raise EngineError(
            f"upscale model {name}: SRVGGNetCompact without PReLU activations is not supported"
        )
    first = state["body.0.weight"]
    last = state[f"body.{convolutions[-1]}.weight"]
    in_channels = first.shape[1]
    scale = math.isqrt(last.shape[0] // in_channels)
    if scale * scale * in_channels != last.shape[0]:
        raise EngineError(f"upscale model {name}: SRVGGNetCompact of no whole scale")
    network = SRVGGNetCompact(
        in_channels=in_channels,
        out_channels=in_channels,
        features=first.shape[0],
        convolutions=len(convolutions) - 2,
        scale=scale,
    )
    return UpscaleModel(_loaded(network, state, name), scale, "compact")


def _indices(state: Mapping[str, Tensor], prefix: str) -> set[int]:
    found = set()
    for key in state:
        match = _INDEXED_KEY.match(key)
        if match and match.group(1) == prefix:
            found.add(int(match.group(2)))
    return found


def _loaded(network: nn.Module, state: dict[str, Tensor], name: str) -> nn.Module:
    try:
        network.load_state_dict({key: value.float() for key, value in state.items()})
    except RuntimeError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise EngineError(f"upscale model {name}: weights do not fit ({first_line})") from error
    return network.eval()
