"""/api/v1/wordlists: wordlists over HTTP against a real server."""

from __future__ import annotations

import httpx

from tests.support.ids import unique_id


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    message: str = body["error"]
    return message


def test_a_wordlist_goes_through_its_whole_life(api: httpx.Client) -> None:
    wordlist_id = unique_id("colors")
    created = api.post(
        "/wordlists", json={"id": wordlist_id, "name": "Colors", "lines": ["red", "# c", "blue"]}
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/api/v1/wordlists/{wordlist_id}"
    document = created.json()
    assert document["lines"] == ["red", "# c", "blue"]
    assert document["slug"] == wordlist_id
    assert api.get(f"/wordlists/{wordlist_id}").json() == document

    replaced = api.put(f"/wordlists/{wordlist_id}", json={"name": "Hues", "lines": ["teal"]})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["lines"] == ["teal"]

    patched = api.patch(f"/wordlists/{wordlist_id}", json={"is_favourite": True})
    assert patched.status_code == 200, patched.text
    assert patched.json()["is_favourite"] is True and patched.json()["name"] == "Hues"

    listed = api.get("/wordlists", params={"q": wordlist_id}).json()
    assert [item["id"] for item in listed["items"]] == [wordlist_id]
    assert listed["items"][0]["category"] == "wordlists"

    assert api.delete(f"/wordlists/{wordlist_id}").status_code == 204
    error_of(api.get(f"/wordlists/{wordlist_id}"), 404, "wordlist_not_found")


def test_a_txt_file_is_imported_as_lines(api: httpx.Client) -> None:
    wordlist_id = unique_id("moods")
    text = "\ufeffcalm\r\n# a comment\r\n\r\nstormy  \n{bright|dim} light\n"
    created = api.put(
        f"/wordlists/{wordlist_id}",
        content=text.encode(),
        params={"name": "Moods"},
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Moods"
    assert created.json()["lines"] == ["calm", "# a comment", "", "stormy", "{bright|dim} light"]

    again = api.put(
        f"/wordlists/{wordlist_id}",
        content=b"one\ntwo",
        headers={"Content-Type": "text/plain"},
    )
    assert again.status_code == 200, again.text
    assert again.json()["lines"] == ["one", "two"]
    assert again.json()["name"] == "Moods", "an import keeps the other fields"


def test_folder_ids_work_in_paths(api: httpx.Client) -> None:
    folder = unique_id("colors")
    wordlist_id = f"{folder}/warm"
    created = api.post("/wordlists", json={"id": wordlist_id, "name": "Warm", "lines": ["amber"]})
    assert created.status_code == 201, created.text
    assert created.json()["slug"] == f"{folder}__warm"
    assert api.get(f"/wordlists/{wordlist_id}").json()["lines"] == ["amber"]
    assert api.get(f"/wordlists/{folder}__warm").json()["id"] == wordlist_id
    assert api.delete(f"/wordlists/{wordlist_id}").status_code == 204


def test_wordlists_are_not_resources(api: httpx.Client) -> None:
    wordlist_id = unique_id("hidden")
    assert api.post("/wordlists", json={"id": wordlist_id, "name": wordlist_id}).status_code == 201
    for category in ("characters", "scenes"):
        error_of(api.get(f"/{category}/{wordlist_id}"), 404, f"{category[:-1]}_not_found")
    assert api.delete(f"/wordlists/{wordlist_id}").status_code == 204


def test_bad_wordlists_are_400_naming_the_problem(api: httpx.Client) -> None:
    message = error_of(
        api.post("/wordlists", json={"id": "bad id", "name": "X", "lines": ["a"]}),
        400,
        "invalid_document",
    )
    assert "id: may only contain" in message
    message = error_of(
        api.post("/wordlists", json={"id": unique_id("w"), "name": "X", "lines": ["x" * 501]}),
        400,
        "invalid_document",
    )
    assert "line 1 is 501 characters long" in message
    message = error_of(
        api.post("/wordlists", json={"id": unique_id("w"), "name": "X", "lines": ["a\nb"]}),
        400,
        "invalid_document",
    )
    assert "line 1 holds a line break" in message
    message = error_of(
        api.post("/wordlists", json={"id": unique_id("w"), "name": "X", "lines": [3]}),
        400,
        "invalid_document",
    )
    assert "line 1 must be a string" in message
    error_of(api.post("/wordlists", content=b"{not json"), 400, "invalid_json")
    error_of(api.post("/wordlists", content=b""), 400, "missing_body")
    message = error_of(
        api.put(
            f"/wordlists/{unique_id('w')}",
            content=b"\xff\xfe",
            headers={"Content-Type": "text/plain"},
        ),
        400,
        "invalid_text",
    )
    assert "not UTF-8" in message
    error_of(api.put(f"/wordlists/{unique_id('w')}", json={"name": "x"}), 404, "wordlist_not_found")


def test_a_taken_id_is_409(api: httpx.Client) -> None:
    wordlist_id = unique_id("twice")
    body = {"id": wordlist_id, "name": "Twice", "lines": ["a"]}
    assert api.post("/wordlists", json=body).status_code == 201
    error_of(api.post("/wordlists", json=body), 409, "already_exists")
    assert api.delete(f"/wordlists/{wordlist_id}").status_code == 204
