"""Text from outside obeys one set of rules (valid Unicode, length limits, id characters), and
row ids out of range are 404, all through a real server."""

from __future__ import annotations

import httpx
import pytest

from devkit.server import GazeServer
from gaze.library.text_rules import MAX_TAG_LENGTH
from gaze.web.row_ids import MAX_ROW_ID

SURROGATE = '"a\\ud800"'
"""A lone surrogate as JSON writes it; httpx cannot encode one, so bodies are sent as bytes."""


def send(server: GazeServer, method: str, path: str, body: str) -> httpx.Response:
    headers = {**server.headers, "Content-Type": "application/json"}
    return httpx.request(
        method, f"{server.url}{path}", content=body.encode(), headers=headers, timeout=60
    )


def refused(answer: httpx.Response, *words: str) -> str:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    for word in words:
        assert word in error, error
    return error


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/api/v1/scenes", '{"id": "s1", "name": %s}', "name"),
        (
            "POST",
            "/api/v1/scenes",
            '{"id": "s2", "name": "S", "tags": {"t": ["a", "b", %s]}}',
            "tags.t[2]",
        ),
        (
            "POST",
            "/api/v1/scenes",
            '{"id": "s3", "name": "S", "fields": {"scene": {"place": %s}}}',
            "fields.scene.place",
        ),
        ("PATCH", "/api/v1/presets/example_01", '{"positive": %s}', "positive"),
        ("POST", "/api/v1/presets", '{"id": "p1", "name": %s}', "name"),
        ("POST", "/api/v1/presets/example_01/resolve", '{"extra_positive": %s}', "extra_positive"),
        ("POST", "/api/v1/generate/example_01", '{"extra_negative": %s}', "extra_negative"),
        ("POST", "/api/v1/generate/example_01", '{"webhook_url": %s}', "webhook_url"),
        (
            "PATCH",
            "/api/v1/checkpoints/gaze-demo-sd15-tiny.safetensors",
            '{"prefix": %s}',
            "prefix",
        ),
    ],
)
def test_a_lone_surrogate_is_a_400_naming_the_field(
    edge_server: GazeServer, method: str, path: str, body: str, field: str
) -> None:
    answer = send(edge_server, method, path, body % SURROGATE)
    refused(answer, field, "lone surrogate")


def test_a_10000_character_tag_is_refused_everywhere(edge_server: GazeServer) -> None:
    tag = "x" * 10_000
    scene = f'{{"id": "long_tag", "name": "S", "fields": {{"scene": {{"place": "{tag}"}}}}}}'
    refused(send(edge_server, "POST", "/api/v1/scenes", scene), "fields.scene.place", "8000")
    one_tag = "y" * (MAX_TAG_LENGTH + 1)
    scene = f'{{"id": "long_tag", "name": "S", "fields": {{"scene": {{"place": "a, {one_tag}"}}}}}}'
    refused(send(edge_server, "POST", "/api/v1/scenes", scene), "fields.scene.place", "tag")
    tags = f'{{"id": "long_tag", "name": "S", "tags": {{"type": "{one_tag}"}}}}'
    refused(send(edge_server, "POST", "/api/v1/scenes", tags), "tags.type", str(MAX_TAG_LENGTH))
    name = '{"id": "long_name", "name": "%s"}' % ("n" * 121)
    refused(send(edge_server, "POST", "/api/v1/presets", name), "name", "120")
    extra = f'{{"extra_positive": "{one_tag}"}}'
    refused(send(edge_server, "POST", "/api/v1/generate/example_01", extra), "extra_positive")


@pytest.mark.parametrize("bad_id", ["Bad Char!", "a-b", "caf\\u00e9", "x.y"])
def test_ids_outside_letters_digits_and_underscore_are_refused(
    edge_server: GazeServer, bad_id: str
) -> None:
    resource = f'{{"id": "{bad_id}", "name": "Bad"}}'
    refused(send(edge_server, "POST", "/api/v1/scenes", resource), "id: may only contain")
    preset = f'{{"id": "{bad_id}", "name": "Bad"}}'
    refused(send(edge_server, "POST", "/api/v1/presets", preset), "id: may only contain")


