"""ComfyUI backends: the workflow GAZE sends, custom templates, the protocol client, the engine."""

from gaze.engines.comfyui.client import ComfyUIClient, OutputImage, PromptResult, Timeouts
from gaze.engines.comfyui.engine import ComfyUIEngine
from gaze.engines.comfyui.templates import TemplateError, fill_template, validate_template
from gaze.engines.comfyui.workflow import build_workflow

__all__ = [
    "ComfyUIClient",
    "ComfyUIEngine",
    "OutputImage",
    "PromptResult",
    "TemplateError",
    "Timeouts",
    "build_workflow",
    "fill_template",
    "validate_template",
]
