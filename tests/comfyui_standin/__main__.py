"""Run the stand-in as a process.

``python -m tests.comfyui_standin --port N --models checkpoints=a,b --loras x --step-delay 0.05``

Prints ``ComfyUI stand-in listening on http://HOST:PORT`` once it accepts connections,
then serves until interrupted (SIGINT or SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import threading

from tests.comfyui_standin.server import ComfyUIStandIn, default_models


def _names(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.comfyui_standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8188, help="0 picks a free port")
    parser.add_argument(
        "--models",
        action="append",
        default=[],
        metavar="FOLDER=A,B",
        help="files of a model folder, e.g. checkpoints=a.safetensors,b.safetensors",
    )
    parser.add_argument("--checkpoints", type=_names, help="shorthand for --models checkpoints=")
    parser.add_argument("--loras", type=_names, help="shorthand for --models loras=")
    parser.add_argument("--vae", type=_names, help="shorthand for --models vae=")
    parser.add_argument("--step-delay", type=float, default=0.01)
    parser.add_argument("--load-delay", type=float, default=0.0)
    parser.add_argument("--fail-on-node", default=None)
    parser.add_argument("--preview-every", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    models = default_models()
    for entry in args.models:
        folder, _, names = entry.partition("=")
        models[folder] = _names(names)
    for folder in ("checkpoints", "loras", "vae"):
        if getattr(args, folder) is not None:
            models[folder] = getattr(args, folder)
    standin = ComfyUIStandIn(
        models=models,
        host=args.host,
        port=args.port,
        step_delay=args.step_delay,
        load_delay=args.load_delay,
        fail_on_node=args.fail_on_node,
        preview_every=args.preview_every,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    standin.start()
    print(f"ComfyUI stand-in listening on {standin.url}", flush=True)
    try:
        stopping.wait()
    finally:
        standin.stop()


if __name__ == "__main__":
    main()
