"""Thumbnails at /static/thumbs/<width>/<relative_path>.webp on a live server: their sizes,
the disk cache, ETag and Cache-Control, refused paths, concurrent first requests, and the
gallery's cards loading them in the browser."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from devkit.server import GazeServer
from tests.support.gallery_images import add_gallery_image, noise_png, write_media_file
from tests.support.gaze_servers import SHARED_SERVER_ENV, GazeServers
from tests.support.raw_http import exchange, status_of
from tests.web.browser import chromium

WIDE = "presets/thumbs_test/gen_1700000000.png"
"""1024 x 768: every width is a reduction."""
SMALL = "presets/thumbs_test/gen_1700000001.png"
"""100 x 50: never enlarged."""
COVER = "presets/thumbs_test/cover.png"
"""A name GAZE may write again (a preset's cover)."""


@pytest.fixture(scope="module")
def thumbs_server(gaze_servers: GazeServers) -> Iterator[GazeServer]:
    with gaze_servers.running(name="thumbs", env=SHARED_SERVER_ENV) as running:
        add_gallery_image(running.data_dir, WIDE, width=1024, height=768, seed=7)
        add_gallery_image(running.data_dir, SMALL, width=100, height=50, seed=8)
        write_media_file(running.data_dir, COVER, noise_png(300, 300, seed=9))
        yield running


def thumb(
    server: GazeServer, width: int | str, relative_path: str, **headers: str
) -> httpx.Response:
    return httpx.get(
        f"{server.url}/static/thumbs/{width}/{relative_path}.webp", headers=headers, timeout=60
    )


def webp_size(response: httpx.Response) -> tuple[int, int]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "WEBP"
        return image.size


def cached_file(server: GazeServer, width: int, relative_path: str) -> Path:
    return server.data_dir / "cache" / "thumbs" / str(width) / f"{relative_path}.webp"


def test_each_width_scales_the_image_keeping_its_aspect(thumbs_server: GazeServer) -> None:
    for width in (128, 256, 512, 1024):
        assert webp_size(thumb(thumbs_server, width, WIDE)) == (width, width * 3 // 4)
    assert webp_size(thumb(thumbs_server, 256, SMALL)) == (100, 50)


def test_a_thumbnail_is_made_once_then_read_from_the_cache(thumbs_server: GazeServer) -> None:
    first = thumb(thumbs_server, 512, WIDE)
    assert first.status_code == 200
    cached = cached_file(thumbs_server, 512, WIDE)
    made = cached.stat()
    source = thumbs_server.data_dir / "uploads" / WIDE
    assert made.st_mtime_ns == source.stat().st_mtime_ns
    again = thumb(thumbs_server, 512, WIDE)
    assert again.content == first.content == cached.read_bytes()
    assert again.headers["etag"] == first.headers["etag"]
    assert (cached.stat().st_ino, cached.stat().st_mtime_ns) == (made.st_ino, made.st_mtime_ns)


def test_etag_and_cache_control(thumbs_server: GazeServer) -> None:
    answer = thumb(thumbs_server, 256, WIDE)
    etag = answer.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        unchanged = thumb(thumbs_server, 256, WIDE, **{"If-None-Match": if_none_match})
        assert unchanged.status_code == 304, if_none_match
        assert unchanged.content == b""
        assert unchanged.headers["etag"] == etag
        assert unchanged.headers["cache-control"] == answer.headers["cache-control"]
    assert thumb(thumbs_server, 256, WIDE, **{"If-None-Match": '"other"'}).status_code == 200
    assert thumb(thumbs_server, 128, WIDE).headers["etag"] != etag  # one per width
    head = httpx.head(f"{thumbs_server.url}/static/thumbs/256/{WIDE}.webp", timeout=30)
    assert head.status_code == 200 and head.headers["etag"] == etag


def test_a_replaced_file_gets_a_new_thumbnail_and_etag(thumbs_server: GazeServer) -> None:
    before = thumb(thumbs_server, 128, COVER)
    assert webp_size(before) == (128, 128)
    assert before.headers["cache-control"] == "public, max-age=300"
    source = thumbs_server.data_dir / "uploads" / COVER
    stamp = source.stat().st_mtime_ns
    source.write_bytes(noise_png(200, 100, seed=10))
    os.utime(source, ns=(stamp + 10**9, stamp + 10**9))
    after = thumb(thumbs_server, 128, COVER, **{"If-None-Match": before.headers["etag"]})
    assert webp_size(after) == (128, 64)
    assert after.headers["etag"] != before.headers["etag"]


def test_widths_other_than_the_four_are_not_found(thumbs_server: GazeServer) -> None:
    for width in ("100", "0", "2048", "abc", "256.0", "%C2%B2", "99999999999"):
        answer = thumb(thumbs_server, width, WIDE)
        assert answer.status_code == 404, width
        assert answer.json()["code"] == "unknown_thumbnail_width"


def test_paths_outside_the_media_folder_are_refused(thumbs_server: GazeServer) -> None:
    secret = thumbs_server.data_dir / "gaze.db"
    os.symlink(secret, thumbs_server.data_dir / "uploads" / "escape.png")
    os.symlink(thumbs_server.data_dir, thumbs_server.data_dir / "uploads" / "outside")
    (thumbs_server.data_dir / "private.png").write_bytes(noise_png(64, 64))
    refused = {
        "/static/thumbs/256/%2e%2e/gaze.db.webp": 400,
        "/static/thumbs/256/presets/%2E%2E/%2e%2e/gaze.db.webp": 400,
        "/static/thumbs/256/..%2fgaze.db.webp": 400,
        "/static/thumbs/256/%2fetc/passwd.webp": 400,
        "/static/thumbs/256//etc/hostname.webp": 400,
        "/static/thumbs/256/presets%00/x.png.webp": 400,
        "/static/thumbs/256/presets\\..\\gaze.db.webp": 400,
        "/static/thumbs/256/escape.png.webp": 404,
        "/static/thumbs/256/outside/gaze.db.webp": 404,
        "/static/thumbs/256/outside/private.png.webp": 404,
        "/static/thumbs/256/presets/thumbs_test/missing.png.webp": 404,
        f"/static/thumbs/256/{WIDE}": 404,
        "/static/thumbs/256/.webp": 400,
    }
    for path, status in refused.items():
        answer = httpx.get(f"{thumbs_server.url}{path}", timeout=30)
        assert answer.status_code == status, (path, answer.text)
        assert answer.json()["code"], path
        assert b"SQLite" not in answer.content
    raw = exchange(
        thumbs_server.port,
        b"GET /static/thumbs/256/../../gaze.db.webp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert status_of(raw) in (400, 404) and b"SQLite" not in raw
    assert not (thumbs_server.data_dir / "cache" / "thumbs" / "256" / "outside").exists()


def test_a_file_that_is_not_an_image_is_not_found(thumbs_server: GazeServer) -> None:
    write_media_file(thumbs_server.data_dir, "presets/thumbs_test/broken.png", b"not a png")
    answer = thumb(thumbs_server, 256, "presets/thumbs_test/broken.png")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_an_image"


def test_concurrent_first_requests_all_get_the_same_whole_thumbnail(
    thumbs_server: GazeServer,
) -> None:
    relative = "presets/thumbs_race/gen_1700000002.png"
    add_gallery_image(thumbs_server.data_dir, relative, width=768, height=768, seed=11)
    answers: list[httpx.Response] = []
    start = threading.Barrier(8)

    def fetch() -> None:
        start.wait()
        answers.append(thumb(thumbs_server, 1024, relative))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 8
    assert {webp_size(answer) for answer in answers} == {(768, 768)}
    assert len({answer.content for answer in answers}) == 1
    folder = cached_file(thumbs_server, 1024, relative).parent
    assert [path.name for path in folder.iterdir()] == [f"{Path(relative).name}.webp"]


def test_the_gallery_cards_load_thumbnails_not_the_full_images(
    thumbs_server: GazeServer,
) -> None:
    requested: list[str] = []
    with chromium() as browser:
        page = browser.new_page(base_url=thumbs_server.url)
        page.on("request", lambda request: requested.append(request.url))
        page.goto("/gallery")
        card = page.locator(f'#gallery-grid .thumb img[src="/static/uploads/{WIDE}"]')
        card.scroll_into_view_if_needed()
        page.wait_for_function(
            "image => image.complete && image.naturalWidth > 0", arg=card.element_handle()
        )
        shown = card.evaluate("image => image.currentSrc")
        full_images = [url for url in requested if "/static/uploads/" in url]
        card.click()  # the lightbox opens on the thumbnail, then shows the full image
        expect(page.locator("[data-lightbox] [data-lb-image]")).to_have_attribute(
            "src", f"/static/uploads/{WIDE}"
        )
    assert shown.startswith(f"{thumbs_server.url}/static/thumbs/256/{WIDE}.webp"), shown
    assert full_images == []
