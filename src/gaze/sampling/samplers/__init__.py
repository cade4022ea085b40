"""The samplers, one module per family; :mod:`gaze.sampling.registry` names them as ComfyUI does."""
