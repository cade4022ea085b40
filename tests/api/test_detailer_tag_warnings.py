"""A detailer's `prompt_tags` are prompt text like its fields: saving one warns about aliases
and unknown tags in them, and importing a vocabulary merges them in as library tags."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devkit.server import GazeServer
from gaze.db.connection import Database
from gaze.library.tag_csv import VocabularyTag
from gaze.library.tag_vocabulary import TagVocabulary

DETAILER_ID = "crisp_lacquer"
PROMPT_TAGS = ["(crisp focus:1.1), highly detailed", "glossy lacquer finish, __quality__"]


@pytest.fixture(scope="module")
def vocabulary(library_server: GazeServer, api: httpx.Client) -> Iterator[None]:
    """An imported vocabulary where ``crisp focus`` is an alias of ``sharp_focus``; emptied,
    and the detailer the tests save deleted, after them (the server is shared)."""
    database = Database(f"sqlite:///{library_server.data_dir / 'gaze.db'}")
    TagVocabulary(database).replace(
        [
            VocabularyTag("sharp_focus", 0, 900, ("crisp focus",)),
            VocabularyTag("highly_detailed", 0, 800),
        ]
    )
    yield
    api.delete(f"/detailers/{DETAILER_ID}")
    TagVocabulary(database).replace([])
    database.dispose()


@pytest.mark.usefixtures("vocabulary")
def test_saving_a_detailer_warns_about_an_alias_in_its_prompt_tags(api: httpx.Client) -> None:
    document = {"id": DETAILER_ID, "name": "Crisp Lacquer", "prompt_tags": PROMPT_TAGS}
    created = api.post("/detailers", json=document)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["prompt_tags"] == PROMPT_TAGS
    assert answer["tag_warnings"] == [
        {"field": "prompt_tags", "tag": "crisp focus", "kind": "alias", "canonical": "sharp_focus"},
        {"field": "prompt_tags", "tag": "glossy lacquer finish", "kind": "unknown"},
    ]
    assert answer["warnings"] == [
        "prompt_tags: 'crisp focus' is an alias of 'sharp_focus'",
        "prompt_tags: unknown tag 'glossy lacquer finish'",
    ]
    fixed = api.patch(
        f"/detailers/{DETAILER_ID}", json={"prompt_tags": ["sharp_focus", "highly detailed"]}
    )
    assert fixed.status_code == 200, fixed.text
    assert "tag_warnings" not in fixed.json() and "warnings" not in fixed.json()


@pytest.mark.usefixtures("vocabulary")
def test_an_import_merges_a_detailers_prompt_tags(api: httpx.Client) -> None:
    document = {"id": DETAILER_ID, "name": "Crisp Lacquer", "prompt_tags": PROMPT_TAGS}
    api.delete(f"/detailers/{DETAILER_ID}")
    saved = api.post("/detailers", json=document)
    assert saved.status_code == 201, saved.text
    csv_text = "name,category,post_count,aliases\nsharp_focus,0,900,\n"
    imported = api.post(
        "/tags/import", content=csv_text.encode(), headers={"Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert api.get("/tags", params={"prefix": "glossy lac"}).json()["tags"] == [
        {"name": "glossy lacquer finish", "category": -1, "post_count": 0}
    ]
    assert api.get("/tags", params={"prefix": "crisp"}).json()["tags"] == [
        {"name": "crisp focus", "category": -1, "post_count": 0}
    ]
