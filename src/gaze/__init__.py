"""GAZE: preset-driven image generation server."""

__version__ = "0.1.0"
