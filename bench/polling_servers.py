"""Polling a finished job on several servers, interleaved: which server, and what per-request
work, GET /api/v1/job/<id> costs (issue 18 part 1).

bench/job_polling.py runs each server once after the other; on a busy machine the load moves
between those runs. Here every target is up at once and loaded in turns (`--rounds` rounds of
`--seconds` each, wrk -t2 -c32 as bench/job_polling.py), so each ratio compares figures taken
seconds apart; the medians are printed.

Targets:
- `bare async`: the `async def` FastAPI endpoint of bench/job_polling.py on uvicorn (the baseline);
- `gaze`: `gaze serve` (uvicorn) as bench/job_polling.py runs it (devkit: GAZE_LOG_LEVEL=warning);
- `gaze, info log`: the same at the default log level (one access-log line per request), to
  see what logging costs;
- `gaze on granian` and `bare async on granian`, when granian is installed (`pip install granian`):
  the same app objects served by granian (one worker), to see whether it is faster here.

    .venv/bin/python bench/polling_servers.py [--seconds 5] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.job_polling import wrk
from devkit.server import free_port, gaze_env, init_data, running_server

BARE_MODULE = textwrap.dedent(
    """
    import json, os
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    BODY = json.loads(os.environ["BARE_BODY"])
    app = FastAPI()

    @app.get("/api/v1/job/{job_id}")
    async def async_job(job_id: str) -> JSONResponse:
        return JSONResponse(BODY)

    if __name__ == "__main__":
        import uvicorn
        uvicorn.run(app, host="127.0.0.1", port=int(os.environ["BARE_PORT"]), log_level="warning")
    """
)

GAZE_MODULE = textwrap.dedent(
    """
    # GAZE's app as `gaze serve` builds it, for another server to import
    from gaze.app import create_app
    from gaze.cli.options import settings_for
    from gaze.logging_setup import configure_logging
    from gaze.runtime import open_runtime

    settings = settings_for(None)
    configure_logging(settings.log_level)
    app = create_app(open_runtime(settings), with_worker=True)
    """
)


def _wait_answering(
    url: str, headers: dict[str, str], process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"the server for {url} exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer:\n{log.read_text(errors='replace')[-3000:]}")


@contextmanager
def _process(
    command: list[str], env: dict[str, str], cwd: Path, url: str, headers: dict[str, str]
) -> Iterator[None]:
    path = cwd / f"{Path(command[-1]).name}-{free_port()}.log"
    log = open(path, "ab")  # noqa: SIM115
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_answering(url, headers, process, path)
        yield
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _granian(module: str, port: int) -> list[str]:
    granian = Path(sys.executable).with_name("granian")
    return [
        str(granian),
        "--interface",
        "asgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-ws",
        "--log-level",
        "warning",
        f"{module}:app",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-granian", action="store_true", help="skip the granian targets")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    with_granian = not args.no_granian and importlib.util.find_spec("granian") is not None

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        work = Path(tmp)
        data = init_data(work / "data")
        with running_server(data) as server:
            body = server.generate_and_wait(seed=1)
            api_key = server.api_key
        job = body["id"]
        headers = {"X-API-Key": api_key}
        (work / "bare_app.py").write_text(BARE_MODULE)
        (work / "gaze_app.py").write_text(GAZE_MODULE)
        bare_env = {**os.environ, "BARE_BODY": json.dumps(body)}
        targets: dict[str, tuple[str, dict[str, str]]] = {}

        def start(name: str, command: list[str], env: dict[str, str], port: int, key: bool) -> None:
            url = f"http://127.0.0.1:{port}/api/v1/job/{job}"
            sent = headers if key else {}
            servers.enter_context(_process(command, env, work, url, sent))
            targets[name] = (url, sent)

        port = free_port()
        start(
            "bare async",
            [sys.executable, "bare_app.py"],
            {**bare_env, "BARE_PORT": str(port)},
            port,
            key=False,
        )
        for name, level in (("gaze", "warning"), ("gaze, info log", "info")):
            port = free_port()
            gaze = Path(sys.executable).with_name("gaze")
            env = gaze_env(data, GAZE_LOG_LEVEL=level)
            start(name, [str(gaze), "serve", "--port", str(port)], env, port, key=True)
        if with_granian:
            port = free_port()
            start("bare async on granian", _granian("bare_app", port), bare_env, port, key=False)
            port = free_port()
            env = {**gaze_env(data), "PYTHONPATH": str(work)}
            start("gaze on granian", _granian("gaze_app", port), env, port, key=True)

        figures: dict[str, list[float]] = {name: [] for name in targets}
        for round_number in range(args.rounds):
            for name, (url, sent) in targets.items():
                rps, _ = wrk(url, args.seconds, args.connections, sent)
                figures[name].append(rps)
            shown = "  ".join(f"{name}: {values[-1]:.0f}" for name, values in figures.items())
            print(f"round {round_number + 1}: {shown}", flush=True)

    baseline = statistics.median(figures["bare async"])
    for name, values in figures.items():
        median = statistics.median(values)
        print(
            f"{name:24s}: {median:8.0f} req/s (median)  ratio to bare async {median / baseline:.2f}"
        )


if __name__ == "__main__":
    main()
