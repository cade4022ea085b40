"""/api/v1/<category>: resources over HTTP against a real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devkit.server import GazeServer
from gaze.library.schema import CATEGORIES
from tests.support.ids import unique_id


def scene(scene_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": scene_id,
        "name": extra.pop("name", scene_id.replace("_", " ").title()),
        "fields": {"scene": {"place": "beach, sand", "light": "sunset"}},
        "default_fields": ["scene::place"],
        **extra,
    }


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code"}
    assert body["code"] == code
    message: str = body["error"]
    return message


# --- create, read, replace, patch, delete ------------------------------------------------------


def test_a_resource_goes_through_its_whole_life(api: httpx.Client) -> None:
    scene_id = unique_id("scene")
    created = api.post("/scenes", json=scene(scene_id, tags={"scene_type": "outdoor"}))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/api/v1/scenes/{scene_id}"
    document = created.json()
    assert document["id"] == scene_id
    assert document["slug"] == scene_id
    assert document["is_favourite"] is False
    assert api.get(f"/scenes/{scene_id}").json() == document

    replaced = api.put(
        f"/scenes/{scene_id}",
        json={"name": "Moonlit Beach", "fields": {"scene": {"place": "beach"}}},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["name"] == "Moonlit Beach"
    assert replaced.json()["tags"] == {}, "PUT replaces the whole document"
    assert replaced.json()["default_fields"] == []

    patched = api.patch(
        f"/scenes/{scene_id}",
        json={"tags": {"mood": "calm"}, "is_favourite": True, "description": "by night"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["fields"] == {"scene": {"place": "beach"}}, "untouched fields stay"
    assert patched.json()["tags"] == {"mood": "calm"}
    again = api.patch(f"/scenes/{scene_id}", json={"description": None, "tags": {"era": "now"}})
    assert again.json()["description"] == "", "null resets a field to its default"
    assert again.json()["tags"] == {"mood": "calm", "era": "now"}, "objects are merged"

    listed = api.get("/scenes", params={"q": scene_id}).json()["items"]
    assert listed == [
        {
            "id": scene_id,
            "category": "scenes",
            "slug": scene_id,
            "name": "Moonlit Beach",
            "tags": {"mood": "calm", "era": "now"},
            "is_favourite": True,
            "is_nsfw": False,
            "cover": None,
            "cover_url": None,
        }
    ], "the row's columns follow the document"

    assert api.delete(f"/scenes/{scene_id}").status_code == 204
    error_of(api.get(f"/scenes/{scene_id}"), 404, "scene_not_found")
    error_of(api.delete(f"/scenes/{scene_id}"), 404, "scene_not_found")


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_has_create_read_and_delete(api: httpx.Client, category: str) -> None:
    resource_id = unique_id(category)
    created = api.post(f"/{category}", json={"id": resource_id, "name": "Minimal"})
    assert created.status_code == 201, created.text
    assert api.get(f"/{category}/{resource_id}").json()["name"] == "Minimal"
    assert api.get(f"/{category}", params={"q": resource_id}).json()["items"][0]["id"] == (
        resource_id
    )
    assert api.delete(f"/{category}/{resource_id}").status_code == 204


def test_a_resource_slug_is_its_id(api: httpx.Client) -> None:
    resource_id = unique_id("Sunny_Beach_v2")
    assert api.post("/scenes", json=scene(resource_id)).status_code == 201
    assert api.get(f"/scenes/{resource_id}").json()["slug"] == resource_id
    assert api.delete(f"/scenes/{resource_id}").status_code == 204


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"id": "x1"}, ["name: Field required"]),
        ({"id": "x2", "name": "", "colour": "red"}, ["name: must not be empty", "colour: Extra"]),
        (
            {"id": "x3", "name": "X", "lora": {"file": "../up.safetensors", "weight": 20}},
            ["lora.file: must not contain", "lora.weight: must be a finite number"],
        ),
        (
            {"id": "x4", "name": "X", "default_fields": ["scene::missing"]},
            ["default_fields[0]: 'scene::missing' is not a field of this resource"],
        ),
        ({"id": "a/b", "name": "X"}, ["id: may only contain letters, digits and _"]),
        ({"id": "x5", "name": "X", "is_nsfw": "yes"}, ["is_nsfw: Input should be a valid boolean"]),
        (["not", "an", "object"], ["(document): must be a JSON object, got list"]),
    ],
)
def test_invalid_documents_are_400_naming_every_problem(
    api: httpx.Client, body: Any, expected: list[str]
) -> None:
    message = error_of(api.post("/scenes", json=body), 400, "invalid_document")
    assert message.startswith("Invalid scene: ")
    for part in expected:
        assert part in message


def test_bodies_that_are_not_json_are_400(api: httpx.Client) -> None:
    message = error_of(api.post("/looks", content=b"{'id': 1}"), 400, "invalid_json")
    assert "not valid JSON" in message
    error_of(api.post("/looks", content=b""), 400, "missing_body")
    error_of(api.patch("/looks/anything", content=b"[1"), 400, "invalid_json")


def test_a_taken_id_or_slug_is_409(api: httpx.Client) -> None:
    scene_id = unique_id("taken")
    assert api.post("/scenes", json=scene(scene_id)).status_code == 201
    message = error_of(api.post("/scenes", json=scene(scene_id)), 409, "already_exists")
    assert scene_id in message
    clash = scene_id.replace("_", "_-", 1)  # would have had the same slug: no longer an id
    message = error_of(api.post("/scenes", json=scene(clash)), 400, "invalid_document")
    assert "id: may only contain letters, digits and _" in message
    assert api.post("/actions", json=scene(scene_id)).status_code == 201, "ids are per category"


def test_unknown_resources_are_404_for_every_method(api: httpx.Client) -> None:
    missing = unique_id("missing")
    for response in (
        api.get(f"/outfits/{missing}"),
        api.put(f"/outfits/{missing}", json={"name": "X"}),
        api.patch(f"/outfits/{missing}", json={"name": "X"}),
        api.delete(f"/outfits/{missing}"),
    ):
        assert missing in error_of(response, 404, "outfit_not_found")


def test_the_id_of_a_resource_cannot_change(api: httpx.Client) -> None:
    scene_id = unique_id("fixed")
    api.post("/scenes", json=scene(scene_id))
    message = error_of(api.put(f"/scenes/{scene_id}", json=scene("another_id")), 400, "id_mismatch")
    assert "duplicate" in message
    error_of(api.patch(f"/scenes/{scene_id}", json={"id": "other"}), 400, "id_mismatch")
    error_of(api.patch(f"/scenes/{scene_id}", json=["not", "a", "patch"]), 400, "invalid_document")


def test_a_resource_used_by_presets_cannot_be_deleted(api: httpx.Client) -> None:
    scene_id = unique_id("used")
    api.post("/scenes", json=scene(scene_id))
    fixed, pooled = unique_id("fixed_user"), unique_id("pool_user")
    preset = {"checkpoint": "gaze-demo-sd15-tiny.safetensors"}
    assert (
        api.post(
            "/presets",
            json={
                **preset,
                "id": fixed,
                "name": "Fixed",
                "scenes": {"mode": "fixed", "id": scene_id},
            },
        ).status_code
        == 201
    )
    pool = {"mode": "random", "pool": {"kind": "list", "ids": ["night_market", scene_id]}}
    assert (
        api.post("/presets", json={**preset, "id": pooled, "name": "Pool", "scenes": pool})
    ).status_code == 201

    message = error_of(api.delete(f"/scenes/{scene_id}"), 409, "in_use")
    assert f"preset {fixed!r} (Fixed)" in message
    assert f"preset {pooled!r} (Pool)" in message
    assert api.get(f"/scenes/{scene_id}").status_code == 200, "nothing was deleted"

    assert api.delete(f"/presets/{fixed}").status_code == 204
    assert api.delete(f"/presets/{pooled}").status_code == 204
    assert api.delete(f"/scenes/{scene_id}").status_code == 204


def test_an_outfit_worn_by_a_character_cannot_be_deleted(api: httpx.Client) -> None:
    outfit_id, character_id = unique_id("gown"), unique_id("wearer")
    api.post("/outfits", json={"id": outfit_id, "name": "Gown"})
    character = {
        "id": character_id,
        "name": "Wearer",
        "wardrobe": {"party": {"outfit_id": outfit_id}},
        "active_outfit": "party",
    }
    assert api.post("/characters", json=character).status_code == 201
    message = error_of(api.delete(f"/outfits/{outfit_id}"), 409, "in_use")
    assert f"character {character_id!r} (wardrobe outfit 'party')" in message


def test_a_wardrobe_must_name_existing_outfits(api: httpx.Client) -> None:
    character = {
        "id": unique_id("char"),
        "name": "Char",
        "wardrobe": {"party": {"outfit_id": "no_such_outfit"}},
        "active_outfit": "party",
    }
    message = error_of(api.post("/characters", json=character), 400, "unknown_reference")
    assert "wardrobe.party.outfit_id: no outfit with id 'no_such_outfit'" in message


def test_every_library_route_needs_the_api_key(library_server: GazeServer) -> None:
    base = f"{library_server.url}/api/v1"
    assert httpx.get(f"{base}/characters").status_code == 401
    assert httpx.get(f"{base}/characters/aria_vale").status_code == 401
    assert httpx.post(f"{base}/scenes", json=scene("x")).status_code == 401
    assert httpx.delete(f"{base}/scenes/night_market").status_code == 401
    wrong = {"X-API-Key": "gz_wrong"}
    assert httpx.get(f"{base}/styles", headers=wrong).status_code == 403


# --- lists ----------------------------------------------------------------------------------------


def make_actions(api: httpx.Client, prefix: str, specs: list[dict[str, Any]]) -> None:
    for number, spec in enumerate(specs):
        body = {"id": f"{prefix}_{number}", "name": f"{prefix} {spec.pop('name')}", **spec}
        assert api.post("/actions", json=body).status_code == 201


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_lists_filter_by_text_tag_and_flags_favourites_first(api: httpx.Client) -> None:
    prefix = unique_id("act")
    make_actions(
        api,
        prefix,
        [
            {"name": "delta", "tags": {"pose": "Standing"}},
            {"name": "alpha", "tags": {"pose": ["sitting", "relaxed"]}, "is_nsfw": True},
            {"name": "charlie", "tags": {"pose": "standing"}, "is_favourite": True},
            {"name": "bravo", "tags": {"mood": "standing"}},
            {"name": "echo", "is_favourite": True, "is_nsfw": True},
        ],
    )
    every = ids(api.get("/actions", params={"q": prefix.upper()}))
    assert every == [f"{prefix}_2", f"{prefix}_4", f"{prefix}_1", f"{prefix}_3", f"{prefix}_0"]
    standing = api.get("/actions", params={"q": prefix, "tag": "pose:STANDING"})
    assert ids(standing) == [f"{prefix}_2", f"{prefix}_0"], "case-insensitive, by key"
    listed = api.get("/actions", params={"q": prefix, "tag": "pose:relaxed"})
    assert ids(listed) == [f"{prefix}_1"], "a list-valued tag matches any of its values"
    both = api.get("/actions", params=[("q", prefix), ("tag", "pose:sitting"), ("tag", "pose:x")])
    assert both.status_code == 400, "a key given twice"
    assert ids(api.get("/actions", params={"q": prefix, "favourite": "true"})) == [
        f"{prefix}_2",
        f"{prefix}_4",
    ]
    assert ids(api.get("/actions", params={"q": prefix, "nsfw": "false"})) == [
        f"{prefix}_2",
        f"{prefix}_3",
        f"{prefix}_0",
    ]
    assert ids(api.get("/actions", params={"q": prefix, "nsfw": "true", "favourite": "false"})) == [
        f"{prefix}_1"
    ]
    assert ids(api.get("/actions", params={"q": f"{prefix} ALPHA"})) == [f"{prefix}_1"]
    assert ids(api.get("/actions", params={"q": "%_no_such_thing_%"})) == []


def walk(api: httpx.Client, path: str, **params: Any) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = api.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        assert list(body) == ["items", "next_cursor"]
        assert len(body["items"]) <= params["limit"]
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def test_cursor_pages_cover_every_item_once_in_order(api: httpx.Client) -> None:
    prefix = unique_id("page")
    names = ["k", "b", "f", "b", "a", "z", "m"]  # two share a name: the id breaks the tie
    make_actions(
        api, prefix, [{"name": name, "is_favourite": n in (2, 5)} for n, name in enumerate(names)]
    )
    whole = ids(api.get("/actions", params={"q": prefix, "limit": 200}))
    assert len(whole) == 7
    assert whole[:2] == [f"{prefix}_2", f"{prefix}_5"]
    assert whole[2:5] == [f"{prefix}_4", f"{prefix}_1", f"{prefix}_3"]
    for limit in (1, 2, 3, 7):
        assert walk(api, "/actions", q=prefix, limit=limit) == whole


def test_pages_stay_stable_while_items_are_added(api: httpx.Client) -> None:
    prefix = unique_id("stable")
    make_actions(api, prefix, [{"name": name} for name in ("b", "d", "f", "h")])
    first = api.get("/actions", params={"q": prefix, "limit": 2}).json()
    assert [item["id"] for item in first["items"]] == [f"{prefix}_0", f"{prefix}_1"]
    make_actions(api, f"{prefix}x", [{"name": "a"}])  # sorts before the cursor ("... a")
    rest = api.get("/actions", params={"q": prefix, "limit": 2, "cursor": first["next_cursor"]})
    assert ids(rest) == [f"{prefix}_2", f"{prefix}_3"]


def test_a_tag_filter_pages_through_many_non_matching_rows(api: httpx.Client) -> None:
    prefix = unique_id("sparse")
    specs = [{"name": f"{n:03d}", "tags": {"hit": "yes"} if n % 9 == 0 else {}} for n in range(30)]
    make_actions(api, prefix, specs)
    hits = walk(api, "/actions", q=prefix, tag="hit:yes", limit=1)
    assert hits == [f"{prefix}_{n}" for n in range(0, 30, 9)]


@pytest.mark.parametrize(
    ("params", "code", "part"),
    [
        ({"limit": 0}, "invalid_request", "limit"),
        ({"limit": 201}, "invalid_request", "limit"),
        ({"limit": "ten"}, "invalid_request", "limit"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor", "cursor"),
        ({"cursor": "WzAsImEiXQ"}, "invalid_cursor", "cursor"),
        ({"tag": "no_colon"}, "invalid_filter", "'no_colon' is not key:value"),
        ({"tag": ":value"}, "invalid_filter", "is not key:value"),
        ({"favourite": "maybe"}, "invalid_request", "favourite"),
        ({"q": "x" * 201}, "invalid_request", "q"),
    ],
)
def test_bad_list_parameters_are_400(
    api: httpx.Client, params: dict[str, Any], code: str, part: str
) -> None:
    assert part in error_of(api.get("/characters", params=params), 400, code)
