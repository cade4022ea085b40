"""A full disk while saving an image: the job fails clearly, nothing partial is left or served."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from devkit.server import GazeServer


@pytest.fixture
def tiny_media_dir(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs, as root mounts it; filled up by the test."""
    mount_point = tmp_path / "media"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)], check=True
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def test_disk_full_fails_the_job_and_keeps_the_database_consistent(
    fresh_data: Path, tiny_media_dir: Path
) -> None:
    server = GazeServer(fresh_data, env={"GAZE_MEDIA_DIR": str(tiny_media_dir)}).start()
    server.regenerate_key()
    try:
        filler = tiny_media_dir / "filler.bin"
        with open(filler, "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
        response = server.post("/api/v1/generate/example_01", json={"width": 128, "height": 128})
        assert response.status_code == 202, response.text
        job_id = response.json()["jobs"][0]["job_id"]
        job = server.wait_for_job(job_id)
        assert job["status"] == "failed"
        assert "Could not save the image" in job["error"]
        assert "No space left on device" in job["error"]
        assert "result" not in job

        leftovers = [p for p in tiny_media_dir.rglob("*.png") if "cover" not in p.name]
        assert leftovers == []
        engine = create_engine(f"sqlite:///{fresh_data / 'gaze.db'}")
        with engine.connect() as connection:
            images = connection.execute(
                text("SELECT count(*) FROM images WHERE job_id = :id"), {"id": job_id}
            ).scalar_one()
        engine.dispose()
        assert images == 0

        filler.unlink()
        retry = server.post("/api/v1/generate/example_01", json={"width": 64, "height": 64}).json()
        again = server.wait_for_job(retry["jobs"][0]["job_id"])
        assert again["status"] == "done"
        assert server.get(again["result"]["image_url"]).status_code == 200
    finally:
        server.stop()
