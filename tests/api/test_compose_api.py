"""Slot overrides, resolve with every generate field, composing from a recipe and saving a
recipe as a preset, through the API. Most tests use a server without a worker (queued jobs stay
pending, so each job's spec and resolution are read back from the store)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.jobs.store import JobStore
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers
from tests.support.ids import unique_id

DEMO = "gaze-demo-sd15-tiny.safetensors"
RECIPE: dict[str, Any] = {
    "slots": {"characters": "aria_vale", "outfits": "rain_jacket", "scenes": {"mode": "random"}},
    "checkpoint": DEMO,
    "width": 64,
    "height": 64,
    "steps": 2,
    "positive": "smiling",
}


@pytest.fixture(scope="module")
def idle_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    with gaze_servers.running("--no-worker", name="compose", env=SHARED_SERVER_ENV) as server:
        yield server


@pytest.fixture(scope="module")
def store(idle_server: GazeServer) -> JobStore:
    return JobStore(Database(f"sqlite:///{idle_server.data_dir / 'gaze.db'}"))


def refused(response: httpx.Response, code: str, *parts: str) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == code, body
    for part in parts:
        assert part in body["error"], body
    message: str = body["error"]
    return message


def queued(server: GazeServer, store: JobStore, path: str, body: dict[str, Any]) -> list[Any]:
    response = server.post(path, json=body)
    assert response.status_code == 202, response.text
    rows = [store.get(job["job_id"]) for job in response.json()["jobs"]]
    assert all(row is not None for row in rows)
    return rows


def picks(resolved: dict[str, Any], category: str) -> list[str]:
    return [pick["id"] for pick in resolved["choices"][category]]


def test_slot_overrides_on_generate_and_resolve(idle_server: GazeServer, store: JobStore) -> None:
    slots = {
        "characters": "mira_holt",
        "outfits": {"mode": "random", "pool": {"kind": "list", "ids": ["evening_gown"]}},
        "scenes": None,
    }
    resolved = idle_server.post(
        "/api/v1/presets/example_01/resolve", json={"seed": 5, "slots": slots}
    ).json()
    assert picks(resolved, "characters") == ["mira_holt"]
    assert picks(resolved, "outfits") == ["evening_gown"]
    assert picks(resolved, "scenes") == []
    [row] = queued(idle_server, store, "/api/v1/generate/example_01", {"seed": 5, "slots": slots})
    assert row.spec == resolved["spec"]
    request = row.resolution.pop("request")
    assert row.resolution == resolved["choices"]
    assert request == {  # what the PNG needs to ask for the same image again
        "slots": {
            "characters": {"mode": "fixed", "id": "mira_holt"},
            "outfits": {"mode": "random", "pool": {"kind": "list", "ids": ["evening_gown"]}},
            "scenes": {"mode": "none"},
        }
    }
    assert row.label == "Preset: Example Preset – preview"


def test_slots_not_named_keep_the_presets(idle_server: GazeServer) -> None:
    plain = idle_server.post("/api/v1/presets/example_01/resolve", json={"seed": 9}).json()
    changed = idle_server.post(
        "/api/v1/presets/example_01/resolve", json={"seed": 9, "slots": {"scenes": None}}
    ).json()
    assert picks(changed, "characters") == picks(plain, "characters") == ["aria_vale"]
    assert picks(changed, "outfits") == picks(plain, "outfits")
    assert picks(plain, "scenes") and not picks(changed, "scenes")


@pytest.mark.parametrize(
    "path", ["/api/v1/generate/example_01", "/api/v1/presets/example_01/resolve"]
)
@pytest.mark.parametrize(
    ("slots", "code", "parts"),
    [
        ({"weapons": "x"}, "invalid_slots", ("slots.weapons: unknown category",)),
        ({"characters": 4}, "invalid_slots", ("slots.characters: must be a resource id",)),
        ({"outfits": {"mode": "fixed"}}, "invalid_slots", ("slots.outfits.id",)),
        ([], "invalid_slots", ("slots: must be an object",)),
        (
            {"characters": "nobody", "outfits": "nothing"},
            "unknown_slot_ids",
            ("slots.characters: unknown characters id 'nobody'", "'nothing'"),
        ),
    ],
)
def test_bad_slot_overrides_are_400_naming_them(
    idle_server: GazeServer, path: str, slots: Any, code: str, parts: tuple[str, ...]
) -> None:
    refused(idle_server.post(path, json={"seed": 1, "slots": slots}), code, *parts)


def test_preset_resolve_takes_every_field_that_changes_the_result(
    idle_server: GazeServer, store: JobStore
) -> None:
    body = {
        "seed": 77,
        "width": 128,
        "height": 64,
        "extra_positive": "at dusk",
        "hires": {"scale": 2, "denoise": 0.4, "steps": 3},
    }
    resolved = idle_server.post("/api/v1/presets/example_01/resolve", json=body).json()
    assert resolved["spec"]["hires"]["scale"] == 2
    assert (resolved["width"], resolved["height"]) == (128, 64)
    [row] = queued(idle_server, store, "/api/v1/generate/example_01", body)
    assert row.spec == resolved["spec"]
    with_hires = "/api/v1/presets/example_01/resolve"
    preset = idle_server.get("/api/v1/presets/example_01").json()
    slug = unique_id("hires_preset")
    idle_server.post("/api/v1/presets", json={**preset, "id": slug, "slug": "", "hires": {}})
    assert idle_server.post(f"/api/v1/presets/{slug}/resolve", json={"seed": 1}).json()["spec"][
        "hires"
    ]
    off = idle_server.post(f"/api/v1/presets/{slug}/resolve", json={"seed": 1, "hires": None})
    assert off.json()["spec"]["hires"] is None
    refused(idle_server.post(with_hires, json={"mask": "inputs/x.png"}), "mask_without_init_image")


def test_compose_queues_labelled_jobs_that_match_resolve(
    idle_server: GazeServer, store: JobStore
) -> None:
    body = {"recipe": RECIPE, "seed": 40, "count": 2}
    rows = queued(idle_server, store, "/api/v1/generate", body)
    assert [row.label for row in rows] == ["Composed: Aria Vale, Rain Jacket"] * 2
    assert rows[0].preset_id is None
    resolved = idle_server.post("/api/v1/resolve", json={"recipe": RECIPE, "seed": 41}).json()
    assert resolved["preset_id"] == resolved["slug"] == "composed"
    request = rows[1].resolution.pop("request")
    assert rows[1].spec == resolved["spec"] and rows[1].resolution == resolved["choices"]
    # The recipe, normalised, rides along so the PNG alone can ask for the image again.
    again = idle_server.post("/api/v1/resolve", json={"recipe": request["recipe"], "seed": 41})
    assert again.json()["spec"] == resolved["spec"]
    assert resolved["prompt"].endswith("smiling")
    [random] = queued(
        idle_server,
        store,
        "/api/v1/generate",
        {"recipe": {"characters": {"mode": "random"}, "checkpoint": DEMO}},
    )
    assert random.label == "Composed: random"


@pytest.mark.parametrize("path", ["/api/v1/generate", "/api/v1/resolve"])
def test_bad_recipes_are_400_naming_the_field(idle_server: GazeServer, path: str) -> None:
    refused(idle_server.post(path, json={"seed": 1}), "missing_recipe", "recipe: required")
    refused(idle_server.post(path, json={"recipe": 3}), "invalid_recipe", "recipe: must be")
    refused(
        idle_server.post(path, json={"recipe": {"steps": "many", "checkpoint": DEMO}}),
        "invalid_recipe",
        "recipe.steps",
    )
    refused(
        idle_server.post(path, json={"recipe": {"characters": "nobody", "outfits": "no"}}),
        "unknown_slot_ids",
        "recipe.characters: unknown characters id 'nobody'",
        "recipe.outfits: unknown outfits id 'no'",
    )
    refused(
        idle_server.post(path, json={"recipe": RECIPE, "cuont": 2}),
        "unknown_field" if path.endswith("generate") else "invalid_overrides",
        "cuont",
    )
    refused(
        idle_server.post(path, json={"recipe": {"characters": "aria_vale"}}),
        "preset_unresolvable",
        "no checkpoint",
    )


def test_compose_with_an_idempotency_key_queues_once(idle_server: GazeServer) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"recipe": RECIPE, "count": 2}
    first = idle_server.post("/api/v1/generate", json=body, headers=key)
    again = idle_server.post("/api/v1/generate", json=body, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = idle_server.post("/api/v1/generate", json={**body, "count": 1}, headers=key)
    assert other.status_code == 409


def test_a_recipe_is_saved_as_a_preset_in_one_call(idle_server: GazeServer) -> None:
    name = unique_id("Saved recipe")
    response = idle_server.post(
        "/api/v1/presets/from-recipe", json={"recipe": RECIPE, "name": name}
    )
    assert response.status_code == 201, response.text
    saved = response.json()
    assert saved["name"] == name and saved["characters"] == {
        "mode": "fixed",
        "id": "aria_vale",
        "pool": None,
        "fields": None,
        "outfit": None,
    }
    assert response.headers["Location"].endswith(f"/api/v1/presets/{saved['slug']}")
    from_recipe = idle_server.post("/api/v1/resolve", json={"recipe": RECIPE, "seed": 3}).json()
    from_preset = idle_server.post(
        f"/api/v1/presets/{saved['slug']}/resolve", json={"seed": 3}
    ).json()
    assert from_preset["spec"] == from_recipe["spec"]
    again = idle_server.post("/api/v1/presets/from-recipe", json={"recipe": RECIPE, "name": name})
    assert again.status_code == 409
    refused(
        idle_server.post("/api/v1/presets/from-recipe", json={"recipe": RECIPE}),
        "invalid_request",
        "name: required",
    )


def test_composed_jobs_run_to_done(server: GazeServer) -> None:
    response = server.post("/api/v1/generate", json={"recipe": RECIPE, "count": 2, "seed": 3})
    assert response.status_code == 202, response.text
    for queued_job in response.json()["jobs"]:
        job = server.wait_for_job(queued_job["job_id"])
        assert job["status"] == "done", job
        assert job["label"] == "Composed: Aria Vale, Rain Jacket"
        assert job["result"]["relative_path"].startswith("composed/")
