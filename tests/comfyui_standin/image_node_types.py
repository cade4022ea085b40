"""The image, inpainting and upscaling node types, with the input specs of ComfyUI v0.7/v0.8.

From ``nodes.py``: LoadImage, LoadImageMask, VAEEncode, SetLatentNoiseMask, LatentUpscale,
LatentUpscaleBy, ImageScale, ImageScaleBy; from ``comfy_extras/nodes_upscale_model.py``:
UpscaleModelLoader, ImageUpscaleWithModel. LoadImage and LoadImageMask list the input
folder's files but validate their ``image`` with ``VALIDATE_INPUTS`` instead of the combo:
any file that exists there (``sub/name.png`` too, or ``name.png [output]`` for another
folder) is accepted, else "Invalid image file: <name>".
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Collection, Mapping

from tests.comfyui_standin.node_type import MAX_RESOLUTION, NodeType, float_input, int_input

LATENT_UPSCALE_METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "bislerp"]
IMAGE_UPSCALE_METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]
CROP_METHODS = ["disabled", "center"]
MASK_CHANNELS = ["alpha", "red", "green", "blue"]
FOLDER_ANNOTATIONS = {"[input]": "input", "[output]": "output", "[temp]": "temp"}


def annotated_file(name: str) -> tuple[str, str]:
    """``(folder_type, relative path)`` of a LoadImage name, as ComfyUI's
    ``annotated_filepath`` reads ``"name.png [output]"`` (no annotation: the input folder)."""
    for annotation, folder_type in FOLDER_ANNOTATIONS.items():
        if name.endswith(" " + annotation):
            return folder_type, name[: -len(annotation) - 1]
    return "input", name


def _file_check(files_by_type: Mapping[str, Collection[str]]) -> Callable[..., bool | str]:
    def validate(image: str) -> bool | str:
        folder_type, path = annotated_file(image)
        if path not in files_by_type.get(folder_type, ()):
            return f"Invalid image file: {image}"
        return True

    return validate


def _top_level(files: Collection[str], images_only: bool) -> list[str]:
    """The files ``os.listdir`` sees in the folder itself, sorted (images only for
    LoadImage, as ``filter_files_content_types(files, ["image"])`` keeps)."""
    names = [name for name in files if "/" not in name]
    if images_only:
        names = [name for name in names if _is_image_name(name)]
    return sorted(names)


def _is_image_name(name: str) -> bool:
    return (mimetypes.guess_type(name)[0] or "").startswith("image/")


def image_node_types(
    upscale_models: list[str], files_by_type: Mapping[str, Collection[str]]
) -> list[NodeType]:
    inputs = files_by_type.get("input", ())
    file_exists = _file_check(files_by_type)
    return [
        NodeType(
            name="LoadImage",
            display_name="Load Image",
            category="image",
            required={"image": (_top_level(inputs, images_only=True), {"image_upload": True})},
            return_types=("IMAGE", "MASK"),
            validate_inputs=file_exists,
            validated_inputs=("image",),
        ),
        NodeType(
            name="LoadImageMask",
            display_name="Load Image (as Mask)",
            category="mask",
            required={
                "image": (_top_level(inputs, images_only=False), {"image_upload": True}),
                "channel": (list(MASK_CHANNELS), {}),
            },
            return_types=("MASK",),
            validate_inputs=file_exists,
            validated_inputs=("image",),
        ),
        NodeType(
            name="VAEEncode",
            display_name="VAE Encode",
            category="latent",
            required={"pixels": ("IMAGE", {}), "vae": ("VAE", {})},
            return_types=("LATENT",),
        ),
        NodeType(
            name="SetLatentNoiseMask",
            display_name="Set Latent Noise Mask",
            category="latent/inpaint",
            required={"samples": ("LATENT", {}), "mask": ("MASK", {})},
            return_types=("LATENT",),
        ),
        NodeType(
            name="LatentUpscale",
            display_name="Upscale Latent",
            category="latent",
            required={
                "samples": ("LATENT", {}),
                "upscale_method": (list(LATENT_UPSCALE_METHODS), {}),
                "width": int_input(512, 0, MAX_RESOLUTION, 8),
                "height": int_input(512, 0, MAX_RESOLUTION, 8),
                "crop": (list(CROP_METHODS), {}),
            },
            return_types=("LATENT",),
        ),
        NodeType(
            name="LatentUpscaleBy",
            display_name="Upscale Latent By",
            category="latent",
            required={
                "samples": ("LATENT", {}),
                "upscale_method": (list(LATENT_UPSCALE_METHODS), {}),
                "scale_by": float_input(1.5, 0.01, 8.0, 0.01),
            },
            return_types=("LATENT",),
        ),
        NodeType(
            name="ImageScale",
            display_name="Upscale Image",
            category="image/upscaling",
            required={
                "image": ("IMAGE", {}),
                "upscale_method": (list(IMAGE_UPSCALE_METHODS), {}),
                "width": int_input(512, 0, MAX_RESOLUTION, 1),
                "height": int_input(512, 0, MAX_RESOLUTION, 1),
                "crop": (list(CROP_METHODS), {}),
            },
            return_types=("IMAGE",),
        ),
        NodeType(
            name="ImageScaleBy",
            display_name="Upscale Image By",
            category="image/upscaling",
            required={
                "image": ("IMAGE", {}),
                "upscale_method": (list(IMAGE_UPSCALE_METHODS), {}),
                "scale_by": float_input(1.0, 0.01, 8.0, 0.01),
            },
            return_types=("IMAGE",),
        ),
        NodeType(
            name="UpscaleModelLoader",
            display_name="Load Upscale Model",
            category="loaders",
            required={"model_name": (list(upscale_models), {})},
            return_types=("UPSCALE_MODEL",),
            python_module="comfy_extras.nodes_upscale_model",
        ),
        NodeType(
            name="ImageUpscaleWithModel",
            display_name="Upscale Image (using Model)",
            category="image/upscaling",
            required={"upscale_model": ("UPSCALE_MODEL", {}), "image": ("IMAGE", {})},
            return_types=("IMAGE",),
            python_module="comfy_extras.nodes_upscale_model",
        ),
    ]
