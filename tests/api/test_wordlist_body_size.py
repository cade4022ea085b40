"""Wordlists may be larger than other API bodies (up to `MAX_WORDLIST_BYTES`); every other
body keeps its 1 MiB limit."""

from __future__ import annotations

import httpx

from gaze.api.request_limits import MAX_API_BODY_BYTES
from gaze.library.wordlist_schema import MAX_WORDLIST_BYTES
from tests.support.ids import unique_id

TWO_MIB = 2 * 1024 * 1024


def big_lines(total_bytes: int) -> list[str]:
    line = ("a long wordlist line, " * 4).strip()  # 87 characters
    return [f"{number:06d} {line}" for number in range(total_bytes // len(line) + 1)]


def test_a_two_mib_wordlist_is_accepted_as_json_and_as_text(api: httpx.Client) -> None:
    lines = big_lines(TWO_MIB)
    wordlist_id = unique_id("big")
    document = {"id": wordlist_id, "name": "Big", "lines": lines}
    body = httpx.Request("POST", "http://x", json=document).content
    assert MAX_API_BODY_BYTES < TWO_MIB < len(body) < MAX_WORDLIST_BYTES
    created = api.post("/wordlists", json=document)
    assert created.status_code == 201, created.text[:300]
    assert len(created.json()["lines"]) == len(lines)

    text = "\n".join(reversed(lines)).encode()
    assert len(text) > TWO_MIB
    replaced = api.put(
        f"/wordlists/{wordlist_id}", content=text, headers={"Content-Type": "text/plain"}
    )
    assert replaced.status_code == 200, replaced.text[:300]
    assert replaced.json()["lines"][0] == lines[-1]

    patched = api.patch(f"/wordlists/{wordlist_id}", json={"lines": lines[:-1]})
    assert patched.status_code == 200, patched.text[:300]
    assert api.get(f"/wordlists/{wordlist_id}").json()["lines"] == lines[:-1]


def test_a_body_over_the_wordlist_limit_is_413(api: httpx.Client) -> None:
    over = b"x" * (MAX_WORDLIST_BYTES + 1)
    response = api.put(
        f"/wordlists/{unique_id('huge')}", content=over, headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_two_mib_elsewhere_is_still_413(api: httpx.Client) -> None:
    padding = "x" * TWO_MIB
    refused = [
        api.post("/presets", json={"id": unique_id("p"), "name": padding}),
        api.post("/characters", json={"id": unique_id("c"), "name": padding}),
        api.post("/generate/example_01", json={"extra_positive": padding}),
        # a wordlist's own path, but a method that writes nothing
        api.request("DELETE", f"/wordlists/{unique_id('w')}", content=padding.encode()),
        # a path that only starts like the wordlists'
        api.post("/wordlistsx", json={"name": padding}),
    ]
    for response in refused:
        assert response.status_code == 413, (response.request.url, response.text[:200])
        assert response.json()["code"] == "payload_too_large"
