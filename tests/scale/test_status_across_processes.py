"""Two API processes and a worker on PostgreSQL and Redis: once a job's event has reached an
API process, that process never answers `GET /api/v1/job/<id>` with the job's older status.

Each API process is watched through its own event stream (`GET /api/v1/events`), which is fed
by the same broker that drops the process's cached answers: an event seen on a process's stream
has reached that process. Every poll sent after that moment must show the event's status or a
later one, on both processes, while the jobs are queued, run and finish.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import httpx

from devkit.cluster import Cluster
from devkit.server import GazeServer

JOBS = 3
RANK = {"pending": 0, "processing": 1, "done": 2, "failed": 2, "cancelled": 2}


@dataclass
class Watch:
    """What one test thread saw of one API process."""

    arrivals: dict[tuple[str, str], float] = field(default_factory=dict)
    """(job id, status) -> when the first event with that status arrived on the stream."""
    polls: list[tuple[float, str, str]] = field(default_factory=list)
    """(sent at, job id, status answered) of every poll."""
    stream_open: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)


def _follow_events(api: GazeServer, watch: Watch, finished: threading.Event) -> None:
    try:
        with httpx.stream(
            "GET", f"{api.url}/api/v1/events", headers=api.headers, timeout=60
        ) as response:
            assert response.status_code == 200, response.status_code
            for line in response.iter_lines():
                watch.stream_open.set()
                if finished.is_set():
                    return
                if not line.startswith("data: "):
                    continue
                arrived = time.monotonic()
                data = json.loads(line[6:])
                if "type" not in data:
                    continue  # the snapshot
                key = (data["job"]["id"], data["job"]["status"])
                watch.arrivals.setdefault(key, arrived)
    except Exception as error:  # reported by the test
        if not finished.is_set():
            watch.errors.append(f"event stream: {error!r}")


def _poll(api: GazeServer, job_ids: list[str], watch: Watch, finished: threading.Event) -> None:
    try:
        with httpx.Client(headers=api.headers, timeout=30) as client:
            while not finished.is_set():
                for job_id in job_ids:
                    sent = time.monotonic()
                    answer = client.get(f"{api.url}/api/v1/job/{job_id}")
                    assert answer.status_code == 200, answer.text
                    watch.polls.append((sent, job_id, answer.json()["status"]))
    except Exception as error:
        watch.errors.append(f"polling: {error!r}")
        finished.set()


def _stale_answers(watch: Watch) -> list[str]:
    """Polls sent after an event reached the process that answer an older status."""
    stale = []
    for sent, job_id, status in watch.polls:
        for (event_job, event_status), arrived in watch.arrivals.items():
            if event_job == job_id and arrived < sent and RANK[status] < RANK[event_status]:
                stale.append(f"{job_id}: {status} after {event_status} had arrived")
    return stale


def test_no_api_process_answers_an_older_status_after_the_event(cluster: Cluster) -> None:
    cluster.env["GAZE_EVENTS_HEARTBEAT_SECONDS"] = "1"
    cluster.standins[0].set_behaviour(step_delay=0.05)
    apis = [cluster.start_api(), cluster.start_api()]
    watches = [Watch(), Watch()]
    finished = threading.Event()
    streams = [
        threading.Thread(target=_follow_events, args=(api, watch, finished), daemon=True)
        for api, watch in zip(apis, watches, strict=True)
    ]
    for thread in streams:
        thread.start()
    for watch in watches:
        assert watch.stream_open.wait(30), "an event stream did not open"

    response = apis[0].post(
        "/api/v1/generate/example_01", json={"count": JOBS, "width": 64, "height": 64}
    )
    assert response.status_code == 202, response.text
    job_ids = [job["job_id"] for job in response.json()["jobs"]]
    pollers = [
        threading.Thread(target=_poll, args=(api, job_ids, watch, finished), daemon=True)
        for api, watch in zip(apis, watches, strict=True)
    ]
    for thread in pollers:
        thread.start()
    cluster.start_worker(cluster.standins[0].url)  # jobs wait, then run one by one

    deadline = time.monotonic() + 240
    while not all((job_id, "done") in watch.arrivals for watch in watches for job_id in job_ids):
        assert time.monotonic() < deadline, "the jobs did not finish on both streams"
        assert not any(watch.errors for watch in watches), [w.errors for w in watches]
        time.sleep(0.1)
    time.sleep(0.5)  # a few polls after the last event
    finished.set()
    for thread in pollers:
        thread.join(30)

    for index, watch in enumerate(watches):
        assert not watch.errors, watch.errors
        assert _stale_answers(watch) == [], f"API process {index}"
        for job_id in job_ids:
            assert (job_id, "processing") in watch.arrivals, "every job ran while watched"
            checked = [
                poll
                for poll in watch.polls
                if poll[1] == job_id and poll[0] > watch.arrivals[(job_id, "processing")]
            ]
            assert checked, f"API process {index} polled {job_id} after it started"
            assert checked[-1][2] == "done"
        statuses = [status for _, job_id, status in watch.polls if job_id == job_ids[-1]]
        assert statuses[0] == "pending", "the last job was polled while it waited"
