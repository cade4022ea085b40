"""POST /api/v1/<category>/<id>/move against a real server."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.ids import unique_id

CHECKPOINT = "gaze-demo-sd15-tiny.safetensors"


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code"}
    assert body["code"] == code
    message: str = body["error"]
    return message


def outfit(api: httpx.Client, **extra: Any) -> str:
    outfit_id = unique_id("coat")
    created = api.post(
        "/outfits",
        json={
            "id": outfit_id,
            "name": "Rain Coat",
            "fields": {"outfit": {"top": "yellow raincoat", "shoes": "boots"}},
            "default_fields": ["outfit::top"],
            "tags": {"outfit_type": "outdoor"},
            "lora": {"file": "rain.safetensors", "weight": 0.7},
            **extra,
        },
    )
    assert created.status_code == 201, created.text
    return outfit_id


def preset_with(api: httpx.Client, **slots: Any) -> str:
    preset_id = unique_id("moving")
    created = api.post(
        "/presets",
        json={"id": preset_id, "name": preset_id, "checkpoint": CHECKPOINT, **slots},
    )
    assert created.status_code == 201, created.text
    return preset_id


def test_moving_answers_the_resource_as_the_library_shows_it(api: httpx.Client) -> None:
    outfit_id = outfit(api)
    moved = api.post(f"/outfits/{outfit_id}/move", json={"to": "looks"})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["resource"] == api.get(f"/looks/{outfit_id}").json()
    assert body["category"] == "looks"
    assert body["dropped"] == [] and body["presets_updated"] == []
    assert body["kept"][:2] == ["outfit::top", "outfit::shoes"]
    assert body["resource"]["lora"]["file"] == "rain.safetensors"
    assert body["resource"]["tags"] == {"outfit_type": "outdoor"}
    error_of(api.get(f"/outfits/{outfit_id}"), 404, "outfit_not_found")


def test_a_detailer_moved_reports_its_dropped_prompt_tags(api: httpx.Client) -> None:
    detailer_id = unique_id("sharp")
    api.post(
        "/detailers",
        json={"id": detailer_id, "name": "Sharp", "prompt_tags": ["sharp focus"]},
    ).raise_for_status()
    moved = api.post(f"/detailers/{detailer_id}/move", json={"to": "styles"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["dropped"] == ["prompt_tags"]


def test_a_dry_run_changes_nothing(api: httpx.Client) -> None:
    outfit_id = outfit(api)
    preset_id = preset_with(api, outfits={"mode": "fixed", "id": outfit_id})
    before = api.get(f"/presets/{preset_id}").json()
    answer = api.post(
        f"/outfits/{outfit_id}/move",
        json={"to": "looks", "dry_run": True, "update_presets": True},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["dry_run"] is True
    assert [preset["id"] for preset in answer.json()["presets_updated"]] == [preset_id]
    assert api.get(f"/outfits/{outfit_id}").status_code == 200
    assert api.get(f"/looks/{outfit_id}").status_code == 404
    assert api.get(f"/presets/{preset_id}").json() == before


def test_presets_refuse_the_move_by_name_unless_updated(api: httpx.Client) -> None:
    outfit_id = outfit(api)
    first = preset_with(api, outfits={"mode": "fixed", "id": outfit_id})
    second = preset_with(
        api, outfits={"mode": "random", "pool": {"kind": "list", "ids": [outfit_id]}}
    )
    message = error_of(
        api.post(f"/outfits/{outfit_id}/move", json={"to": "looks"}),
        409,
        "used_by_presets",
    )
    assert f"preset {first!r}" in message and f"preset {second!r}" in message
    assert api.get(f"/outfits/{outfit_id}").status_code == 200

    moved = api.post(f"/outfits/{outfit_id}/move", json={"to": "looks", "update_presets": True})
    assert moved.status_code == 200, moved.text
    assert sorted(preset["id"] for preset in moved.json()["presets_updated"]) == sorted(
        [first, second]
    )
    for preset_id in (first, second):
        stored = api.get(f"/presets/{preset_id}").json()
        assert stored["outfits"]["mode"] == "none"
        assert (stored["looks"]["mode"], stored["looks"]["id"]) == ("fixed", outfit_id)
        resolved = api.post(f"/presets/{preset_id}/resolve", json={"seed": 11})
        assert resolved.status_code == 200, resolved.text
        assert "yellow raincoat" in resolved.json()["prompt"]
        assert any(lora["name"] == "rain.safetensors" for lora in resolved.json()["loras"])


def test_a_used_target_slot_is_a_409_naming_the_preset(api: httpx.Client) -> None:
    outfit_id = outfit(api)
    look_id = unique_id("look")
    api.post("/looks", json={"id": look_id, "name": "Look"}).raise_for_status()
    preset_id = preset_with(
        api,
        outfits={"mode": "fixed", "id": outfit_id},
        looks={"mode": "fixed", "id": look_id},
    )
    message = error_of(
        api.post(f"/outfits/{outfit_id}/move", json={"to": "looks", "update_presets": True}),
        409,
        "preset_conflict",
    )
    assert f"preset {preset_id!r}" in message and f"fixed {look_id!r}" in message


def test_an_id_collision_is_a_409_and_new_id_resolves_it(api: httpx.Client) -> None:
    outfit_id = outfit(api)
    api.post("/looks", json={"id": outfit_id, "name": "Twin"}).raise_for_status()
    message = error_of(
        api.post(f"/outfits/{outfit_id}/move", json={"to": "looks"}),
        409,
        "already_exists",
    )
    assert repr(outfit_id) in message
    new_id = unique_id("look")
    moved = api.post(f"/outfits/{outfit_id}/move", json={"to": "looks", "new_id": new_id})
    assert moved.status_code == 200, moved.text
    assert moved.json()["resource"]["id"] == new_id
    assert api.get(f"/looks/{new_id}").status_code == 200


def test_bad_moves_are_4xx_naming_the_problem(api: httpx.Client) -> None:
    outfit_id = outfit(api)
    url = f"/outfits/{outfit_id}/move"
    assert "'hats'" in error_of(api.post(url, json={"to": "hats"}), 400, "unknown_category")
    error_of(api.post(url, json={"to": "outfits"}), 400, "same_category")
    assert api.post("/hats/x/move", json={"to": "looks"}).status_code == 404  # no such route
    assert "to: required" in error_of(api.post(url, json={}), 400, "invalid_request")
    assert "update_presets" in error_of(
        api.post(url, json={"to": "looks", "update_presets": "yes"}), 400, "invalid_request"
    )
    error_of(api.post(url, content=b""), 400, "missing_body")
    missing = unique_id("nothing")
    assert repr(missing) in error_of(
        api.post(f"/outfits/{missing}/move", json={"to": "looks"}),
        404,
        "outfit_not_found",
    )


def test_moving_needs_the_api_key(api: httpx.Client) -> None:
    outfit_id = outfit(api)
    anonymous = httpx.post(
        f"{str(api.base_url).rstrip('/')}/outfits/{outfit_id}/move", json={"to": "looks"}
    )
    assert anonymous.status_code == 401
