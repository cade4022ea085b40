"""GET /api/v1/tags against a real server: ranking, aliases, prefix normalisation, errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.library.tag_csv import VocabularyTag
from gaze.library.tag_vocabulary import TagVocabulary


@pytest.fixture(scope="module")
def vocabulary(library_server: GazeServer) -> Iterator[None]:
    """An imported vocabulary for this module's tests; emptied after them (the server is
    shared, and saves warn about tags only while a CSV is imported)."""
    database = Database(f"sqlite:///{library_server.data_dir / 'gaze.db'}")
    TagVocabulary(database).replace(
        [
            VocabularyTag("blonde_hair", 0, 5000, ("blond hair",)),
            VocabularyTag("blue_eyes", 0, 8000),
            VocabularyTag("blue_sky", 0, 100),
            VocabularyTag("Blue_Archive", 3, 300),
        ]
        + [VocabularyTag(f"zz_tag_{index}", 1, index) for index in range(150)]
    )
    yield
    TagVocabulary(database).replace([])
    database.dispose()


@pytest.mark.usefixtures("vocabulary")
def test_tags_are_ranked_by_post_count_with_aliases(api: httpx.Client) -> None:
    answer = api.get("/tags", params={"prefix": "BLUE "})
    assert answer.status_code == 200, answer.text
    found = answer.json()["tags"]
    assert found[:3] == [
        {"name": "blue_eyes", "category": 0, "post_count": 8000},
        {"name": "Blue_Archive", "category": 3, "post_count": 300},
        {"name": "blue_sky", "category": 0, "post_count": 100},
    ]
    library_tags = found[3:]  # the example library's own tags, merged in on import
    assert all((tag["category"], tag["post_count"]) == (-1, 0) for tag in library_tags)
    assert all(tag["name"].casefold().startswith("blue ") for tag in library_tags)
    aliased = api.get("/tags", params={"prefix": "blond_"}).json()["tags"]
    assert aliased == [
        {"name": "blond hair", "category": 0, "post_count": 5000, "alias_of": "blonde_hair"}
    ]


@pytest.mark.usefixtures("vocabulary")
def test_limit_defaults_to_20_and_is_at_most_100(api: httpx.Client) -> None:
    assert len(api.get("/tags", params={"prefix": "zz"}).json()["tags"]) == 20
    most = api.get("/tags", params={"prefix": "zz", "limit": 100}).json()["tags"]
    assert [tag["post_count"] for tag in most[:2]] == [149, 148]
    assert len(most) == 100
    for params in ({"limit": 101}, {"limit": 0}, {"limit": "many"}, {"prefix": "x" * 301}):
        answer = api.get("/tags", params=params)
        assert answer.status_code == 400, params
        assert answer.json()["code"] == "invalid_request"


@pytest.mark.usefixtures("vocabulary")
def test_saves_warn_about_aliases_and_unknown_tags_without_changing_them(
    api: httpx.Client,
) -> None:
    main = "(blond hair:1.2), Blue Eyes, __hair__, {red|blue} sky, blue skyy, [zz_tag_7]"
    document = {"id": "tag_warned", "name": "Tag Warned", "fields": {"look": {"main": main}}}
    created = api.post("/styles", json=document)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["fields"]["look"]["main"] == main
    assert answer["tag_warnings"] == [
        {
            "field": "fields.look.main",
            "tag": "blond hair",
            "kind": "alias",
            "canonical": "blonde_hair",
        },
        {
            "field": "fields.look.main",
            "tag": "blue skyy",
            "kind": "unknown",
            "suggestions": ["blue_eyes", "Blue_Archive", "blue_sky"],
        },
    ]
    assert answer["warnings"] == [
        "fields.look.main: 'blond hair' is an alias of 'blonde_hair'",
        "fields.look.main: unknown tag 'blue skyy'",
    ]
    assert api.get("/styles/tag_warned").json()["fields"]["look"]["main"] == main
    patched = api.patch("/styles/tag_warned", json={"fields": {"look": {"main": "blue_eyes"}}})
    assert patched.status_code == 200, patched.text
    assert "tag_warnings" not in patched.json()
    assert "warnings" not in patched.json()
    replaced = api.put("/styles/tag_warned", json={**document, "fields": {"look": {"x": "qq"}}})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["tag_warnings"] == [
        {"field": "fields.look.x", "tag": "qq", "kind": "unknown"}
    ]


@pytest.mark.usefixtures("vocabulary")
def test_a_csv_posted_to_the_import_route_replaces_the_vocabulary(
    api: httpx.Client, library_server: GazeServer
) -> None:
    csv_text = 'name,category,post_count,aliases\nsilver_hair,0,900,"grey hair"\nbad,x,1\n'
    answer = api.post(
        "/tags/import", content=csv_text.encode(), headers={"Content-Type": "text/csv"}
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["from_file"] == 1
    assert found["imported"] > 1  # the library's own tags are merged in
    assert found["problems"] == ["line 3: category and post count must be whole numbers"]
    assert api.get("/tags", params={"prefix": "grey"}).json()["tags"] == [
        {"name": "grey hair", "category": 0, "post_count": 900, "alias_of": "silver_hair"}
    ]
    assert api.get("/tags", params={"prefix": "zz"}).json()["tags"] == []
    empty = api.post("/tags/import", content=b"  \n", headers={"Content-Type": "text/csv"})
    assert empty.status_code == 400
    assert empty.json()["code"] == "missing_body"
    anonymous = httpx.post(f"{library_server.url}/api/v1/tags/import", content=b"a,0,1\n")
    assert anonymous.status_code == 401
