"""Which checkpoints, LoRAs and VAEs the configured backends have, what they can sample
with, and what a spec lacks.

A spec also needs its sampler and scheduler (by ComfyUI name) and its prompt weighting; a
backend runs the ones it lists (a ComfyUI server: the choices of its KSampler node).

A spec needs its checkpoint, its LoRAs and its VAE. With a custom ComfyUI workflow
(``spec.workflow_template``) it needs what the template uses instead: the checkpoint
and LoRAs only where ``{{checkpoint}}`` and ``{{loras}}`` appear, no VAE from the spec,
plus every model file the template names itself; and a backend that runs templates
(``runs_workflow_templates`` in its capabilities).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gaze.engines.base import Engine, EngineError
from gaze.generation_spec import DEFAULT_PROMPT_WEIGHTING, GenerationSpec, is_upscale_model
from gaze.workflow_templates import job_template_problems, template_models, template_of

log = logging.getLogger(__name__)

FOLDER_LABELS = {
    "checkpoints": "checkpoint",
    "loras": "LoRA",
    "vae": "VAE",
    "upscale_models": "upscale model",
}
CUSTOM_WORKFLOWS = "support for custom ComfyUI workflows"


def _posix(name: str) -> str:
    return name.replace("\\", "/")


@dataclass(frozen=True)
class ModelNeed:
    """One model file a generation loads: ``folder`` is ``checkpoints``, ``loras`` or ``vae``."""

    folder: str
    name: str

    def describe(self) -> str:
        return f"{FOLDER_LABELS.get(self.folder, self.folder)} {self.name!r}"


def model_needs(spec: GenerationSpec, template: dict[str, Any] | None = None) -> list[ModelNeed]:
    """The model files a generation of ``spec`` loads, run with ``template`` if given
    (None: GAZE's built-in graph). In order, without repeats."""
    needs: list[ModelNeed] = []
    if template is None:
        needs.append(ModelNeed("checkpoints", spec.checkpoint))
        needs += [ModelNeed("loras", lora.name) for lora in spec.loras]
        if spec.vae:
            needs.append(ModelNeed("vae", spec.vae))
        if spec.hires is not None and is_upscale_model(spec.hires.upscaler):
            needs.append(ModelNeed("upscale_models", spec.hires.upscaler))
    else:
        used = template_models(template)
        if used.uses_checkpoint:
            needs.append(ModelNeed("checkpoints", spec.checkpoint))
        if used.uses_loras:
            needs += [ModelNeed("loras", lora.name) for lora in spec.loras]
        if used.uses_hires_upscaler and spec.hires and is_upscale_model(spec.hires.upscaler):
            needs.append(ModelNeed("upscale_models", spec.hires.upscaler))
        needs += [ModelNeed(folder, name) for folder, name in used.fixed]
    return list(dict.fromkeys(needs))


@dataclass(frozen=True)
class Requirements:
    """What a backend must offer to run one spec."""

    models: tuple[ModelNeed, ...]
    custom_workflow: bool
    sampler: str | None = None
    """None with a custom workflow: the template picks its own (and ComfyUI checks it)."""
    scheduler: str | None = None
    prompt_weighting: str = DEFAULT_PROMPT_WEIGHTING

    @classmethod
    def of(cls, spec: GenerationSpec) -> Requirements:
        template = template_of(spec)
        if template is not None:
            try:
                needs = model_needs(spec, template)
            except (KeyError, TypeError, AttributeError):
                needs = []  # a malformed template; filling it will say what is wrong
            return cls(tuple(needs), True, prompt_weighting=spec.prompt_weighting)
        return cls(
            tuple(model_needs(spec)),
            False,
            sampler=spec.sampler,
            scheduler=spec.scheduler,
            prompt_weighting=spec.prompt_weighting,
        )


@dataclass(frozen=True)
class ModelLists:
    """One backend's model files and sampling choices, as last read."""

    checkpoints: frozenset[str]
    loras: frozenset[str]
    vaes: frozenset[str]
    runs_workflow_templates: bool = False
    upscale_models: frozenset[str] = frozenset()
    samplers: tuple[str, ...] | None = None
    """None: not known (an engine that could not say); then any name is tried."""
    schedulers: tuple[str, ...] | None = None
    """In the backend's own (menu) order."""
    prompt_weightings: frozenset[str] = frozenset({DEFAULT_PROMPT_WEIGHTING})
    backend: str = ""

    def has(self, need: ModelNeed) -> bool:
        files = {
            "checkpoints": self.checkpoints,
            "loras": self.loras,
            "vae": self.vaes,
            "upscale_models": self.upscale_models,
        }.get(need.folder, frozenset())
        return need.name in files or _posix(need.name) in files

    def unmet(self, requirements: Requirements) -> list[str]:
        """What of ``requirements`` this backend lacks, e.g. ``["LoRA 'x.safetensors'"]``."""
        missing = []
        if requirements.custom_workflow and not self.runs_workflow_templates:
            missing.append(CUSTOM_WORKFLOWS)
        missing += [need.describe() for need in requirements.models if not self.has(need)]
        for label, name, offered in (
            ("sampler", requirements.sampler, self.samplers),
            ("scheduler", requirements.scheduler, self.schedulers),
        ):
            if name is not None and offered is not None and name not in offered:
                missing.append(f"{label} {name!r}")
        if requirements.prompt_weighting not in self.prompt_weightings:
            missing.append(f"prompt weighting {requirements.prompt_weighting!r}")
        return missing


def model_lists(engine: Engine) -> ModelLists | None:
    """The engine's model lists, or None when it cannot be asked (it is down)."""
    try:
        return ModelLists(
            frozenset(engine.checkpoints()),
            frozenset(engine.loras()),
            frozenset(engine.vaes()),
            runs_workflow_templates=engine.capabilities.runs_workflow_templates,
            upscale_models=frozenset(engine.upscale_models()),
            samplers=tuple(engine.samplers()),
            schedulers=tuple(engine.schedulers()),
            prompt_weightings=frozenset(engine.capabilities.prompt_weightings),
            backend=engine.name,
        )
    except EngineError as error:
        log.warning("could not list the models of %s: %s", engine.name, error)
        return None


def checkpoints_on(lists: Iterable[ModelLists]) -> frozenset[str]:
    """Every checkpoint at least one of these backends has."""
    return frozenset().union(*(backend.checkpoints for backend in lists))


def unavailable_checkpoint_problem(checkpoint: str, available: Collection[str]) -> str | None:
    """Why a requested checkpoint cannot be used (no backend has it), or None; the answer
    follows the word "checkpoint"."""
    if checkpoint in available:
        return None
    return f"{checkpoint!r} is not available on any backend"


def preflight_problem(spec: GenerationSpec, lists: Sequence[ModelLists]) -> str | None:
    """Why no backend can run this spec, or None when at least one has all its models."""
    if not lists:
        return "no backend is reachable to check the models against"
    template = template_of(spec)
    if template is not None:
        try:
            template_problems = job_template_problems(template, spec)
        except (KeyError, TypeError, AttributeError):
            template_problems = []  # a malformed template; filling it will say what is wrong
        if template_problems:
            return f"its workflow template cannot run it: {'; '.join(template_problems)}"
    requirements = Requirements.of(spec)
    if any(not backend.unmet(requirements) for backend in lists):
        return None
    if requirements.custom_workflow and not any(b.runs_workflow_templates for b in lists):
        return "it uses a custom ComfyUI workflow and no ComfyUI backend is reachable"
    union = ModelLists(
        checkpoints_on(lists),
        frozenset().union(*(backend.loras for backend in lists)),
        frozenset().union(*(backend.vaes for backend in lists)),
        runs_workflow_templates=True,
        upscale_models=frozenset().union(*(backend.upscale_models for backend in lists)),
        samplers=_union_or_unknown(backend.samplers for backend in lists),
        schedulers=_union_or_unknown(backend.schedulers for backend in lists),
        prompt_weightings=frozenset().union(*(b.prompt_weightings for b in lists)),
    )
    missing = union.unmet(requirements)
    names = ", ".join(backend.backend for backend in lists if backend.backend)
    on = f" ({names})" if names else ""
    if missing:
        return f"not available on any backend{on}: {', '.join(missing)}"
    return f"no single backend{on} has everything this generation needs"


def _union_or_unknown(choices: Iterable[tuple[str, ...] | None]) -> tuple[str, ...] | None:
    union: dict[str, None] = {}
    for offered in choices:
        if offered is None:
            return None
        union.update(dict.fromkeys(offered))
    return tuple(union)
