"""Executes queued prompts one at a time and reports over the websocket as ComfyUI does.

Per prompt the submitting client receives: ``execution_start``, ``execution_cached``, then
for each node ``executing`` (+ ``progress`` per sampler step, binary previews, ``executed``
for output nodes), then ``execution_success`` / ``execution_error`` /
``execution_interrupted``; the history entry is written, a ``status`` goes to everyone,
and finally ``executing`` with ``node: null``.

Nodes whose inputs are identical to a node of the previous prompt are cached, as with
ComfyUI's default cache: they are listed in ``execution_cached`` and not re-run.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from tests.comfyui_standin.behaviour import StandInBehaviour
from tests.comfyui_standin.image_node_runs import IMAGE_NODES, run_image_node, tile_steps
from tests.comfyui_standin.png_output import encode_png, encode_preview, expected_image
from tests.comfyui_standin.prompt_queue import PromptQueue, QueueItem
from tests.comfyui_standin.websocket_hub import WebSocketHub

Facts = dict[str, Any]


class _Interrupted(Exception):
    pass


class _NodeFailed(Exception):
    def __init__(self, node_id: str, error: Exception, inputs: dict[str, Any]) -> None:
        super().__init__(str(error))
        self.node_id = node_id
        self.error = error
        self.inputs = inputs


@dataclass
class _CachedNode:
    outputs: tuple[Facts, ...]
    ui: dict[str, Any] | None


@dataclass
class RunnerStats:
    """What the stand-in did, for tests and benchmarks (read via ComfyUIStandIn.stats())."""

    executed_prompts: list[str] = field(default_factory=list)
    interrupted_prompts: list[str] = field(default_factory=list)
    failed_prompts: list[str] = field(default_factory=list)
    deleted_prompts: list[str] = field(default_factory=list)
    checkpoint_loads: int = 0
    max_queue_depth: int = 0
    """Most prompts queued or running at once."""
    completed_at: dict[str, float] = field(default_factory=dict)
    """prompt_id -> time.monotonic() when its history entry was written."""
    succeeded_at: dict[str, float] = field(default_factory=dict)
    """prompt_id -> time.monotonic() when its ``execution_success`` was sent."""
    succeeded_at_unix: dict[str, float] = field(default_factory=dict)
    """The same moment as ``time.time()``, to compare with other processes' timestamps."""


