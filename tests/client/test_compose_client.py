"""The client's slot overrides, compose, resolve and save-as-preset against a live server
(sync and asyncio)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from devkit.server import GazeServer
from gaze.client import AsyncGazeClient, GazeApiError, GazeClient
from gaze.client.calls import compose_call, generate_call
from tests.support.ids import unique_id

RECIPE: dict[str, Any] = {
    "slots": {"characters": "aria_vale", "outfits": "rain_jacket"},
    "checkpoint": "gaze-demo-sd15-tiny.safetensors",
    "width": 64,
    "height": 64,
    "steps": 2,
}
WAIT_SECONDS = 240


def test_slots_none_turns_a_slot_off_in_the_body() -> None:
    assert generate_call("p", slots={"scenes": None}).json == {"slots": {"scenes": None}}
    assert "slots" not in (generate_call("p").json or {})
    call = compose_call(RECIPE, seed=3, idempotency_key="k")
    assert call.path == "/api/v1/generate" and call.json == {"recipe": RECIPE, "seed": 3}
    assert call.headers == {"Idempotency-Key": "k"}


def test_sync_slots_resolve_compose_and_save(server: GazeServer) -> None:
    with GazeClient(server.url, server.api_key) as gaze:
        slots = {"characters": "mira_holt", "scenes": None}
        resolved = gaze.resolve("example_01", seed=8, slots=slots)
        assert [pick["id"] for pick in resolved["choices"]["characters"]] == ["mira_holt"]
        assert resolved["choices"]["scenes"] == []
        queued = gaze.generate("example_01", seed=8, slots=slots, width=64, height=64)
        assert gaze.wait(queued.job_ids[0], timeout=WAIT_SECONDS).status == "done"
        composed = gaze.compose(RECIPE, seed=5)
        job = gaze.wait(composed.job_ids[0], timeout=WAIT_SECONDS)
        assert job.status == "done" and job.label == "Composed: Aria Vale, Rain Jacket"
        assert job.result is not None and job.result.seed == 5
        predicted = gaze.resolve_recipe(RECIPE, seed=5)
        assert predicted["preset_id"] == "composed"
        name = unique_id("Client recipe")
        saved = gaze.save_recipe(RECIPE, name)
        assert saved["name"] == name
        assert gaze.resolve(saved["slug"], seed=5)["spec"] == predicted["spec"]
        with pytest.raises(GazeApiError) as refused:
            gaze.generate("example_01", slots={"characters": "nobody"})
        assert refused.value.code == "unknown_slot_ids"
        assert "slots.characters" in str(refused.value)


def test_async_compose_and_resolve(server: GazeServer) -> None:
    async def scenario() -> None:
        async with AsyncGazeClient(server.url, server.api_key) as gaze:
            resolved = await gaze.resolve_recipe(RECIPE, seed=11)
            queued = await gaze.compose(RECIPE, seed=11)
            job = await gaze.wait(queued.job_ids[0], timeout=WAIT_SECONDS)
            assert job.status == "done"
            assert job.label == "Composed: Aria Vale, Rain Jacket"
            assert resolved["seed"] == 11
            again = await gaze.resolve("example_01", seed=2, slots={"outfits": "evening_gown"})
            assert [pick["id"] for pick in again["choices"]["outfits"]] == ["evening_gown"]
            saved = await gaze.save_recipe(RECIPE, unique_id("Async recipe"))
            assert saved["characters"]["id"] == "aria_vale"

    asyncio.run(scenario())
