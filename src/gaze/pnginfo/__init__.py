"""PNG info: the generation parameters other tools (A1111/Forge, ComfyUI, NovelAI) and GAZE
itself write into images, read back into one normalised shape (`GenerationInfo`), and the
GAZE recipe that reproduces them (`pnginfo.recipe_of`).

Reading is pure: bytes in, `GenerationInfo` out; every walk over a graph is bounded, so a
hostile file costs a warning, never a hang.
"""
