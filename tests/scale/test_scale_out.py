"""Two API processes and three workers on PostgreSQL and Redis: every job done once."""

from __future__ import annotations

import itertools

from sqlalchemy import create_engine, text

from devkit.cluster import Cluster

JOBS = 60
PER_REQUEST = 10


def test_sixty_jobs_across_two_apis_and_three_workers_run_exactly_once(cluster: Cluster) -> None:
    apis = [cluster.start_api(), cluster.start_api()]
    for standin in cluster.standins:
        cluster.start_worker(standin.url)

    job_ids: list[str] = []
    for api, index in zip(itertools.cycle(apis), range(JOBS // PER_REQUEST), strict=False):
        response = api.post(
            "/api/v1/generate/example_01",
            json={"count": PER_REQUEST, "seed": index * PER_REQUEST, "width": 64, "height": 64},
        )
        assert response.status_code == 202, response.text
        job_ids += [job["job_id"] for job in response.json()["jobs"]]
    assert len(set(job_ids)) == JOBS

    finished = [
        apis[number % 2].wait_for_job(job_id, timeout=300) for number, job_id in enumerate(job_ids)
    ]
    assert [job["status"] for job in finished] == ["done"] * JOBS, [
        (job["id"], job["status"], job["error"]) for job in finished if job["status"] != "done"
    ]
    paths = {job["result"]["relative_path"] for job in finished}
    assert len(paths) == JOBS
    for job in finished[:5]:
        image = apis[1].get(job["result"]["image_url"])
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")

    executed = [len(standin.stats().executed_prompts) for standin in cluster.standins]
    assert sum(executed) == JOBS, executed
    assert all(count > 0 for count in executed), executed
    engine = create_engine(cluster.env["GAZE_DATABASE_URL"])
    with engine.connect() as connection:
        images = connection.execute(text("SELECT count(*) FROM images")).scalar_one()
        done = connection.execute(
            text("SELECT count(*) FROM jobs WHERE status = 'done'")
        ).scalar_one()
    engine.dispose()
    assert images == JOBS and done == JOBS
