"""/api/v1/images on a live server: the list with its filters and pages, latest and random,
one image, flags by merge patch, and deletion of the row, the file and the thumbnails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from devkit.server import GazeServer
from tests.support.gallery_images import add_gallery_image
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers

FILTERED = "images_api_a"
"""A preset id no preset has (like a deleted preset's): the filter tests' images."""
OTHER = "images_api_b"
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
IMAGE_FIELDS = {
    "id",
    "image_url",
    "relative_path",
    "thumbnails",
    "width",
    "height",
    "preset",
    "seed",
    "prompt",
    "created_at",
    "favourite",
    "nsfw",
    "job_id",
}


@dataclass(frozen=True)
class Gallery:
    server: GazeServer
    job: dict[str, Any]
    """A job of example_01 run on the embedded engine."""
    filtered: list[int]
    """The images of FILTERED, oldest first: one a minute from START."""
    favourites: set[int]
    with_aria: set[int]
    nsfw: set[int]


@pytest.fixture(scope="module")
def gallery(gaze_servers: GazeServers) -> Iterator[Gallery]:
    with gaze_servers.running(name="images_api", env=SHARED_SERVER_ENV) as server:
        job = server.generate_and_wait("example_01", seed=5, width=64, height=64)
        assert job["status"] == "done", job
        filtered: list[int] = []
        favourites: set[int] = set()
        with_aria: set[int] = set()
        nsfw: set[int] = set()
        for number in range(6):
            image_id = add_gallery_image(
                server.data_dir,
                f"presets/{FILTERED}/gen_{1767268800 + number}.png",
                seed=100 + number,
                preset_id=FILTERED,
                characters=["aria_vale"] if number % 2 else ["kenji_arata"],
                favourite=number in (1, 4),
                nsfw=number == 5,
                created_at=START + timedelta(minutes=number),
            )
            filtered.append(image_id)
            favourites |= {image_id} if number in (1, 4) else set()
            with_aria |= {image_id} if number % 2 else set()
            nsfw |= {image_id} if number == 5 else set()
        yield Gallery(server, job, filtered, favourites, with_aria, nsfw)


def images(gallery: Gallery, **params: Any) -> list[dict[str, Any]]:
    answer = gallery.server.get("/api/v1/images", params={"preset": FILTERED, **params})
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"images", "next_cursor"}
    return list(answer.json()["images"])


def ids(found: list[dict[str, Any]]) -> list[int]:
    return [image["id"] for image in found]


def test_a_generated_image_with_the_fields_a_gallery_needs(gallery: Gallery) -> None:
    server, job = gallery.server, gallery.job
    answer = server.get("/api/v1/images", params={"preset": "example_01"})
    assert answer.status_code == 200, answer.text
    [image] = answer.json()["images"]
    assert set(image) == IMAGE_FIELDS
    assert image["job_id"] == job["id"]
    assert image["image_url"] == job["result"]["image_url"]
    assert image["relative_path"] == job["result"]["relative_path"]
    assert image["seed"] == job["result"]["seed"] == 5
    assert (image["width"], image["height"]) == (64, 64)
    assert image["preset"] == {"id": "example_01", "slug": "example_01", "name": "Example Preset"}
    assert "silver hair" in image["prompt"]
    assert image["created_at"].endswith("Z")
    assert (image["favourite"], image["nsfw"]) == (False, False)
    assert set(image["thumbnails"]) == {"128", "256", "512", "1024"}
    for width, url in image["thumbnails"].items():
        assert url == f"/static/thumbs/{width}/{image['relative_path']}.webp"
    assert httpx.get(f"{server.url}{image['thumbnails']['128']}", timeout=30).status_code == 200
    assert httpx.get(f"{server.url}{image['image_url']}", timeout=30).status_code == 200
    one = server.get(f"/api/v1/images/{image['id']}")
    assert one.status_code == 200 and one.json() == image


def test_newest_first_and_a_deleted_presets_images_keep_its_id(gallery: Gallery) -> None:
    found = images(gallery)
    assert ids(found) == gallery.filtered[::-1]
    assert found[0]["preset"] == {"id": FILTERED, "slug": None, "name": None}
    assert found[0]["created_at"] == "2026-01-01T12:05:00Z"


def test_filters_combine(gallery: Gallery) -> None:
    everything = set(gallery.filtered)
    assert set(ids(images(gallery, favourite="true"))) == gallery.favourites
    assert set(ids(images(gallery, favourite="false"))) == everything - gallery.favourites
    assert set(ids(images(gallery, character="aria_vale"))) == gallery.with_aria
    assert set(ids(images(gallery, nsfw="true"))) == gallery.nsfw
    assert set(ids(images(gallery, nsfw="false"))) == everything - gallery.nsfw
    both = images(gallery, character="aria_vale", favourite="true")
    assert set(ids(both)) == gallery.with_aria & gallery.favourites
    assert images(gallery, character="nobody") == []
    assert images(gallery, preset="no_such_preset") == []


def test_since_takes_iso_8601_with_or_without_an_offset(gallery: Gallery) -> None:
    newest_three = gallery.filtered[3:][::-1]
    for since in ("2026-01-01T12:03:00Z", "2026-01-01T13:03:00+01:00", "2026-01-01T12:03:00"):
        assert ids(images(gallery, since=since)) == newest_three, since
    assert images(gallery, since="2026-01-02T00:00:00Z") == []


def test_pages_follow_the_cursor_to_the_end(gallery: Gallery) -> None:
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"preset": FILTERED, "limit": 4, **({"cursor": cursor} if cursor else {})}
        answer = gallery.server.get("/api/v1/images", params=params).json()
        seen += ids(answer["images"])
        pages += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (gallery.filtered[::-1], 2)


def test_bad_list_parameters_are_400s_naming_them(gallery: Gallery) -> None:
    cases = {
        "limit=0": "limit",
        "limit=201": "limit",
        "favourite=maybe": "favourite",
        "since=yesterday": "since",
        "since=9999-12-31T23:59:59-23:59": "since",
        "cursor=bm9wZQ": "cursor",
        "cursor=%FF%FE": "cursor",
    }
    for query, named in cases.items():
        answer = gallery.server.get(f"/api/v1/images?{query}")
        assert answer.status_code == 400, (query, answer.text)
        assert named in answer.json()["error"], (query, answer.json())


def test_latest_and_random_for_dashboards(gallery: Gallery) -> None:
    server = gallery.server
    latest = server.get("/api/v1/images/latest", params={"preset": FILTERED})
    assert latest.status_code == 200 and latest.json()["id"] == gallery.filtered[-1]
    latest_favourite = server.get(
        "/api/v1/images/latest", params={"preset": FILTERED, "favourite": "true"}
    )
    assert latest_favourite.json()["id"] == max(gallery.favourites)
    picked = set()
    for _ in range(40):
        answer = server.get(
            "/api/v1/images/random", params={"preset": FILTERED, "favourite": "true"}
        )
        assert answer.status_code == 200, answer.text
        assert set(answer.json()) == IMAGE_FIELDS
        picked.add(answer.json()["id"])
    assert picked == gallery.favourites
    for _ in range(10):
        aria = server.get(
            "/api/v1/images/random", params={"preset": FILTERED, "character": "aria_vale"}
        )
        assert aria.json()["id"] in gallery.with_aria
    for route in ("latest", "random"):
        answer = server.get(f"/api/v1/images/{route}", params={"preset": "no_such_preset"})
        assert answer.status_code == 404
        assert answer.json()["code"] == "no_image"


def test_patch_sets_and_resets_flags(gallery: Gallery) -> None:
    server = gallery.server
    image_id = add_gallery_image(
        server.data_dir, f"presets/{OTHER}/gen_1767268900.png", preset_id=OTHER
    )
    url = f"{server.url}/api/v1/images/{image_id}"

    def patch(body: Any, **headers: str) -> httpx.Response:
        return httpx.patch(url, json=body, headers={**server.headers, **headers}, timeout=30)

    answer = patch({"favourite": True})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["favourite"], answer.json()["nsfw"]) == (True, False)
    answer = patch({"nsfw": True}, **{"Content-Type": "application/merge-patch+json"})
    assert (answer.json()["favourite"], answer.json()["nsfw"]) == (True, True)
    assert patch({}).json()["favourite"] is True
    answer = patch({"favourite": None})
    assert (answer.json()["favourite"], answer.json()["nsfw"]) == (False, True)
    assert server.get(f"/api/v1/images/{image_id}").json()["nsfw"] is True


def test_patch_refuses_what_it_does_not_know(gallery: Gallery) -> None:
    server = gallery.server
    image_id = gallery.filtered[0]
    url = f"{server.url}/api/v1/images/{image_id}"
    refused = {
        b'{"favourite": true, "colour": "red", "size": 1}': ("unknown_field", "colour, size"),
        b'{"nsfw": "yes"}': ("invalid_field", "nsfw"),
        b'{"favourite": 1}': ("invalid_field", "favourite"),
        b"[true]": ("invalid_body", "JSON object"),
        b"{nope": ("invalid_json", "JSON"),
    }
    for body, (code, named) in refused.items():
        answer = httpx.patch(url, content=body, headers=server.headers, timeout=30)
        assert answer.status_code == 400, body
        assert answer.json()["code"] == code and named in answer.json()["error"], body
    assert server.get(f"/api/v1/images/{image_id}").json()["favourite"] is False
    for missing in ("999999", "2147483647"):
        answer = httpx.patch(
            f"{server.url}/api/v1/images/{missing}",
            json={"favourite": True},
            headers=server.headers,
            timeout=30,
        )
        assert answer.status_code == 404 and answer.json()["code"] == "image_not_found"
    for bad_id in ("0", "-1", "abc", "2147483648", "99999999999999999999"):
        answer = server.get(f"/api/v1/images/{bad_id}")
        assert answer.status_code == 400, (bad_id, answer.text)


def test_delete_removes_the_row_the_file_and_the_thumbnails(gallery: Gallery) -> None:
    server = gallery.server
    relative = f"presets/{OTHER}/gen_1767268901.png"
    image_id = add_gallery_image(server.data_dir, relative, width=300, height=200, preset_id=OTHER)
    image = server.get(f"/api/v1/images/{image_id}").json()
    for url in image["thumbnails"].values():
        assert httpx.get(f"{server.url}{url}", timeout=30).status_code == 200
    cache = server.data_dir / "cache" / "thumbs"
    made = [cache / width / f"{relative}.webp" for width in image["thumbnails"]]
    assert all(path.is_file() for path in made)
    answer = httpx.delete(f"{server.url}/api/v1/images/{image_id}", headers=server.headers)
    assert answer.status_code == 204 and answer.content == b""
    assert not (server.data_dir / "uploads" / relative).exists()
    assert not any(path.exists() for path in made)
    assert httpx.get(f"{server.url}{image['image_url']}", timeout=30).status_code == 404
    assert httpx.get(f"{server.url}{image['thumbnails']['256']}", timeout=30).status_code == 404
    assert server.get(f"/api/v1/images/{image_id}").status_code == 404
    again = httpx.delete(f"{server.url}/api/v1/images/{image_id}", headers=server.headers)
    assert again.status_code == 404 and again.json()["code"] == "image_not_found"


def test_every_route_needs_the_api_key(gallery: Gallery) -> None:
    server = gallery.server
    image_id = gallery.filtered[0]
    routes = [
        ("GET", "/api/v1/images"),
        ("GET", "/api/v1/images/latest"),
        ("GET", "/api/v1/images/random"),
        ("GET", f"/api/v1/images/{image_id}"),
        ("PATCH", f"/api/v1/images/{image_id}"),
        ("DELETE", f"/api/v1/images/{image_id}"),
    ]
    for method, path in routes:
        for headers, status in (({}, 401), ({"X-API-Key": "gz_wrong"}, 403)):
            answer = httpx.request(
                method, f"{server.url}{path}", headers=headers, json={}, timeout=30
            )
            assert answer.status_code == status, (method, path)
    assert server.get(f"/api/v1/images/{image_id}").status_code == 200
