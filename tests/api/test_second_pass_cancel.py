"""A cancel that lands in the hires pass on the embedded engine, through a real `gaze serve`:
the job ends cancelled, no image is saved, and the worker takes the next job normally."""

from __future__ import annotations

from devkit.server import GazeServer
from tests.support.job_calls import (
    EventRecorder,
    job_ids,
    queue_jobs,
    wait_for_status,
)

PRESET = "example_01"
FIRST_PASS_STEPS = 20
"""The example preset's steps (it sets none: the default)."""
HIRES_STEPS = 200


def gallery_pngs(server: GazeServer) -> set[str]:
    folder = server.data_dir / "uploads" / "presets" / PRESET
    return {path.name for path in folder.glob("*.png")} if folder.is_dir() else set()


def test_a_cancel_during_the_hires_pass_saves_nothing_and_the_worker_goes_on(
    server: GazeServer,
) -> None:
    before = gallery_pngs(server)
    first_pass_share = FIRST_PASS_STEPS / (FIRST_PASS_STEPS + HIRES_STEPS)
    hires = {"scale": 2, "denoise": 0.5, "steps": HIRES_STEPS, "upscaler": "latent"}
    with EventRecorder(server) as events:
        [job_id] = job_ids(queue_jobs(server, PRESET, seed=61, width=64, height=64, hires=hires))
        # Progress is shared by steps; past the first pass's share the second pass is running.
        in_second_pass = events.wait_for(
            lambda event: (
                event.type == "job.progress"
                and event.data["job"]["id"] == job_id
                and event.data["job"]["progress"] > first_pass_share + 0.01
            ),
            timeout=120,
            what="progress in the hires pass",
        )
        answer = server.post(f"/api/v1/job/{job_id}/cancel")
        assert answer.status_code == 200, answer.text
        ended = wait_for_status(server, job_id, ("cancelled", "done", "failed"), timeout=60)
    assert in_second_pass.data["job"]["progress"] < 1.0
    assert ended["status"] == "cancelled", ended
    assert ended.get("result") is None
    assert gallery_pngs(server) == before

    [next_id] = job_ids(queue_jobs(server, PRESET, seed=62, width=64, height=64))
    after = wait_for_status(server, next_id, ("cancelled", "done", "failed"), timeout=120)
    assert after["status"] == "done", after
    assert gallery_pngs(server) - before == {after["result"]["relative_path"].rsplit("/", 1)[-1]}
