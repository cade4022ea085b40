"""`gaze serve --no-worker` never imports torch, diffusers or transformers (issue 18, part 3).

The server runs with a `sitecustomize` that refuses those imports and writes down every attempt,
so a route that needed them would answer 500 and the attempt would be on record even where the
code catches the ImportError. With the embedded engine configured but no worker in the process,
the API still lists checkpoints, LoRAs, samplers and schedulers, and queues jobs that stay
pending.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devkit.server import GazeServer
from devkit.tiny_lora import kohya_training_metadata, write_tiny_lora
from gaze.examples import DEMO_CHECKPOINT
from gaze.sampling.names import SCHEDULER_NAMES
from gaze.sampling.registry import SAMPLER_NAMES
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers

REFUSED = ("torch", "diffusers", "transformers")

REFUSING_SITECUSTOMIZE = f"""
import os
import sys

REFUSED = {REFUSED!r}


class RefuseHeavyImports:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in REFUSED:
            with open(os.environ["IMPORT_REFUSAL_LOG"], "a") as log:
                log.write(name + "\\n")
            raise ImportError(f"{{name}} is refused in this API-only process")
        return None


sys.meta_path.insert(0, RefuseHeavyImports())
"""

UI_PAGES = (
    "/",
    "/presets/example_01",
    "/library/characters",
    "/library/characters/new",
    "/library/styles",
    "/gallery",
    "/queue",
    "/generator",
    "/generator?from=example_01",
    "/grids",
    "/grids/new",
    "/settings",
    "/checkpoints",
    "/pnginfo",
    "/search",
)

API_LISTS = (
    "/presets",
    "/presets/example_01",
    "/characters",
    "/styles",
    "/wordlists",
    "/images",
    "/jobs",
    "/queue",
    "/tags",
)


class ApiOnlyServer:
    def __init__(self, server: GazeServer, refusal_log: Path) -> None:
        self.server = server
        self.refusal_log = refusal_log

    def refused_imports(self) -> list[str]:
        """The refused module names the process tried to import so far."""
        if not self.refusal_log.exists():
            return []
        return self.refusal_log.read_text().split()


def _refusing_env(folder: Path) -> dict[str, str]:
    (folder / "sitecustomize.py").write_text(REFUSING_SITECUSTOMIZE)
    return {
        **SHARED_SERVER_ENV,
        "PYTHONPATH": str(folder),
        "IMPORT_REFUSAL_LOG": str(folder / "refused.log"),
    }


@pytest.fixture(scope="module")
def api_only(
    gaze_servers: GazeServers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiOnlyServer]:
    folder = tmp_path_factory.mktemp("refuse_torch")
    env = _refusing_env(folder)
    with gaze_servers.running("--no-worker", name="api_only", env=env) as server:
        write_tiny_lora(
            server.data_dir / "models" / "loras" / "api_only.safetensors",
            "sd1",
            metadata=kohya_training_metadata("sd1"),
        )
        yield ApiOnlyServer(server, folder / "refused.log")


@pytest.fixture(scope="module")
def client(api_only: ApiOnlyServer) -> Iterator[httpx.Client]:
    server = api_only.server
    with httpx.Client(
        base_url=f"{server.url}/api/v1", headers=server.headers, timeout=60
    ) as client:
        yield client


def test_the_embedded_backend_is_listed_from_files_and_pure_data(
    client: httpx.Client, api_only: ApiOnlyServer
) -> None:
    (backend,) = client.get("/backends").json()["backends"]
    assert (backend["name"], backend["up"]) == ("local", True)
    assert backend["samplers"] == list(SAMPLER_NAMES)
    assert backend["schedulers"] == list(SCHEDULER_NAMES)
    checkpoints = client.get("/checkpoints").json()["checkpoints"]
    assert DEMO_CHECKPOINT in [item["path"] for item in checkpoints]
    lora = next(item for item in client.get("/loras").json()["loras"] if item["name"] == "api_only")
    assert lora["backends"] == ["local"]
    assert lora["metadata"]["trigger_words"] == ["gazestyle", "1girl", "watercolor"]
    assert api_only.refused_imports() == []


def test_generate_queues_a_job_that_stays_pending_without_a_worker(
    client: httpx.Client, api_only: ApiOnlyServer
) -> None:
    queued = client.post("/generate/example_01", json={"seed": 7, "count": 2})
    assert queued.status_code == 202, queued.text
    jobs = queued.json()["jobs"]
    assert [job["status"] for job in jobs] == ["queued", "queued"]
    for job in jobs:
        polled = client.get(f"/job/{job['job_id']}")
        assert polled.status_code == 200
        assert polled.json()["status"] == "pending"
    batch = client.get(f"/batch/{queued.json()['batch_id']}")
    assert batch.status_code == 200
    resolved = client.post("/presets/example_01/resolve", json={"seed": 7})
    assert resolved.status_code == 200
    assert api_only.refused_imports() == []


def test_requests_the_backend_cannot_run_are_refused_by_name(
    client: httpx.Client, api_only: ApiOnlyServer
) -> None:
    missing = client.post("/generate/example_01", json={"checkpoint": "absent/model.safetensors"})
    assert 400 <= missing.status_code < 500
    assert "absent/model.safetensors" in missing.json()["error"]
    recipe = {"checkpoint": DEMO_CHECKPOINT, "positive": "a lighthouse", "width": 64, "height": 64}
    sampler = client.post("/generate", json={"recipe": {**recipe, "sampler": "no_such_sampler"}})
    assert sampler.status_code == 400
    assert "sampler 'no_such_sampler'" in sampler.json()["error"]
    runnable = client.post("/generate", json={"recipe": {**recipe, "sampler": "dpmpp_2m"}})
    assert runnable.status_code == 202, runnable.text
    assert api_only.refused_imports() == []


@pytest.mark.parametrize("path", API_LISTS)
def test_api_lists_answer(client: httpx.Client, api_only: ApiOnlyServer, path: str) -> None:
    assert client.get(path).status_code == 200
    assert api_only.refused_imports() == []


@pytest.mark.parametrize("path", UI_PAGES)
def test_ui_pages_answer(api_only: ApiOnlyServer, path: str) -> None:
    page = api_only.server.get(path, follow_redirects=True)
    assert page.status_code == 200, page.text[:500]
    assert "text/html" in page.headers["content-type"]
    assert api_only.refused_imports() == []


def test_a_fresh_data_folder_is_served_without_writing_the_demo_checkpoint(
    gaze_servers: GazeServers, tmp_path: Path
) -> None:
    env = _refusing_env(tmp_path)
    data_dir = tmp_path / "data"
    with gaze_servers.running("--no-worker", data_dir=data_dir, env=env) as server:
        presets = server.get("/api/v1/presets")
        checkpoints = server.get("/api/v1/checkpoints").json()["checkpoints"]
    assert presets.status_code == 200
    assert [item["path"] for item in checkpoints if item["backends"]] == []
    assert not (data_dir / "models" / "checkpoints" / DEMO_CHECKPOINT).exists()
    said = (tmp_path / f"server-{server.port}.log").read_text()
    assert "an API-only process does not write the demo checkpoint" in said
    assert not (tmp_path / "refused.log").exists()
