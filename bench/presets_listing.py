"""GET /api/v1/presets latency against a real server holding a large library.

Prepares a data folder (`gaze init`), inserts 10,000 presets and 50,000 resources (valid
documents, a tenth of them favourites), starts `gaze serve`, and times sequential requests
over one keep-alive connection: the guide's whole list, one cursor page of presets, and one
page of characters with a tag filter. Target: the whole list at p50 under 50 ms.

    .venv/bin/python bench/presets_listing.py [--presets 10000] [--resources 50000] [--requests 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import init_data, running_server
from gaze.db.connection import Database
from gaze.db.models import PresetRow, ResourceRow, utcnow
from gaze.library.schema import CATEGORIES, resource_model_for
from gaze.presets.schema import Preset

TARGET_P50_MS = 50.0
WORDS = ("red", "blue", "silver", "long", "short", "forest", "city", "night", "rain", "smile")


def _resource_documents(count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for number in range(count):
        category = CATEGORIES[number % len(CATEGORIES)]
        resource_id = f"{category[:-1]}_{number:06d}"
        document: dict[str, Any] = {
            "id": resource_id,
            "name": f"{rng.choice(WORDS).title()} {category[:-1]} {number}",
            "fields": {"main": {"tags": ", ".join(rng.sample(WORDS, 3))}},
            "default_fields": ["main::tags"],
            "tags": {"kind": rng.choice(["casual", "formal", "fantasy"])},
            "is_favourite": number % 10 == 0,
        }
        if number % 3 == 0:
            document["lora"] = {"file": f"{category}/{number}.safetensors", "weight": 0.8}
        resource = resource_model_for(category).model_validate(document)
        rows.append(_row_values(resource, category=category))
    return rows


def _preset_documents(count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for number in range(count):
        preset = Preset.model_validate(
            {
                "id": f"preset_{number:06d}",
                "name": f"{rng.choice(WORDS).title()} preset {number}",
                "characters": {"mode": "random"},
                "scenes": {
                    "mode": "random",
                    "pool": {"kind": "tag", "key": "kind", "value": "casual"},
                },
                "checkpoint": "gaze-demo-sd15-tiny.safetensors",
                "positive": "looking at viewer",
                "is_favourite": number % 10 == 0,
                "cover": f"presets/preset_{number:06d}/cover.png" if number % 2 else None,
            }
        )
        rows.append(_row_values(preset))
    return rows


def _row_values(item: Any, **extra: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": item.id,
        "slug": item.slug,
        "name": item.name,
        "document": item.model_dump(mode="json"),
        "is_favourite": item.is_favourite,
        "is_nsfw": item.is_nsfw,
        "cover": item.cover,
        "created_at": now,
        "updated_at": now,
        **extra,
    }


def fill(data_dir: Path, presets: int, resources: int) -> None:
    rng = random.Random(11)
    database = Database(f"sqlite:///{data_dir / 'gaze.db'}")
    try:
        with database.engine.begin() as connection:
            connection.execute(insert(ResourceRow), _resource_documents(resources, rng))
            connection.execute(insert(PresetRow), _preset_documents(presets, rng))
    finally:
        database.dispose()


def timings(client: httpx.Client, path: str, requests: int, **params: Any) -> list[float]:
    client.get(path, params=params).raise_for_status()  # warm up
    client.get(path, params=params).raise_for_status()
    found = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path, params=params)
        found.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return found


def report(label: str, found: list[float]) -> float:
    ordered = sorted(found)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(f"{label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(found)} requests)")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = init_data(Path(folder) / "data")
        started = time.perf_counter()
        fill(data_dir, arguments.presets, arguments.resources)
        print(
            f"inserted {arguments.presets:,} presets and {arguments.resources:,} resources "
            f"in {time.perf_counter() - started:.1f} s"
        )
        with (
            running_server(data_dir) as server,
            httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as client,
        ):
            body = client.get("/api/v1/presets").json()
            print(f"GET /api/v1/presets lists {len(body['presets']):,} presets")
            whole = report(
                "GET /api/v1/presets (all)",
                timings(client, "/api/v1/presets", arguments.requests),
            )
            report(
                "GET /api/v1/presets?limit=50 (second page)",
                timings(
                    client,
                    "/api/v1/presets",
                    arguments.requests,
                    limit=50,
                    cursor=client.get("/api/v1/presets", params={"limit": 50}).json()[
                        "next_cursor"
                    ],
                ),
            )
            report(
                "GET /api/v1/characters?tag=kind:formal&limit=50",
                timings(
                    client,
                    "/api/v1/characters",
                    arguments.requests,
                    tag="kind:formal",
                    limit=50,
                ),
            )
    ratio = whole / TARGET_P50_MS
    print(f"target: p50 under {TARGET_P50_MS:.0f} ms for the whole list; ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
