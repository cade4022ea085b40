"""Which tool wrote an image's parameters, and reading them: GAZE's JSON chunk first, then
NovelAI, ComfyUI's graphs, and A1111's ``parameters`` text (also a JPEG's or WebP's EXIF)."""

from __future__ import annotations

from typing import Any

from gaze.media.png_metadata import GAZE_JSON_KEY, PARAMETERS_KEY
from gaze.pnginfo.a1111 import parse_a1111
from gaze.pnginfo.comfyui_graph import parse_comfyui_graph
from gaze.pnginfo.comfyui_workflow import api_graph_of_workflow
from gaze.pnginfo.containers import image_texts
from gaze.pnginfo.gaze_chunk import parse_gaze_chunk
from gaze.pnginfo.json_text import strict_json
from gaze.pnginfo.novelai import is_novelai, parse_novelai
from gaze.pnginfo.result import GenerationInfo, NoGenerationMetadata

LOOKED_FOR = (
    "the PNG text chunks 'gaze', 'parameters' (A1111/Forge), 'prompt' and 'workflow' "
    "(ComfyUI), 'Comment' with Software 'NovelAI', and the EXIF UserComment of a JPEG or WebP"
)


def _json_object(text: str | None, name: str, warnings: list[str]) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = strict_json(text)
    except ValueError:
        warnings.append(f"the ComfyUI {name!r} text is not JSON; it was skipped")
        return None
    if not isinstance(value, dict):
        warnings.append(f"the ComfyUI {name!r} text is not a JSON object; it was skipped")
        return None
    return value


def _comfyui(texts: dict[str, str], warnings: list[str]) -> GenerationInfo | None:
    graph = _json_object(texts.get("prompt"), "prompt", warnings)
    workflow = _json_object(texts.get("workflow"), "workflow", warnings)
    if graph is None and workflow is None:
        return None
    info = GenerationInfo(source="comfyui", raw={"prompt": graph, "workflow": workflow})
    if graph is None:
        info.warnings.append(
            "the image has only ComfyUI's UI workflow, no API 'prompt' graph: read best effort "
            "(known node types only)"
        )
        graph = api_graph_of_workflow(workflow, info.warnings)
    parse_comfyui_graph(graph, info)
    return info


def read_generation_info(data: bytes) -> GenerationInfo:
    """The generation parameters of a PNG, JPEG or WebP file.

    UploadRejected when the file is not one of those images; NoGenerationMetadata when it
    carries no parameters GAZE reads."""
    found = image_texts(data)
    texts = found.texts
    info: GenerationInfo | None = None
    if GAZE_JSON_KEY in texts:
        info = parse_gaze_chunk(texts[GAZE_JSON_KEY])
        if info is None:
            found.warnings.append("the 'gaze' text is not GAZE's JSON; it was skipped")
    if info is None and is_novelai(texts):
        info = parse_novelai(texts)
    if info is None:
        info = _comfyui(texts, found.warnings)
    if info is None and PARAMETERS_KEY in texts:
        info = parse_a1111(texts[PARAMETERS_KEY])
    if info is None:
        problems = f" ({'; '.join(found.warnings)})" if found.warnings else ""
        raise NoGenerationMetadata(
            f"the {found.format} image carries no generation parameters: looked for "
            f"{LOOKED_FOR}{problems}"
        )
    info.warnings[:0] = found.warnings
    return info
