"""A stand-in ComfyUI server speaking ComfyUI's HTTP and websocket protocol, for tests.

In-process: ``with ComfyUIStandIn(step_delay=0.02) as comfy: ... comfy.url``.
As a process: ``python -m tests.comfyui_standin --port 8188 --step-delay 0.05``.
"""

from tests.comfyui_standin.app import CONTROL_PREFIX
from tests.comfyui_standin.behaviour import StandInBehaviour
from tests.comfyui_standin.png_output import expected_image
from tests.comfyui_standin.prompt_runner import RunnerStats
from tests.comfyui_standin.server import ComfyUIStandIn, StandInFactory, default_models

__all__ = [
    "CONTROL_PREFIX",
    "ComfyUIStandIn",
    "RunnerStats",
    "StandInBehaviour",
    "StandInFactory",
    "default_models",
    "expected_image",
]
