"""How the stand-in misbehaves on demand: slow, failing, hanging, dropping, talking nonsense."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class StandInBehaviour:
    """Settable at construction, from the CLI, or live via ``POST /_standin/behaviour``.

    step_delay:             seconds per sampler step.
    load_delay:             seconds to "load" a checkpoint other than the one loaded last.
    fail_on_node:           node id or class_type that raises, ending in ``execution_error``.
    fail_message:           the exception message of that failure.
    hang:                   every ComfyUI route (HTTP and /ws) accepts the connection and
                            never answers.
    stall_at_step:          the sampler stops before this step and waits until interrupted.
    drop_websocket_at_step: the executing client's websocket is closed at this step.
    websocket_outage:       after such a drop, /ws refuses connections for this many seconds.
    garbage_http:           every ComfyUI route answers 200 with an HTML page instead of JSON.
    garbage_frames:         a non-JSON text frame precedes every websocket message.
    preview_every:          send a binary preview frame every N sampler steps (0: never).
    upload_status:          ``POST /upload/image`` answers this HTTP status with no body
                            (None: it stores the upload).
    """

    step_delay: float = 0.01
    load_delay: float = 0.0
    fail_on_node: str | None = None
    fail_message: str = "Simulated failure in the stand-in"
    hang: bool = False
    stall_at_step: int | None = None
    drop_websocket_at_step: int | None = None
    websocket_outage: float = 0.0
    garbage_http: bool = False
    garbage_frames: bool = False
    preview_every: int = 0
    upload_status: int | None = None

    def update(self, changes: dict[str, Any]) -> None:
        known = {field.name for field in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown behaviour settings: {sorted(unknown)}")
        for name, value in changes.items():
            setattr(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
