"""Gallery images put straight into a server's data folder: a PNG under the media folder and
its `images` row, as a finished job leaves them (for tests that need many or odd images
without running the engine)."""

from __future__ import annotations

import io
import random
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image

from gaze.db.connection import Database
from gaze.db.models import ImageRow, utcnow


def noise_png(width: int, height: int, seed: int = 0) -> bytes:
    """A PNG of random pixels (incompressible, like a generated image's detail)."""
    pixels = random.Random(seed).randbytes(width * height * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def write_media_file(data_dir: Path, relative_path: str, data: bytes) -> Path:
    path = data_dir / "uploads" / relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def add_gallery_image(
    data_dir: Path,
    relative_path: str,
    *,
    width: int = 64,
    height: int = 64,
    seed: int = 1,
    preset_id: str | None = "example_01",
    prompt: str = "1girl, silver hair",
    characters: list[str] | None = None,
    favourite: bool = False,
    nsfw: bool = False,
    created_at: datetime | None = None,
    job_id: str | None = None,
    database_url: str | None = None,
) -> int:
    """Write a `width` x `height` PNG at `relative_path` and its gallery row (in the data
    folder's SQLite database unless `database_url` names another); the image id."""
    write_media_file(data_dir, relative_path, noise_png(width, height, seed))
    resolution: dict[str, Any] = {
        "characters": [{"id": character, "name": character} for character in characters or []]
    }
    database = Database(database_url or f"sqlite:///{data_dir / 'gaze.db'}")
    try:
        with database.session() as session:
            row = ImageRow(
                job_id=job_id,
                relative_path=relative_path,
                preset_id=preset_id,
                checkpoint="gaze-demo-sd15-tiny.safetensors",
                seed=str(seed),
                width=width,
                height=height,
                backend="local",
                spec={"positive": prompt, "negative": "", "seed": seed},
                resolution=resolution,
                is_favourite=favourite,
                is_nsfw=nsfw,
                created_at=created_at or utcnow(),
            )
            session.add(row)
            session.flush()
            return row.id
    finally:
        database.dispose()
