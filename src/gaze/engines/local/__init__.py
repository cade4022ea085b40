"""The in-process diffusers backend for single-file SD1.x / SDXL checkpoints.

``samplers`` imports without torch; ``engine`` (``LocalEngine``) and the rest load torch and
diffusers.
"""
