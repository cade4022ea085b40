"""The stand-in itself speaks ComfyUI's protocol: checked with raw HTTP and websocket calls.

These pin the shapes GAZE's client relies on, as read from ComfyUI's server.py, main.py
and execution.py, so a drift in the stand-in shows up here rather than as a false pass.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from websockets.asyncio.client import ClientConnection, connect

from gaze.engines.comfyui.workflow import build_workflow
from gaze.generation_spec import GenerationSpec
from tests.comfyui_standin import ComfyUIStandIn, StandInFactory

REPO_ROOT = Path(__file__).resolve().parents[3]
SPEC = GenerationSpec("a cat", "dog", "sd15/base.safetensors", width=64, height=64, steps=3)


def post_prompt(standin: ComfyUIStandIn, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{standin.url}/prompt", json=body, trust_env=False)


def node_errors(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400
    return response.json()["node_errors"]


def test_unknown_node_type_is_rejected_like_comfyui(standin: ComfyUIStandIn) -> None:
    graph = build_workflow(SPEC)
    graph["3"]["class_type"] = "KSamplerTurbo"
    response = post_prompt(standin, {"prompt": graph})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "type": "invalid_prompt",
            "message": "Cannot execute because node KSamplerTurbo does not exist.",
            "details": "Node ID '#3'",
            "extra_info": {},
        },
        "node_errors": {},
    }


def test_missing_input_and_bad_value_are_node_errors(standin: ComfyUIStandIn) -> None:
    graph = build_workflow(SPEC)
    del graph["3"]["inputs"]["steps"]
    graph["4"]["inputs"]["ckpt_name"] = "x.safetensors"
    response = post_prompt(standin, {"prompt": graph})
    body = response.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    errors = node_errors(response)
    assert errors["3"]["class_type"] == "KSampler"
    assert errors["3"]["errors"][0]["type"] == "required_input_missing"
    assert errors["3"]["errors"][0]["extra_info"] == {"input_name": "steps"}
    assert errors["4"]["dependent_outputs"] == ["9"]
    reason = errors["4"]["errors"][0]
    assert reason["type"] == "value_not_in_list"
    assert reason["extra_info"]["received_value"] == "x.safetensors"
    assert reason["details"].startswith("ckpt_name: 'x.safetensors' not in [")


def test_link_to_a_missing_node_fails_validation(standin: ComfyUIStandIn) -> None:
    graph = build_workflow(SPEC)
    graph["8"]["inputs"]["samples"] = ["99", 0]
    errors = node_errors(post_prompt(standin, {"prompt": graph}))
    assert errors["8"]["errors"][0]["type"] == "exception_during_inner_validation"
    assert errors["8"]["errors"][0]["details"] == "'99'"


def test_no_output_node_and_no_prompt(standin: ComfyUIStandIn) -> None:
    graph = build_workflow(SPEC)
    del graph["9"]
    response = post_prompt(standin, {"prompt": graph})
    assert response.json()["error"]["type"] == "prompt_no_outputs"
    response = post_prompt(standin, {"client_id": "x"})
    assert response.status_code == 400 and response.json()["error"]["type"] == "no_prompt"


async def _frames_until_done(
    socket: ClientConnection, prompt_id: str, timeout: float = 5.0
) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            frame = await socket.recv()
            if isinstance(frame, bytes):
                frames.append({"type": "binary", "event": int.from_bytes(frame[:4], "big")})
                continue
            message = json.loads(frame)
            frames.append(message)
            data = message["data"]
            done = data.get("node") is None and data.get("prompt_id") == prompt_id
            if message["type"] == "executing" and done:
                return frames


async def _run_prompt_and_listen(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ws_url = url.replace("http://", "ws://")
    owner, other = uuid.uuid4().hex, uuid.uuid4().hex
    async with (
        connect(f"{ws_url}/ws?clientId={owner}", proxy=None) as mine,
        connect(f"{ws_url}/ws?clientId={other}", proxy=None) as theirs,
    ):
        hello = json.loads(await mine.recv())
        assert hello == {
            "type": "status",
            "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": owner},
        }
        await theirs.recv()
        prompt_id = str(uuid.uuid4())
        async with httpx.AsyncClient(trust_env=False) as http:
            response = await http.post(
                f"{url}/prompt",
                json={"prompt": build_workflow(SPEC), "client_id": owner, "prompt_id": prompt_id},
            )
        assert response.json() == {"prompt_id": prompt_id, "number": 0, "node_errors": {}}
        mine_frames = await _frames_until_done(mine, prompt_id)
        their_frames: list[dict[str, Any]] = []
        while True:
            try:
                their_frames.append(json.loads(await asyncio.wait_for(theirs.recv(), 0.2)))
            except TimeoutError:
                break
    return mine_frames, their_frames


def test_events_go_only_to_the_submitting_client_in_comfyui_order(
    standin_factory: StandInFactory,
) -> None:
    standin = standin_factory(preview_every=2)
    mine, theirs = asyncio.run(_run_prompt_and_listen(standin.url))
    kinds = [frame["type"] for frame in mine]
    # status broadcasts arrive when the prompt is queued, taken and done, as in ComfyUI
    assert kinds[:4] == ["status", "status", "execution_start", "execution_cached"]
    assert kinds[-3:] == ["execution_success", "status", "executing"]
    assert kinds.count("progress") == 3 and "binary" in kinds and "executed" in kinds
    executing = [frame["data"]["node"] for frame in mine if frame["type"] == "executing"]
    assert executing.index("4") < executing.index("3") < executing.index("8")
    assert executing[-2:] == ["9", None]
    progress = [frame["data"] for frame in mine if frame["type"] == "progress"]
    assert progress[0] == {"value": 1, "max": 3, "prompt_id": progress[0]["prompt_id"], "node": "3"}
    executed = next(frame["data"] for frame in mine if frame["type"] == "executed")
    assert executed["node"] == "9"
    assert executed["output"] == {
        "images": [{"filename": "gaze_00001_.png", "subfolder": "", "type": "output"}]
    }
    assert {frame["type"] for frame in theirs} == {"status"}  # broadcasts only


def test_history_view_and_queue_have_comfyui_shapes(standin: ComfyUIStandIn) -> None:
    prompt_id = str(uuid.uuid4())
    graph = build_workflow(SPEC)
    post_prompt(standin, {"prompt": graph, "prompt_id": prompt_id, "client_id": "c"})
    with httpx.Client(base_url=standin.url, trust_env=False) as http:
        for _ in range(200):
            history = http.get(f"/history/{prompt_id}").json()
            if history:
                break
            asyncio.run(asyncio.sleep(0.01))
        entry = history[prompt_id]
        assert entry["prompt"][1] == prompt_id and entry["prompt"][2] == graph
        assert entry["prompt"][3] == {"client_id": "c"}
        assert entry["status"]["status_str"] == "success" and entry["status"]["completed"]
        events = [event for event, _ in entry["status"]["messages"]]
        assert events == ["execution_start", "execution_cached", "execution_success"]
        image = entry["outputs"]["9"]["images"][0]
        view = http.get("/view", params=image)
        assert view.headers["content-type"] == "image/png"
        png = Image.open(io.BytesIO(view.content))
        assert png.size == (64, 64)
        assert json.loads(png.info["prompt"]) == graph  # SaveImage's metadata chunk
        assert http.get("/view", params={**image, "filename": "../x.png"}).status_code == 400
        assert http.get("/view", params={**image, "filename": "none.png"}).status_code == 404
        assert http.get("/queue").json() == {"queue_running": [], "queue_pending": []}
        assert http.get("/prompt").json() == {"exec_info": {"queue_remaining": 0}}
        assert http.get("/history/unknown").json() == {}
        assert http.get("/api/history", params={"max_items": 1}).json().keys() == {prompt_id}


def test_interrupt_with_another_prompt_id_is_a_no_op(standin_factory: StandInFactory) -> None:
    standin = standin_factory(step_delay=0.05)
    prompt_id = str(uuid.uuid4())
    post_prompt(standin, {"prompt": build_workflow(SPEC), "prompt_id": prompt_id})
    with httpx.Client(base_url=standin.url, trust_env=False) as http:
        assert http.post("/interrupt", json={"prompt_id": "someone-else"}).status_code == 200
        for _ in range(200):
            if http.get(f"/history/{prompt_id}").json():
                break
            asyncio.run(asyncio.sleep(0.01))
    assert standin.stats().executed_prompts == [prompt_id]


def test_model_lists_and_object_info(standin: ComfyUIStandIn) -> None:
    with httpx.Client(base_url=standin.url, trust_env=False) as http:
        assert "checkpoints" in http.get("/models").json()
        assert http.get("/models/loras").json() == standin.models["loras"]
        assert http.get("/models/nope").status_code == 404
        info = http.get("/object_info/CheckpointLoaderSimple").json()
        choices = info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0]
        assert choices == standin.models["checkpoints"]
        assert http.get("/object_info/Nope").json() == {}
        assert info["CheckpointLoaderSimple"]["output"] == ["MODEL", "CLIP", "VAE"]


def test_runs_as_a_process_from_the_command_line() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.comfyui_standin",
            "--port",
            "0",
            "--models",
            "checkpoints=a.safetensors,b.safetensors",
            "--loras",
            "x.safetensors",
            "--step-delay",
            "0.001",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ComfyUI stand-in listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        with httpx.Client(base_url=url, trust_env=False) as http:
            assert http.get("/models/checkpoints").json() == ["a.safetensors", "b.safetensors"]
            assert http.get("/models/loras").json() == ["x.safetensors"]
            assert http.get("/_standin/behaviour").json()["step_delay"] == 0.001
            changed = http.post("/_standin/behaviour", json={"load_delay": 0.5}).json()
            assert changed["load_delay"] == 0.5
            assert http.post("/_standin/behaviour", json={"nope": 1}).status_code == 400
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize("path", ["/system_stats", "/api/system_stats"])
def test_system_stats(standin: ComfyUIStandIn, path: str) -> None:
    stats = httpx.get(standin.url + path, trust_env=False).json()
    assert stats["system"]["comfyui_version"] and stats["devices"][0]["type"] == "cpu"


def test_control_surface_changes_models_and_reports_timings(standin: ComfyUIStandIn) -> None:
    with httpx.Client(base_url=standin.url, trust_env=False) as http:
        changed = http.post("/_standin/models", json={"loras": ["new.safetensors"]}).json()
        assert changed["loras"] == ["new.safetensors"]
        assert http.get("/models/loras").json() == ["new.safetensors"]
        assert http.post("/_standin/models", json={"nope": []}).status_code == 400
        assert http.post("/_standin/models", json={"loras": "x"}).status_code == 400

        before = time.time()
        prompt_id = str(uuid.uuid4())
        post_prompt(standin, {"prompt": build_workflow(SPEC), "prompt_id": prompt_id})
        for _ in range(200):
            state = http.get("/_standin/state").json()
            if prompt_id in state["completed_at"]:
                break
            time.sleep(0.01)
        assert before <= state["succeeded_at_unix"][prompt_id] <= time.time()
        assert state["succeeded_at"][prompt_id] <= state["completed_at"][prompt_id]
        assert state["loaded_checkpoint"] == SPEC.checkpoint
        assert state["websocket_drops"] == state["refused_websockets"] == 0
