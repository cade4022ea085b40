"""Full-size SD1.5 and SDXL checkpoints: diffusers' single-file conversion consumes every tensor.

A checkpoint with the published architecture is laid out under the original (LDM) key names on
the meta device, so no weight is ever allocated. It then goes through the same conversion
functions ``from_single_file`` applies, with the configs this engine infers from the shapes:
every parameter of every diffusers model must get a tensor of the right shape, and every tensor
of the file must end up in some parameter, except the non-weights published files carry
(CLIP-L's position ids, OpenCLIP's logit scale).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from diffusers.loaders.single_file_utils import (
    convert_ldm_clip_checkpoint,
    convert_ldm_unet_checkpoint,
    convert_ldm_vae_checkpoint,
    convert_open_clip_checkpoint,
)
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from gaze.engines.local.checkpoint_config import PipelineConfig, infer_pipeline_config
from gaze.engines.local.ldm_key_names import SDXL_OPEN_CLIP_PREFIX
from gaze.engines.local.pipeline_loading import load_pipeline, torch_modules
from tests.engines.local.local_engine_constants import SD1_NAME, SDXL_NAME
from tests.engines.local.real_architectures import SD15_EXTRAS, SDXL_EXTRAS, real_ldm_state_dict

pytestmark = pytest.mark.filterwarnings("ignore:__array:DeprecationWarning")

# Parameter counts of the published models (UNet, VAE, CLIP-L text model, OpenCLIP bigG text
# model with its projection).
PUBLISHED_PARAMETERS = {
    "sd1": {
        "unet": 859_520_964,
        "vae": 83_653_863,
        "text_encoder": 123_060_480,
    },
    "sdxl": {
        "unet": 2_567_463_684,
        "vae": 83_653_863,
        "text_encoder": 123_060_480,
        "text_encoder_2": 694_659_840,
    },
}


class _ReadRecorder(dict[str, torch.Tensor]):
    """A state dict that remembers which keys were read."""

    def __init__(self, state: dict[str, torch.Tensor]) -> None:
        super().__init__(state)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> torch.Tensor:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key in self:
            self.read.add(key)
        return super().get(key, default)


def _model_config(config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if not key.startswith("_")}


def _meta_models(config: PipelineConfig) -> dict[str, torch.nn.Module]:
    """The diffusers / transformers models ``from_single_file`` builds from the inferred configs."""
    with torch.device("meta"):
        models: dict[str, Any] = {
            "unet": UNet2DConditionModel(**_model_config(config.unet)),
            "vae": AutoencoderKL(**_model_config(config.vae)),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**config.text_encoder)),
        }
        if config.text_encoder_2 is not None:
            models["text_encoder_2"] = CLIPTextModelWithProjection(
                CLIPTextConfig(**config.text_encoder_2)
            )
    return models


def _without_text_model(state: dict[str, torch.Tensor], model: torch.nn.Module) -> dict:
    """What ``create_diffusers_clip_model_from_ldm`` does for transformers' flattened CLIP."""
    if hasattr(model, "text_model"):
        return state
    return {key.removeprefix("text_model."): value for key, value in state.items()}


def _conversions(
    config: PipelineConfig, models: dict[str, torch.nn.Module]
) -> dict[str, Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]]:
    conversions: dict[str, Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]] = {
        "unet": lambda state: convert_ldm_unet_checkpoint(state, config.unet),
        "vae": lambda state: convert_ldm_vae_checkpoint(state, config.vae),
        "text_encoder": lambda state: _without_text_model(
            convert_ldm_clip_checkpoint(state), models["text_encoder"]
        ),
    }
    if "text_encoder_2" in models:
        conversions["text_encoder_2"] = lambda state: convert_open_clip_checkpoint(
            models["text_encoder_2"], state, prefix=SDXL_OPEN_CLIP_PREFIX
        )
    return conversions


@pytest.mark.parametrize("family", ["sd1", "sdxl"], ids=["sd15", "sdxl"])
def test_every_tensor_of_a_full_size_checkpoint_is_consumed(family: str) -> None:
    checkpoint = real_ldm_state_dict(family, extras=True)
    extras = set(SD15_EXTRAS if family == "sd1" else SDXL_EXTRAS)
    config = infer_pipeline_config({name: tuple(t.shape) for name, t in checkpoint.items()})
    models = _meta_models(config)
    source_of = {id(tensor): name for name, tensor in checkpoint.items()}
    consumed: set[str] = set()
    for component, convert in _conversions(config, models).items():
        model = models[component]
        recorder = _ReadRecorder(checkpoint)
        converted = convert(recorder)
        parameters = dict(model.named_parameters())
        buffers = dict(model.named_buffers())
        assert set(parameters) <= set(converted), f"{component}: parameters without a tensor"
        assert set(converted) - set(parameters) <= set(buffers), f"{component}: unknown keys"
        for name, tensor in converted.items():
            expected = parameters.get(name, buffers.get(name))
            assert expected is not None and tensor.shape == expected.shape, f"{component}.{name}"
            source = source_of.get(id(tensor)) or source_of.get(id(tensor._base))
            if source is not None:
                consumed.add(source)
        if component.startswith("text_encoder"):  # these read only the keys they convert
            consumed |= recorder.read
        total = sum(parameter.numel() for parameter in parameters.values())
        assert total == PUBLISHED_PARAMETERS[family][component], component
    left_over = set(checkpoint) - consumed
    assert left_over <= extras, sorted(left_over)[:10]
    weights = sum(tensor.numel() for name, tensor in checkpoint.items() if name not in extras)
    assert weights == sum(PUBLISHED_PARAMETERS[family].values())


@pytest.mark.parametrize("name", [SD1_NAME, SDXL_NAME])
def test_checkpoints_with_the_published_extras_load(
    models_dir: Any, tmp_path: Any, name: str
) -> None:
    state = load_file(str(models_dir / "checkpoints" / name))
    extras = SD15_EXTRAS if name == SD1_NAME else SDXL_EXTRAS
    for key, shape in extras.items():
        state[key] = (
            torch.arange(77, dtype=torch.int64).reshape(shape)
            if key.endswith("position_ids")
            else torch.tensor(4.6052)
        )
    path = tmp_path / "with-extras.safetensors"
    save_file(state, str(path))
    loaded = load_pipeline(path, tmp_path, "cpu", torch.float32)
    plain = load_pipeline(models_dir / "checkpoints" / name, tmp_path, "cpu", torch.float32)
    for component, module in torch_modules(loaded.pipeline).items():
        reference = dict(torch_modules(plain.pipeline)[component].named_parameters())
        for parameter_name, parameter in module.named_parameters():
            assert torch.equal(parameter, reference[parameter_name]), parameter_name
