"""Fixtures for the ComfyUI backend tests: real stand-in servers on loopback ports."""

from tests.comfyui_standin.fixtures import closed_port_url, standin, standin_factory

__all__ = ["closed_port_url", "standin", "standin_factory"]
