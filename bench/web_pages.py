"""Web UI pages with a big library: 1,000 presets and 10,000 gallery images (and their jobs).

Seeds a fresh data folder, starts `gaze serve --no-worker`, asks each main page `--rounds`
times one request at a time, and prints p50 and p95 of the time to the last byte (targets:
p50 under 100 ms for every page), then the weight of the presets grid before images: its
HTML plus the style sheet and scripts it loads (target: under 300 KB).

    .venv/bin/python bench/web_pages.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from devkit.server import init_data, running_server
from gaze.db.connection import Database
from gaze.db.models import ImageRow, JobRow, utcnow
from gaze.presets.schema import Preset
from gaze.presets.store import upsert_preset

PRESETS = 1_000
IMAGES = 10_000
TARGET_P50_MS = 100.0
TARGET_GRID_KB = 300.0
WORDS = ("Harbour", "Neon", "Misty", "Golden", "Quiet", "Storm", "Velvet", "Paper", "Ember")


def seed_library(data_dir: Path) -> list[str]:
    """Add `PRESETS` presets and `IMAGES` done jobs with their images; returns preset ids."""
    database = Database(f"sqlite:///{data_dir / 'gaze.db'}")
    ids = [f"bench_{number:04d}" for number in range(PRESETS)]
    with database.session() as session:
        for number, preset_id in enumerate(ids):
            preset = Preset.model_validate(
                {
                    "id": preset_id,
                    "name": f"{WORDS[number % len(WORDS)]} study {number:04d}",
                    "description": "A benchmark preset.",
                    "characters": {"mode": "random"},
                    "scenes": {"mode": "random"},
                    "checkpoint": "gaze-demo-sd15-tiny.safetensors",
                    "orientation": "portrait",
                    "is_favourite": number % 25 == 0,
                    "is_nsfw": number % 40 == 0,
                }
            )
            upsert_preset(session, preset)
    now = utcnow()
    jobs: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    for number in range(IMAGES):
        preset_id = ids[number % PRESETS]
        job_id = str(uuid.uuid4())
        created = now - timedelta(seconds=IMAGES - number)
        spec = {
            "positive": f"masterpiece, best quality, 1girl, solo, silver hair, study {number}",
            "negative": "lowres, worst quality, bad anatomy",
            "checkpoint": "gaze-demo-sd15-tiny.safetensors",
            "width": 512,
            "height": 768,
            "steps": 20,
            "cfg": 7.0,
            "sampler": "euler",
            "scheduler": "normal",
            "seed": number,
            "loras": [],
            "vae": None,
            "clip_skip": None,
        }
        resolution = {
            "checkpoint": {"path": spec["checkpoint"], "source": "preset"},
            "characters": [{"id": "aria_vale", "name": "Aria Vale", "mode": "random"}],
            "scenes": [{"id": "night_market", "name": "Night Market", "mode": "random"}],
        }
        relative = f"presets/{preset_id}/gen_{number}.png"
        jobs.append(
            {
                "id": job_id,
                "label": f"Preset: {preset_id} – preview",
                "status": "done",
                "preset_id": preset_id,
                "preset_slug": preset_id,
                "batch_id": job_id,
                "spec": spec,
                "resolution": resolution,
                "output_folder": f"presets/{preset_id}",
                "backend": "local",
                "progress": 1.0,
                "result": {
                    "image_url": f"/static/uploads/{relative}",
                    "relative_path": relative,
                    "seed": number,
                },
                "attempts": 1,
                "cancel_requested": False,
                "created_at": created,
                "queued_at": created,
                "started_at": created,
                "finished_at": created + timedelta(seconds=2),
                "checkpoint": spec["checkpoint"],
            }
        )
        images.append(
            {
                "job_id": job_id,
                "relative_path": relative,
                "preset_id": preset_id,
                "checkpoint": spec["checkpoint"],
                "seed": str(number),
                "width": 512,
                "height": 768,
                "backend": "local",
                "spec": spec,
                "resolution": resolution,
                "is_favourite": number % 50 == 0,
                "is_nsfw": number % 70 == 0,
                "created_at": created + timedelta(seconds=2),
            }
        )
    with database.session() as session:
        session.execute(insert(JobRow), jobs)
        session.execute(insert(ImageRow), images)
    database.dispose()
    return ids


def timings(client: httpx.Client, path: str, rounds: int) -> list[float]:
    client.get(path)  # warm up
    measured = []
    for _round in range(rounds):
        started = time.perf_counter()
        answer = client.get(path)
        measured.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code}")
    return measured


def grid_weight(client: httpx.Client) -> tuple[int, int]:
    """(HTML bytes, bytes of the style sheets and scripts it loads) of the presets grid."""
    html = client.get("/").text
    assets = re.findall(r'(?:href|src)="(/assets/[^"]+\.(?:css|js)[^"]*)"', html)
    return len(html.encode()), sum(len(client.get(asset).content) for asset in set(assets))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gaze-web-bench-") as folder:
        data_dir = init_data(Path(folder) / "data")
        started = time.perf_counter()
        ids = seed_library(data_dir)
        print(f"seeded {PRESETS} presets, {IMAGES} images in {time.perf_counter() - started:.1f} s")
        with running_server(data_dir, "--no-worker") as server:
            middle = ids[len(ids) // 2]
            pages = {
                "presets grid": "/",
                "presets grid, search": "/?q=harbour",
                "preset page": f"/presets/{middle}",
                "preset editor": f"/presets/{middle}/edit",
                "generate": f"/generate?preset={middle}",
                "gallery": "/gallery",
                "gallery, one preset": f"/gallery?preset={middle}",
                "gallery, a resource": "/gallery?resource=scenes:night_market",
                "gallery, next page": f"/gallery?before={IMAGES // 2}&fragment=1",
                "lightbox data": f"/ui/images/{IMAGES // 2}",
                "queue": "/queue",
                "library index": "/library/characters",
                "library page": "/library/characters/aria_vale",
                "checkpoints": "/checkpoints",
                "search": "/search?q=silver",
                "settings": "/settings",
            }
            failures = []
            print(f"\n{'page':<24}{'p50 ms':>9}{'p95 ms':>9}")
            with httpx.Client(base_url=server.url, timeout=60) as client:
                for name, path in pages.items():
                    measured = sorted(timings(client, path, arguments.rounds))
                    p50 = statistics.median(measured)
                    p95 = measured[int(len(measured) * 0.95) - 1]
                    mark = "" if p50 < TARGET_P50_MS else "  <- over target"
                    print(f"{name:<24}{p50:>9.1f}{p95:>9.1f}{mark}")
                    if p50 >= TARGET_P50_MS:
                        failures.append(name)
                html, assets = grid_weight(client)
            total_kb = (html + assets) / 1024
            print(
                f"\npresets grid weight before images: {total_kb:.1f} KB "
                f"(HTML {html / 1024:.1f} KB + CSS/JS {assets / 1024:.1f} KB; "
                f"target < {TARGET_GRID_KB:.0f} KB)"
            )
            if total_kb >= TARGET_GRID_KB:
                failures.append("grid weight")
    if failures:
        raise SystemExit(f"over target: {', '.join(failures)}")


if __name__ == "__main__":
    main()
