"""ESRGAN-family upscale models, loaded and run without spandrel (see decision 006)."""
