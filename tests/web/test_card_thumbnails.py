"""Preset and library cards and search results show thumbnails (256/512 px WebP), never the
full images: a page of cards loads no file from /static/uploads."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, Response

from devkit.server import GazeServer
from tests.support.gallery_images import add_gallery_image, noise_png

RECENT = "presets/example_04/gen_1700000100.png"
"""The newest image of a preset without a cover: its card shows it, dimmed."""


def post_cover(
    server: GazeServer, form_path: str, *, seed: int | None = None
) -> dict[str, str | None]:
    """Send the page's cover form: a 900 x 900 upload made from `seed`, or (None) remove."""
    upload = {"upload": ("cover.png", noise_png(900, 900, seed=seed), "image/png")}
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.get(form_path.removesuffix("/cover"))
        token = {"csrf_token": client.cookies["gaze_csrf"]}
        answer = client.post(
            form_path,
            data=token if seed is not None else {**token, "remove": "1"},
            files=upload if seed is not None else None,
            headers={"Accept": "application/json"},
        )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def upload_cover(server: GazeServer, form_path: str, seed: int) -> str:
    """Upload a cover; its path in the media folder."""
    return str(post_cover(server, form_path, seed=seed)["cover"])


@pytest.fixture(scope="module")
def covers(ui_server: GazeServer) -> Iterator[dict[str, str]]:
    add_gallery_image(
        ui_server.data_dir,
        RECENT,
        width=768,
        height=768,
        seed=21,
        preset_id="example_04",
        prompt="example street at dusk",
    )
    assert post_cover(ui_server, "/presets/example_04/cover")["cover"] is None
    yield {
        "preset": upload_cover(ui_server, "/presets/example_01/cover", seed=22),
        "character": upload_cover(ui_server, "/library/characters/aria_vale/cover", seed=23),
    }


def shown_sources(page: Page, selector: str) -> list[str]:
    """Where each image matching `selector` was loaded from, once all have loaded."""
    images = page.locator(selector)
    assert images.count() > 0, selector
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
        )
    return [str(source) for source in images.evaluate_all("all => all.map(i => i.currentSrc)")]


class Requests:
    """The URLs a page asked for, and the answers' statuses."""

    def __init__(self, page: Page) -> None:
        self.statuses: dict[str, int] = {}
        page.on("response", self.record)

    def record(self, response: Response) -> None:
        self.statuses[response.url] = response.status

    def full_images(self) -> list[str]:
        return [url for url in self.statuses if "/static/uploads/" in url]

    def failed_thumbnails(self) -> list[str]:
        return [
            url
            for url, status in self.statuses.items()
            if "/static/thumbs/" in url and status != 200
        ]


def thumb_prefix(server: GazeServer, relative_path: str) -> str:
    return f"{server.url}/static/thumbs/256/{relative_path}.webp"


def test_the_presets_page_loads_only_thumbnails(
    page: Page, ui_server: GazeServer, covers: dict[str, str]
) -> None:
    requests = Requests(page)
    page.goto("/")
    cover = page.locator("#preset-cards .card", has_text="Example Preset").locator("img")
    assert cover.get_attribute("src") == f"/static/uploads/{covers['preset']}"
    sources = shown_sources(page, "#preset-cards .card .cover img")
    assert thumb_prefix(ui_server, covers["preset"]) in sources
    assert thumb_prefix(ui_server, RECENT) in sources
    assert all("/static/thumbs/256/" in source for source in sources), sources
    assert requests.full_images() == []
    assert requests.failed_thumbnails() == []


def test_the_library_cards_load_only_thumbnails(
    page: Page, ui_server: GazeServer, covers: dict[str, str]
) -> None:
    requests = Requests(page)
    page.goto("/library/characters")
    sources = shown_sources(page, "#resource-cards .card .cover img")
    assert thumb_prefix(ui_server, covers["character"]) in sources
    assert all("/static/thumbs/256/" in source for source in sources), sources
    assert requests.full_images() == []
    assert requests.failed_thumbnails() == []


def test_search_results_load_only_thumbnails(
    page: Page, ui_server: GazeServer, covers: dict[str, str]
) -> None:
    requests = Requests(page)
    page.goto("/search?q=example")
    shown = shown_sources(page, ".search-list img") + shown_sources(page, ".gallery .thumb img")
    assert thumb_prefix(ui_server, covers["preset"]) in shown
    assert thumb_prefix(ui_server, RECENT) in shown
    page.goto("/search?q=aria")
    shown = shown_sources(page, ".search-list img")
    assert thumb_prefix(ui_server, covers["character"]) in shown
    assert requests.full_images() == []
    assert requests.failed_thumbnails() == []
