"""Safe-for-work keys on a live server (issue 17 part 3): random picks over many seeds never
NSFW and the same for the same seed, NSFW presets and fixed NSFW slots refused with 403
nsfw_refused naming them, NSFW presets, resources, wordlists and images hidden from such a
key while the admin key sees them, and a non-admin key's event stream carrying only its own
jobs (and, for a safe-for-work key, no job whose image was flagged NSFW)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from devkit.server import GazeServer
from tests.support.gallery_images import add_gallery_image
from tests.support.gaze_servers import JOBS_ENV, SHARED_SERVER_ENV, GazeServers
from tests.support.job_calls import FAST, EventRecorder, is_event, wait_for_status
from tests.support.named_keys import make_key

DEMO = "gaze-demo-sd15-tiny.safetensors"
SFW_CHARACTERS = {"sfwk_calm", "sfwk_quiet"}
NSFW_CHARACTERS = {"sfwk_racy", "sfwk_lewd"}
POOL = sorted(SFW_CHARACTERS | NSFW_CHARACTERS)
SEEDS = range(40)
IMAGES_SINCE = datetime(2031, 1, 1, tzinfo=UTC)
REFUSED = "is flagged NSFW; this API key is safe-for-work only."


@dataclass(frozen=True)
class Keys:
    kitchen: dict[str, str]
    """read, safe-for-work."""
    bot: dict[str, str]
    """generate, safe-for-work."""
    alice: dict[str, str]
    """generate."""
    bob: dict[str, str]
    """generate."""


@dataclass(frozen=True)
class Images:
    plain: int
    flagged: int
    of_nsfw_preset: int
    with_nsfw_character: int


@dataclass(frozen=True)
class Household:
    server: GazeServer
    keys: Keys
    images: Images


def _created(response: httpx.Response) -> None:
    assert response.status_code == 201, response.text


def _preset(preset_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": preset_id, "name": preset_id, "checkpoint": DEMO, **extra}


def _library(server: GazeServer) -> None:
    for character in POOL:
        _created(
            server.post(
                "/api/v1/characters",
                json={
                    "id": character,
                    "name": character,
                    "fields": {"main": {"tags": character.replace("_", " ")}},
                    "default_fields": ["main::tags"],
                    "is_nsfw": character in NSFW_CHARACTERS,
                },
            )
        )
    _created(
        server.post(
            "/api/v1/wordlists",
            json={"id": "sfwk_colors", "name": "sfwk colors", "lines": ["red", "teal"]},
        )
    )
    _created(
        server.post(
            "/api/v1/wordlists",
            json={"id": "sfwk_spicy", "name": "sfwk spicy", "lines": ["spicy"], "is_nsfw": True},
        )
    )
    pool = {"mode": "random", "pool": {"kind": "list", "ids": POOL}}
    for document in (
        _preset("sfwk_mixed", characters=pool, positive="{__sfwk_colors__|__sfwk_spicy__}"),
        _preset("sfwk_late", characters={"mode": "fixed", "id": "sfwk_calm"}, is_nsfw=True),
        _preset(
            "sfwk_only_nsfw",
            characters={"mode": "random", "pool": {"kind": "list", "ids": sorted(NSFW_CHARACTERS)}},
        ),
        _preset("sfwk_fixed", characters={"mode": "fixed", "id": "sfwk_racy"}),
        _preset(
            "sfwk_words", characters={"mode": "fixed", "id": "sfwk_calm"}, positive="__sfwk_spicy__"
        ),
    ):
        _created(server.post("/api/v1/presets", json=document))


def _images(server: GazeServer) -> Images:
    def add(number: int, **extra: Any) -> int:
        return add_gallery_image(
            server.data_dir,
            f"presets/sfwk/gen_{1924992000 + number}.png",
            seed=number,
            created_at=IMAGES_SINCE + timedelta(minutes=number),
            **extra,
        )

    return Images(
        plain=add(0, preset_id="sfwk_mixed", characters=["sfwk_calm"]),
        flagged=add(1, preset_id="sfwk_mixed", characters=["sfwk_quiet"], nsfw=True),
        of_nsfw_preset=add(2, preset_id="sfwk_late", characters=["sfwk_calm"]),
        with_nsfw_character=add(3, preset_id="sfwk_mixed", characters=["sfwk_racy"]),
    )


@pytest.fixture(scope="module")
def household(gaze_servers: GazeServers) -> Iterator[Household]:
    with gaze_servers.running(name="sfw_keys", env={**SHARED_SERVER_ENV, **JOBS_ENV}) as server:
        _library(server)

        def key(name: str, scope: str, sfw_only: bool = False) -> dict[str, str]:
            return {"X-API-Key": make_key(server, name, [scope], sfw_only=sfw_only)[1]}

        keys = Keys(
            kitchen=key("kitchen", "read", sfw_only=True),
            bot=key("bot", "generate", sfw_only=True),
            alice=key("alice", "generate"),
            bob=key("bob", "generate"),
        )
        yield Household(server, keys, _images(server))


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "nsfw_refused", body
    message: str = body["error"]
    assert message.endswith(REFUSED), message
    return message


def resolve(household: Household, slug: str, headers: dict[str, str], **body: Any) -> Any:
    return household.server.post(f"/api/v1/presets/{slug}/resolve", json=body, headers=headers)


def character_of(resolved: dict[str, Any]) -> str:
    [pick] = resolved["choices"]["characters"]
    return str(pick["id"])


def test_random_picks_for_a_safe_key_are_never_nsfw_and_repeat_by_seed(
    household: Household,
) -> None:
    kitchen = household.keys.kitchen
    admin_picks: set[str] = set()
    admin_prompts = ""
    for seed in SEEDS:
        answer = resolve(household, "sfwk_mixed", kitchen, seed=seed)
        assert answer.status_code == 200, answer.text
        resolved = answer.json()
        assert character_of(resolved) in SFW_CHARACTERS, (seed, resolved["choices"])
        assert "spicy" not in resolved["prompt"], (seed, resolved["prompt"])
        again = resolve(household, "sfwk_mixed", kitchen, seed=seed).json()
        assert again == resolved
        admin = resolve(household, "sfwk_mixed", household.server.headers, seed=seed).json()
        admin_picks.add(character_of(admin))
        admin_prompts += admin["prompt"]
    assert admin_picks & NSFW_CHARACTERS, "the admin key still gets NSFW picks"
    assert "spicy" in admin_prompts


def test_nsfw_presets_and_fixed_nsfw_slots_are_refused_by_name(household: Household) -> None:
    server, kitchen, bot = household.server, household.keys.kitchen, household.keys.bot
    message = refusal(resolve(household, "sfwk_late", kitchen, seed=1))
    assert message.startswith("The preset 'sfwk_late'"), message
    assert "'sfwk_racy'" in refusal(resolve(household, "sfwk_fixed", kitchen, seed=1))
    assert "random characters slot" in refusal(resolve(household, "sfwk_only_nsfw", kitchen))
    assert "wordlist 'sfwk_spicy'" in refusal(resolve(household, "sfwk_words", kitchen))
    override = resolve(household, "sfwk_mixed", kitchen, seed=1, slots={"characters": "sfwk_lewd"})
    assert "'sfwk_lewd'" in refusal(override)
    recipe = {"recipe": {"checkpoint": DEMO, "characters": "sfwk_racy"}, "seed": 3}
    assert "'sfwk_racy'" in refusal(server.post("/api/v1/resolve", json=recipe, headers=kitchen))
    generated = server.post("/api/v1/generate/sfwk_late", json=FAST, headers=bot)
    assert refusal(generated).startswith("The preset 'sfwk_late'")
    composed = server.post("/api/v1/generate", json={**recipe, **FAST}, headers=bot)
    assert "'sfwk_racy'" in refusal(composed)
    admin = server.headers
    for slug in ("sfwk_late", "sfwk_fixed", "sfwk_only_nsfw", "sfwk_words"):
        assert resolve(household, slug, admin, seed=1).status_code == 200, slug


def _listed(server: GazeServer, path: str, headers: dict[str, str], **params: Any) -> set[str]:
    answer = server.get(path, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    items = body["presets"] if "presets" in body else body["items"]
    key = "preset_id" if "presets" in body else "id"
    return {item[key] for item in items if item[key].startswith("sfwk_")}


def test_nsfw_presets_resources_and_wordlists_are_hidden_from_a_safe_key(
    household: Household,
) -> None:
    server, kitchen, admin = household.server, household.keys.kitchen, household.server.headers
    every_preset = {"sfwk_mixed", "sfwk_late", "sfwk_only_nsfw", "sfwk_fixed", "sfwk_words"}
    assert _listed(server, "/api/v1/presets", admin) == every_preset
    assert _listed(server, "/api/v1/presets", kitchen) == every_preset - {"sfwk_late"}
    assert _listed(server, "/api/v1/presets", kitchen, nsfw="true") == set()
    assert _listed(server, "/api/v1/presets", admin, nsfw="true") == {"sfwk_late"}
    assert server.get("/api/v1/presets/sfwk_late", headers=kitchen).status_code == 404
    assert server.get("/api/v1/presets/sfwk_late", headers=admin).status_code == 200
    assert server.get("/api/v1/presets/sfwk_mixed", headers=kitchen).status_code == 200

    assert _listed(server, "/api/v1/characters", kitchen, q="sfwk") == SFW_CHARACTERS
    assert _listed(server, "/api/v1/characters", admin, q="sfwk") == set(POOL)
    assert _listed(server, "/api/v1/characters", kitchen, q="sfwk", nsfw="true") == set()
    missing = server.get("/api/v1/characters/sfwk_racy", headers=kitchen)
    assert (missing.status_code, missing.json()["code"]) == (404, "character_not_found")
    assert server.get("/api/v1/characters/sfwk_calm", headers=kitchen).status_code == 200

    assert _listed(server, "/api/v1/wordlists", kitchen, q="sfwk") == {"sfwk_colors"}
    assert _listed(server, "/api/v1/wordlists", admin, q="sfwk") == {"sfwk_colors", "sfwk_spicy"}
    assert server.get("/api/v1/wordlists/sfwk_spicy", headers=kitchen).status_code == 404
    assert server.get("/api/v1/wordlists/sfwk_spicy", headers=admin).status_code == 200


def _image_ids(server: GazeServer, headers: dict[str, str], **params: Any) -> list[int]:
    answer = server.get(
        "/api/v1/images", headers=headers, params={"since": IMAGES_SINCE.isoformat(), **params}
    )
    assert answer.status_code == 200, answer.text
    return [image["id"] for image in answer.json()["images"]]


def test_the_images_api_never_shows_a_safe_key_an_nsfw_image(household: Household) -> None:
    server, kitchen, admin, images = (
        household.server,
        household.keys.kitchen,
        household.server.headers,
        household.images,
    )
    nsfw = [images.flagged, images.of_nsfw_preset, images.with_nsfw_character]
    assert _image_ids(server, admin) == [*nsfw[::-1], images.plain]
    assert _image_ids(server, kitchen) == [images.plain]
    assert _image_ids(server, kitchen, nsfw="true") == []
    assert _image_ids(server, kitchen, preset="sfwk_late") == []
    since = {"since": IMAGES_SINCE.isoformat()}
    latest = server.get("/api/v1/images/latest", headers=kitchen, params=since)
    assert latest.status_code == 200 and latest.json()["id"] == images.plain
    assert server.get("/api/v1/images/latest", headers=admin, params=since).json()["id"] == (
        images.with_nsfw_character
    )
    for _ in range(12):
        picked = server.get("/api/v1/images/random", headers=kitchen, params=since)
        assert picked.status_code == 200 and picked.json()["id"] == images.plain
    only_nsfw = server.get(
        "/api/v1/images/random", headers=kitchen, params={**since, "nsfw": "true"}
    )
    assert (only_nsfw.status_code, only_nsfw.json()["code"]) == (404, "no_image")
    for image_id in nsfw:
        hidden = server.get(f"/api/v1/images/{image_id}", headers=kitchen)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "image_not_found")
        assert server.get(f"/api/v1/images/{image_id}", headers=admin).status_code == 200
    assert server.get(f"/api/v1/images/{images.plain}", headers=kitchen).status_code == 200


def _queue(server: GazeServer, headers: dict[str, str], slug: str = "sfwk_mixed") -> str:
    answer = server.post(f"/api/v1/generate/{slug}", json={**FAST, "seed": 9}, headers=headers)
    assert answer.status_code == 202, answer.text
    [job] = answer.json()["jobs"]
    return str(job["job_id"])


def test_a_generate_keys_event_stream_carries_only_its_own_jobs(household: Household) -> None:
    server, alice, bob = household.server, household.keys.alice, household.keys.bob
    with (
        EventRecorder(server, headers=alice) as alices,
        EventRecorder(server) as admins,
    ):
        assert alices.status == 200
        bobs_job = _queue(server, bob)
        alices_job = _queue(server, alice)
        admins.wait_for(is_event("job.done", bobs_job), what="bob's job.done")
        admins.wait_for(is_event("job.done", alices_job), what="alice's job.done")
        alices.wait_for(is_event("job.done", alices_job), what="alice's job.done")
        admin_jobs = {event.job.id for event in admins.events if event.job is not None}
        alice_jobs = {event.job.id for event in alices.events if event.job is not None}
    assert {bobs_job, alices_job} <= admin_jobs
    assert alice_jobs == {alices_job}
    watched = server.get("/api/v1/events", headers=alice, params={"job": bobs_job})
    assert (watched.status_code, watched.json()["code"]) == (404, "job_not_found")


def test_a_safe_key_gets_no_event_of_a_job_whose_image_was_flagged_nsfw(
    household: Household,
) -> None:
    server, bot = household.server, household.keys.bot
    with EventRecorder(server, headers=bot) as before:
        job_id = _queue(server, bot)
        done = before.wait_for(is_event("job.done", job_id), what="the bot's job.done")
    assert done.id is not None
    wait_for_status(server, job_id, ("done",))
    listed = server.get("/api/v1/images", params={"preset": "sfwk_mixed", "limit": 50}).json()
    [image] = [image for image in listed["images"] if image["job_id"] == job_id]
    flagged = httpx.patch(
        f"{server.url}/api/v1/images/{image['id']}",
        json={"nsfw": True},
        headers=server.headers,
        timeout=30,
    )
    assert flagged.status_code == 200, flagged.text
    watched = server.get("/api/v1/events", headers=bot, params={"job": job_id})
    assert (watched.status_code, watched.json()["code"]) == (404, "job_not_found")
    replay = {"last_event_id": str(done.id - 1)}
    with (
        EventRecorder(server, params=replay, headers=bot) as bots,
        EventRecorder(server, params=replay) as admins,
    ):
        admins.wait_for(is_event("job.done", job_id), timeout=30, what="the admin's replay")
        later = _queue(server, bot)
        bots.wait_for(is_event("job.done", later), what="the bot's next job.done")
    assert not [event for event in bots.events if event.job is not None and event.job.id == job_id]