def test_the_web_forms_refuse_a_bad_id_and_the_api_a_bad_rename(edge_server: GazeServer) -> None:
    with httpx.Client(base_url=edge_server.url, timeout=60) as client:
        client.get("/")
        token = client.cookies["gaze_csrf"]
        created = client.post(
            "/library/scenes/new", data={"csrf_token": token, "id": "Bad Char!", "name": "Bad"}
        )
        assert "may only contain letters, digits and _" in created.text
        assert client.get("/api/v1/scenes/BadChar", headers=edge_server.headers).status_code == 404
        preset = client.post(
            "/presets/new", data={"csrf_token": token, "id": "Bad Char!", "name": "Bad"}
        )
        assert "may only contain letters, digits and _" in preset.text
        good = client.post(
            "/library/scenes/new", data={"csrf_token": token, "id": "renamed_ok", "name": "Ok"}
        )
        assert good.status_code in (200, 303), good.text
    api = httpx.get(f"{edge_server.url}/api/v1/scenes/renamed_ok", headers=edge_server.headers)
    assert api.status_code == 200 and api.json()["id"] == "renamed_ok"
    rename = send(edge_server, "PATCH", "/api/v1/scenes/renamed_ok", '{"id": "Bad Char!"}')
    refused(rename, "id: ")


@pytest.mark.parametrize(
    "image_id", ["99999999999999999999", str(MAX_ROW_ID + 1), "0", "-1", "007", str(MAX_ROW_ID)]
)
def test_image_ids_out_of_range_or_unknown_are_404(edge_server: GazeServer, image_id: str) -> None:
    with httpx.Client(base_url=edge_server.url, timeout=60) as client:
        client.get("/")
        token = client.cookies["gaze_csrf"]
        for path in (f"/ui/images/{image_id}", f"/gallery/{image_id}"):
            assert client.get(path).status_code == 404, path
        for action in ("flags", "delete", "reproduce", "vary", "cover"):
            answer = client.post(f"/gallery/{image_id}/{action}", data={"csrf_token": token})
            assert answer.status_code == 404, (action, answer.text)
        assert client.get("/gallery", params={"before": image_id}).status_code == 200


def test_invalid_utf8_in_paths_and_queries_is_not_a_500(edge_server: GazeServer) -> None:
    for path in (
        "/api/v1/presets/a%ED%A0%80",
        "/api/v1/scenes/a%ED%A0%80",
        "/api/v1/scenes?q=%ED%A0%80",
        "/api/v1/presets?q=%ED%A0%80",
    ):
        answer = httpx.get(f"{edge_server.url}{path}", headers=edge_server.headers, timeout=60)
        assert answer.status_code in (200, 404), (path, answer.status_code, answer.text)


@pytest.mark.parametrize("event_id", ["99999999999999999999", "9223372036854775808", "²", "-1"])
def test_event_ids_out_of_range_are_a_400_or_ignored_never_a_500(
    edge_server: GazeServer, event_id: str
) -> None:
    api = httpx.get(
        f"{edge_server.url}/api/v1/events",
        params={"last_event_id": event_id},
        headers=edge_server.headers,
        timeout=60,
    )
    assert api.status_code in (400, 422), api.text
    with httpx.stream(
        "GET",
        f"{edge_server.url}/api/v1/events",
        headers={**edge_server.headers, "Last-Event-ID": event_id.encode()},
        timeout=60,
    ) as answer:
        assert answer.status_code == 400
        assert "invalid_last_event_id" in answer.read().decode()
    with httpx.stream(
        "GET", f"{edge_server.url}/ui/events", params={"after": event_id}, timeout=60
    ) as page_stream:
        assert page_stream.status_code == 200
        assert next(page_stream.iter_text()).startswith("retry:")