def _link(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def _signature(prompt: dict[str, Any], node_id: str, memo: dict[str, str]) -> str:
    if node_id in memo:
        return memo[node_id]
    node = prompt[node_id]
    parts: dict[str, Any] = {}
    for name, value in sorted(node["inputs"].items()):
        if _link(value):
            parts[name] = ["link", _signature(prompt, str(value[0]), memo), value[1]]
        else:
            parts[name] = value
    signature = json.dumps([node["class_type"], parts], sort_keys=True, default=str)
    memo[node_id] = signature
    return signature


def _execution_order(prompt: dict[str, Any], outputs: list[str]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(node_id: str) -> None:
        if node_id in seen:
            return
        seen.add(node_id)
        for value in prompt[node_id]["inputs"].values():
            if _link(value):
                visit(str(value[0]))
        order.append(node_id)

    for output_id in sorted(outputs):
        visit(output_id)
    return order


class PromptRunner:
    def __init__(
        self,
        queue: PromptQueue,
        hub: WebSocketHub,
        behaviour: StandInBehaviour,
        stored_files: dict[tuple[str, str, str], bytes],
    ) -> None:
        self.queue = queue
        self.hub = hub
        self.behaviour = behaviour
        self.stored_files = stored_files
        self.stats = RunnerStats()
        self.client_id: str | None = None
        self.last_node_id: str | None = None
        self.running_prompt_id: str | None = None
        self._interrupt = asyncio.Event()
        self._cache: dict[str, _CachedNode] = {}
        self.loaded_checkpoint: str | None = None
        self._file_counters: dict[str, int] = {}

    def interrupt(self, prompt_id: str | None) -> bool:
        """Interrupt the running prompt (only if it is ``prompt_id``, when one is given)."""
        if self.running_prompt_id is None:
            return False
        if prompt_id is not None and prompt_id != self.running_prompt_id:
            return False
        self._interrupt.set()
        return True

    async def queue_updated(self) -> None:
        await self.hub.send_json(
            "status", {"status": {"exec_info": {"queue_remaining": self.queue.tasks_remaining()}}}
        )

    async def run_forever(self) -> None:
        while True:
            item, task_id = await self.queue.get()
            await self.queue_updated()
            await self._run(item, task_id)

    async def _run(self, item: QueueItem, task_id: int) -> None:
        _, prompt_id, prompt, extra_data, outputs = item
        client_id = extra_data.get("client_id")
        self.client_id = client_id
        self.running_prompt_id = prompt_id
        self._interrupt.clear()
        messages: list[list[Any]] = []

        async def add_message(event: str, data: dict[str, Any], broadcast: bool = False) -> None:
            data = {**data, "timestamp": int(time.time() * 1000)}
            messages.append([event, data])
            if client_id is not None or broadcast:
                await self.hub.send_json(event, data, client_id)

        await add_message("execution_start", {"prompt_id": prompt_id})
        memo: dict[str, str] = {}
        signatures = {node_id: _signature(prompt, node_id, memo) for node_id in prompt}
        cached_nodes = [node_id for node_id in prompt if signatures[node_id] in self._cache]
        await add_message("execution_cached", {"nodes": cached_nodes, "prompt_id": prompt_id})

        values: dict[str, tuple[Facts, ...]] = {}
        ui_outputs: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        executed: list[str] = []
        new_cache: dict[str, _CachedNode] = {}
        success = False
        try:
            for node_id in _execution_order(prompt, outputs):
                node = prompt[node_id]
                cached = self._cache.get(signatures[node_id])
                if cached is not None:
                    values[node_id] = cached.outputs
                    new_cache[signatures[node_id]] = cached
                    if cached.ui is not None:
                        ui_outputs[node_id] = cached.ui
                        meta[node_id] = self._meta(node_id)
                        await self._send(
                            "executed",
                            {
                                "node": node_id,
                                "display_node": node_id,
                                "output": cached.ui,
                                "prompt_id": prompt_id,
                            },
                        )
                    continue
                if self._interrupt.is_set():
                    raise _Interrupted(node_id)
                self.last_node_id = node_id
                await self._send(
                    "executing", {"node": node_id, "display_node": node_id, "prompt_id": prompt_id}
                )
                inputs = {
                    name: (values[str(value[0])][value[1]] if _link(value) else value)
                    for name, value in node["inputs"].items()
                }
                result, ui = await self._execute_node(
                    prompt_id, node_id, node["class_type"], inputs, prompt, extra_data
                )
                values[node_id] = result
                new_cache[signatures[node_id]] = _CachedNode(result, ui)
                executed.append(node_id)
                if ui is not None:
                    ui_outputs[node_id] = ui
                    meta[node_id] = self._meta(node_id)
                    await self._send(
                        "executed",
                        {
                            "node": node_id,
                            "display_node": node_id,
                            "output": ui,
                            "prompt_id": prompt_id,
                        },
                    )
        except _Interrupted as stop:
            node_id = str(stop.args[0])
            await add_message(
                "execution_interrupted",
                {
                    "prompt_id": prompt_id,
                    "node_id": node_id,
                    "node_type": prompt[node_id]["class_type"],
                    "executed": executed,
                },
                broadcast=True,
            )
            self.stats.interrupted_prompts.append(prompt_id)
        except _NodeFailed as failure:
            await add_message(
                "execution_error",
                {
                    "prompt_id": prompt_id,
                    "node_id": failure.node_id,
                    "node_type": prompt[failure.node_id]["class_type"],
                    "executed": executed,
                    "exception_message": f"{failure.error}\n",
                    "exception_type": type(failure.error).__qualname__,
                    "traceback": [
                        '  File "execution.py", line 1, in execute\n',
                        f"    raise {type(failure.error).__qualname__}\n",
                    ],
                    "current_inputs": {
                        name: [value if isinstance(value, (int, float, str, bool)) else str(value)]
                        for name, value in failure.inputs.items()
                    },
                    "current_outputs": list(self._cache),
                },
            )
            self.stats.failed_prompts.append(prompt_id)
        else:
            success = True
            self.stats.succeeded_at[prompt_id] = time.monotonic()
            self.stats.succeeded_at_unix[prompt_id] = time.time()
            await add_message("execution_success", {"prompt_id": prompt_id})
            self.stats.executed_prompts.append(prompt_id)

        self._cache = new_cache
        self.queue.task_done(
            task_id,
            ui_outputs,
            meta,
            {
                "status_str": "success" if success else "error",
                "completed": success,
                "messages": messages,
            },
        )
        self.stats.completed_at[prompt_id] = time.monotonic()
        await self.queue_updated()
        self.last_node_id = None
        self.running_prompt_id = None
        if client_id is not None:
            await self.hub.send_json("executing", {"node": None, "prompt_id": prompt_id}, client_id)
        self.client_id = None

    async def _send(self, event: str, data: dict[str, Any]) -> None:
        if self.client_id is not None:
            await self.hub.send_json(event, data, self.client_id)

    @staticmethod
    def _meta(node_id: str) -> dict[str, Any]:
        return {
            "node_id": node_id,
            "display_node": node_id,
            "parent_node": None,
            "real_node_id": node_id,
        }

    async def _execute_node(
        self,
        prompt_id: str,
        node_id: str,
        class_type: str,
        inputs: dict[str, Any],
        prompt: dict[str, Any],
        extra_data: dict[str, Any],
    ) -> tuple[tuple[Facts, ...], dict[str, Any] | None]:
        if self.behaviour.fail_on_node in (node_id, class_type):
            raise _NodeFailed(node_id, RuntimeError(self.behaviour.fail_message), inputs)
        if class_type == "CheckpointLoaderSimple":
            name = inputs["ckpt_name"]
            if self.loaded_checkpoint != name:
                self.stats.checkpoint_loads += 1
                await self._sleep_interruptibly(node_id, self.behaviour.load_delay)
                self.loaded_checkpoint = name
            return ({"checkpoint": name, "loras": []}, {"checkpoint": name}, {"vae": name}), None
        if class_type == "LoraLoader":
            model = {**inputs["model"], "loras": [*inputs["model"]["loras"], inputs["lora_name"]]}
            return (model, dict(inputs["clip"])), None
        if class_type == "LoraLoaderModelOnly":
            model = {**inputs["model"], "loras": [*inputs["model"]["loras"], inputs["lora_name"]]}
            return (model,), None
        if class_type == "VAELoader":
            return ({"vae": inputs["vae_name"]},), None
        if class_type == "CLIPSetLastLayer":
            return ({**inputs["clip"], "layer": inputs["stop_at_clip_layer"]},), None
        if class_type == "CLIPTextEncode":
            return ({"text": inputs["text"]},), None
        if class_type == "EmptyLatentImage":
            return (
                {"width": int(inputs["width"]), "height": int(inputs["height"]), "seed": None},
            ), None
        if class_type == "KSampler":
            steps = int(inputs["steps"])
            await self._sample(prompt_id, node_id, steps, inputs["latent_image"])
            seed = int(inputs["seed"])
            return ({**inputs["latent_image"], "seed": seed},), None
        if class_type == "KSamplerAdvanced":
            steps = int(inputs["steps"])
            start = int(inputs["start_at_step"])
            end = min(int(inputs["end_at_step"]), steps)
            await self._sample(prompt_id, node_id, max(0, end - start), inputs["latent_image"])
            latent = inputs["latent_image"]
            seed = int(inputs["noise_seed"])
            if inputs["add_noise"] == "disable" and latent.get("seed") is not None:
                seed = latent["seed"]
            return ({**latent, "seed": seed},), None
        if class_type == "VAEDecode":
            return (dict(inputs["samples"]),), None
        if class_type in ("SaveImage", "PreviewImage"):
            return (), await self._save(class_type, inputs, prompt, extra_data)
        if class_type in IMAGE_NODES:
            return await self._run_image_node(prompt_id, node_id, class_type, inputs), None
        raise _NodeFailed(node_id, NotImplementedError(f"stand-in cannot run {class_type}"), inputs)

    async def _run_image_node(
        self, prompt_id: str, node_id: str, class_type: str, inputs: dict[str, Any]
    ) -> tuple[Facts, ...]:
        try:
            outputs = run_image_node(class_type, inputs, self.stored_files)
        except (OSError, ValueError) as error:
            raise _NodeFailed(node_id, error, inputs) from error
        if class_type == "ImageUpscaleWithModel":
            image = inputs["image"]
            tiles = tile_steps(image["width"], image["height"])
            for tile in range(1, tiles + 1):
                await self._send(
                    "progress",
                    {"value": tile, "max": tiles, "prompt_id": prompt_id, "node": node_id},
                )
        return outputs

    async def _sleep_interruptibly(self, node_id: str, seconds: float) -> None:
        if seconds <= 0:
            return
        try:
            await asyncio.wait_for(self._interrupt.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise _Interrupted(node_id)

    async def _sample(self, prompt_id: str, node_id: str, total: int, latent: Facts) -> None:
        for step in range(1, total + 1):
            if self._interrupt.is_set():
                raise _Interrupted(node_id)
            if self.behaviour.stall_at_step is not None and step >= self.behaviour.stall_at_step:
                await self._interrupt.wait()
                raise _Interrupted(node_id)
            await self._sleep_interruptibly(node_id, self.behaviour.step_delay)
            await self._send(
                "progress", {"value": step, "max": total, "prompt_id": prompt_id, "node": node_id}
            )
            every = self.behaviour.preview_every
            if every and step % every == 0 and self.client_id is not None:
                preview = expected_image(step, int(latent["width"]), int(latent["height"]))
                await self.hub.send_preview(encode_preview(preview), self.client_id)
            if self.behaviour.drop_websocket_at_step == step and self.client_id is not None:
                await self.hub.drop(self.client_id)

    async def _save(
        self,
        class_type: str,
        inputs: dict[str, Any],
        prompt: dict[str, Any],
        extra_data: dict[str, Any],
    ) -> dict[str, Any]:
        facts = inputs["images"]
        if class_type == "SaveImage":
            prefix = str(inputs.get("filename_prefix", "ComfyUI"))
            folder_type = "output"
        else:
            prefix = "ComfyUI_temp_" + "".join(
                secrets.choice("abcdefghijklmnopqrstupvxyz") for _ in range(5)
            )
            folder_type = "temp"
        subfolder, _, base = prefix.rpartition("/")
        counter = self._file_counters.get(prefix, 0) + 1
        self._file_counters[prefix] = counter
        filename = f"{base}_{counter:05}_.png"
        image = expected_image(int(facts.get("seed") or 0), facts["width"], facts["height"])
        data = await asyncio.to_thread(encode_png, image, prompt, extra_data.get("extra_pnginfo"))
        self.stored_files[(folder_type, subfolder, filename)] = data
        return {"images": [{"filename": filename, "subfolder": subfolder, "type": folder_type}]}
