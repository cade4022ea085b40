"""GET /api/v1/presets keeps the guide's shape."""

from __future__ import annotations

from devkit.server import GazeServer


def test_presets_list_has_the_guide_shape(server: GazeServer) -> None:
    response = server.get("/api/v1/presets")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["presets"]
    assert body["presets"], "a fresh install ships example presets"
    for preset in body["presets"]:
        assert set(preset) >= {"preset_id", "slug", "name", "has_cover"}
        assert isinstance(preset["has_cover"], bool)
    example = next(p for p in body["presets"] if p["slug"] == "example_01")
    assert example == {
        "preset_id": "example_01",
        "slug": "example_01",
        "name": "Example Preset",
        "has_cover": True,
    }
