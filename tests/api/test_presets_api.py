"""/api/v1/presets: the guide's list, preset CRUD and resolution, against a real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.ids import unique_id

DEMO = "gaze-demo-sd15-tiny.safetensors"


def preset(preset_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": preset_id,
        "name": extra.pop("name", preset_id),
        "checkpoint": DEMO,
        "characters": {"mode": "random"},
        "outfits": {"mode": "random"},
        "scenes": {
            "mode": "random",
            "pool": {"kind": "tag", "key": "scene_type", "value": "outdoor"},
        },
        **extra,
    }


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code"}
    assert body["code"] == code
    message: str = body["error"]
    return message


# --- the guide's list --------------------------------------------------------------------------


def test_the_guide_list_keeps_its_shape_and_order(api: httpx.Client) -> None:
    favourite_id = unique_id("zz_favourite")
    assert api.post("/presets", json=preset(favourite_id, is_favourite=True)).status_code == 201
    body = api.get("/presets").json()
    assert list(body) == ["presets"], "no next_cursor without limit or cursor"
    for item in body["presets"]:
        assert list(item) == ["preset_id", "slug", "name", "has_cover"]
    example = next(item for item in body["presets"] if item["slug"] == "example_01")
    assert example == {
        "preset_id": "example_01",
        "slug": "example_01",
        "name": "Example Preset",
        "has_cover": True,
    }
    slugs = [item["slug"] for item in body["presets"]]
    favourites = api.get("/presets", params={"favourite": True}).json()["presets"]
    favourite_slugs = [item["slug"] for item in favourites]
    assert favourite_id in favourite_slugs
    assert slugs[: len(favourite_slugs)] == favourite_slugs, "favourites first"
    rest = body["presets"][len(favourite_slugs) :]
    assert [item["name"] for item in rest] == sorted(item["name"] for item in rest)
    assert api.delete(f"/presets/{favourite_id}").status_code == 204


def test_the_guide_list_pages_with_limit_or_cursor(api: httpx.Client) -> None:
    whole = [item["slug"] for item in api.get("/presets").json()["presets"]]
    seen: list[str] = []
    page = api.get("/presets", params={"limit": 2}).json()
    assert list(page) == ["presets", "next_cursor"]
    while True:
        seen += [item["slug"] for item in page["presets"]]
        if page["next_cursor"] is None:
            break
        page = api.get("/presets", params={"cursor": page["next_cursor"], "limit": 2}).json()
    assert seen == whole
    after_first = api.get("/presets", params={"limit": 1}).json()["next_cursor"]
    only_cursor = api.get("/presets", params={"cursor": after_first}).json()
    assert list(only_cursor) == ["presets", "next_cursor"]
    assert [item["slug"] for item in only_cursor["presets"]] == whole[1:51]


def test_the_guide_list_filters(api: httpx.Client) -> None:
    prefix = unique_id("filter")
    api.post("/presets", json=preset(f"{prefix}_a", name=f"{prefix} calm", tags={"mood": "calm"}))
    api.post("/presets", json=preset(f"{prefix}_b", name=f"{prefix} busy", is_nsfw=True))
    found = api.get("/presets", params={"q": prefix}).json()["presets"]
    assert [item["slug"] for item in found] == [f"{prefix}_b", f"{prefix}_a"]
    calm = api.get("/presets", params={"q": prefix, "tag": "mood:CALM"}).json()["presets"]
    assert [item["slug"] for item in calm] == [f"{prefix}_a"]
    safe = api.get("/presets", params={"q": prefix, "nsfw": "false"}).json()["presets"]
    assert [item["slug"] for item in safe] == [f"{prefix}_a"]
    assert error_of(api.get("/presets", params={"limit": 500}), 400, "invalid_request")
    assert error_of(api.get("/presets", params={"cursor": "bogus"}), 400, "invalid_cursor")


# --- CRUD -----------------------------------------------------------------------------------------


def test_a_preset_goes_through_its_whole_life(api: httpx.Client) -> None:
    preset_id = unique_id("Life_Preset")
    slug = preset_id
    created = api.post("/presets", json=preset(preset_id, name="Life"))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/api/v1/presets/{slug}"
    assert created.json()["slug"] == slug
    assert api.get(f"/presets/{slug}").json() == created.json()
    assert api.get(f"/presets/{preset_id}").json() == created.json(), "the id works too"

    replaced = api.put(f"/presets/{slug}", json={"name": "Life 2", "checkpoint": DEMO})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["characters"] == {
        "mode": "none",
        "id": None,
        "pool": None,
        "fields": None,
        "outfit": None,
    }
    patched = api.patch(f"/presets/{slug}", json={"orientation": "portrait", "cover": None})
    assert patched.json()["orientation"] == "portrait"
    assert patched.json()["name"] == "Life 2"
    listed = api.get("/presets", params={"q": preset_id}).json()["presets"]
    assert listed == [{"preset_id": preset_id, "slug": slug, "name": "Life 2", "has_cover": False}]

    assert api.delete(f"/presets/{slug}").status_code == 204
    error_of(api.get(f"/presets/{slug}"), 404, "preset_not_found")
    error_of(api.delete(f"/presets/{slug}"), 404, "preset_not_found")
    error_of(api.patch(f"/presets/{slug}", json={}), 404, "preset_not_found")


def test_a_preset_with_a_taken_id_is_409(api: httpx.Client) -> None:
    message = error_of(api.post("/presets", json=preset("example_01")), 409, "already_exists")
    assert "example_01" in message
    message = error_of(api.post("/presets", json=preset("example_01!")), 400, "invalid_document")
    assert "id: may only contain letters, digits and _" in message


def test_a_preset_naming_what_the_library_lacks_is_400(api: httpx.Client) -> None:
    document = preset(
        unique_id("dangling"),
        characters={"mode": "fixed", "id": "aria_vale", "outfit": "ballgown"},
        scenes={"mode": "random", "pool": {"kind": "list", "ids": ["night_market", "atlantis"]}},
        styles={"mode": "fixed", "id": "ink_sketch", "fields": ["style::nope"]},
        detailers={"mode": "fixed", "ids": ["sharp_details", "blurry_details"]},
    )
    message = error_of(api.post("/presets", json=document), 400, "unknown_reference")
    assert "characters.outfit: 'aria_vale' has no outfit 'ballgown'" in message
    assert "scenes.pool.ids[1]: no scene with id 'atlantis'" in message
    assert "styles.fields: 'ink_sketch' has no field 'style::nope'" in message
    assert "detailers.ids[1]: no detailer with id 'blurry_details'" in message


def test_an_invalid_preset_is_400_naming_every_problem(api: httpx.Client) -> None:
    document = preset(unique_id("bad"), width=100, steps=0, orientation="diagonal")
    message = error_of(api.post("/presets", json=document), 400, "invalid_document")
    assert message.startswith("Invalid preset: ")
    assert "width: must be a multiple of 8" in message
    assert "steps: Input should be greater than or equal to 1" in message
    assert "orientation: Input should be 'portrait', 'landscape' or 'square'" in message


# --- resolve --------------------------------------------------------------------------------------


def resolve(api: httpx.Client, slug: str, **body: Any) -> dict[str, Any]:
    response = api.post(f"/presets/{slug}/resolve", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_resolving_is_deterministic_per_seed(api: httpx.Client) -> None:
    slug = unique_id("resolve")
    api.post("/presets", json=preset(slug, positive="looking at viewer"))
    first = resolve(api, slug, seed=1234)
    assert resolve(api, slug, seed=1234) == first
    assert set(first) == {
        "preset_id",
        "slug",
        "seed",
        "prompt",
        "negative",
        "loras",
        "checkpoint",
        "width",
        "height",
        "choices",
        "spec",
    }
    assert first["seed"] == 1234
    assert first["checkpoint"] == DEMO
    assert (first["width"], first["height"]) == (512, 512)
    assert first["prompt"] == first["spec"]["positive"]
    assert first["prompt"].startswith("masterpiece, best quality"), "the checkpoint's prefix"
    assert first["prompt"].endswith("looking at viewer")
    assert [pick["mode"] for pick in first["choices"]["characters"]] == ["random"]
    picks = {
        (
            resolved["choices"]["characters"][0]["id"],
            resolved["choices"]["outfits"][0]["id"],
            resolved["choices"]["scenes"][0]["id"],
        )
        for resolved in (resolve(api, slug, seed=seed) for seed in range(12))
    }
    assert len(picks) > 1, "other seeds pick otherwise"


def test_resolving_applies_the_overrides(api: httpx.Client) -> None:
    resolved = resolve(
        api,
        "example_01",
        seed=7,
        width=64,
        height=96,
        extra_positive="smiling, outdoors",
        extra_negative="blurry, text",
        checkpoint=DEMO,
    )
    assert (resolved["width"], resolved["height"]) == (64, 96)
    assert resolved["choices"]["size"] == {"width": 64, "height": 96, "source": "override"}
    assert resolved["choices"]["checkpoint"] == {"path": DEMO, "source": "override"}
    assert resolved["prompt"].endswith("smiling, outdoors")
    assert resolved["negative"].endswith("blurry, watermark, text"), "tags are not repeated"


def test_resolving_without_a_seed_reports_the_seed_it_used(api: httpx.Client) -> None:
    picked = api.post("/presets/example_01/resolve").json()
    assert isinstance(picked["seed"], int) and 0 <= picked["seed"] < 2**53
    assert resolve(api, "example_01", seed=picked["seed"]) == picked


@pytest.mark.parametrize(
    ("body", "status", "code", "part"),
    [
        ({"seed": -1}, 400, "invalid_seed", "seed: must be an integer from 0"),
        ({"seed": "12"}, 400, "invalid_seed", "seed"),
        ({"seed": 2**64}, 400, "invalid_seed", "seed"),
        ({"width": 64}, 400, "invalid_size", "give both width and height"),
        ({"width": 65, "height": 64}, 400, "invalid_size", "multiple of 8"),
        ({"count": 2}, 400, "invalid_overrides", "count: unknown field"),
        ({"extra_positive": 3}, 400, "invalid_overrides", "extra_positive: must be a string"),
        ({"checkpoint": "../x.safetensors"}, 400, "invalid_overrides", "checkpoint: must not"),
        ({"checkpoint": "nope.safetensors"}, 400, "unknown_checkpoint", "not available"),
        ([1, 2], 400, "invalid_request", "must be a JSON object"),
    ],
)
def test_bad_resolve_requests_are_400(
    api: httpx.Client, body: Any, status: int, code: str, part: str
) -> None:
    assert part in error_of(api.post("/presets/example_01/resolve", json=body), status, code)


def test_resolving_an_unknown_or_unresolvable_preset_fails_clearly(api: httpx.Client) -> None:
    message = error_of(api.post("/presets/no_such_preset/resolve"), 404, "preset_not_found")
    assert "No preset with slug 'no_such_preset'" in message
    slug = unique_id("empty_pool")
    api.post(
        "/presets",
        json=preset(
            slug, scenes={"mode": "random", "pool": {"kind": "tag", "key": "k", "value": "v"}}
        ),
    )
    message = error_of(
        api.post(f"/presets/{slug}/resolve", json={"seed": 1}), 400, "preset_unresolvable"
    )
    assert "no scenes have the tag k='v'" in message
