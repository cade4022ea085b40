"""What the GAZE API answers, as typed, immutable objects (the raw JSON stays in `raw`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

FINISHED_STATUSES = frozenset({"done", "failed", "cancelled"})


class Unset(Enum):
    """The type of UNSET: an option not given at all, unlike an explicit None."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class Hires:
    """A generate request's second pass; fields left None take the server's defaults (steps,
    sampler and scheduler: the first pass's)."""

    scale: float | None = None
    denoise: float | None = None
    steps: int | None = None
    upscaler: str | None = None
    sampler: str | None = None
    scheduler: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class UploadedImage:
    """An uploaded image, stored as a PNG; `relative_path` is what `init_image` and `mask`
    take."""

    upload_id: str
    relative_path: str
    width: int
    height: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UploadedImage:
        return cls(
            upload_id=str(data["upload_id"]),
            relative_path=str(data["relative_path"]),
            width=int(data["width"]),
            height=int(data["height"]),
        )


@dataclass(frozen=True)
class JobResult:
    image_url: str
    relative_path: str
    seed: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobResult:
        return cls(
            image_url=str(data["image_url"]),
            relative_path=str(data["relative_path"]),
            seed=int(data["seed"]),
        )


@dataclass(frozen=True)
class Job:
    id: str
    label: str
    status: str
    error: str | None
    result: JobResult | None
    progress: float = 0.0
    queue_position: int | None = None
    eta_seconds: float | None = None
    preset: str | None = None
    batch_id: str | None = None
    retry_of: str | None = None
    backend: str | None = None
    cancel_requested: bool = False
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        result = data.get("result")
        return cls(
            id=str(data["id"]),
            label=str(data.get("label", "")),
            status=str(data["status"]),
            error=data.get("error"),
            result=JobResult.from_json(result) if isinstance(result, dict) else None,
            progress=float(data.get("progress") or 0.0),
            queue_position=data.get("queue_position"),
            eta_seconds=data.get("eta_seconds"),
            preset=data.get("preset"),
            batch_id=data.get("batch_id"),
            retry_of=data.get("retry_of"),
            backend=data.get("backend"),
            cancel_requested=bool(data.get("cancel_requested", False)),
            created_at=data.get("created_at"),
            started_at=data.get("started_at"),
            finished_at=data.get("finished_at"),
            raw=data,
        )


@dataclass(frozen=True)
class Submission:
    """The 202 of generate, retry, upscale and vary: the queued job ids and their batch."""

    job_ids: list[str]
    batch_id: str
    replayed: bool = False
    """True when an Idempotency-Key made the server answer an earlier request again."""

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replayed: bool = False) -> Submission:
        return cls(
            job_ids=[str(job["job_id"]) for job in data["jobs"]],
            batch_id=str(data["batch_id"]),
            replayed=replayed,
        )


@dataclass(frozen=True)
class JobPage:
    jobs: list[Job]
    next_cursor: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobPage:
        return cls(
            jobs=[Job.from_json(job) for job in data["jobs"]], next_cursor=data.get("next_cursor")
        )


@dataclass(frozen=True)
class Batch:
    batch_id: str
    status: str
    total: int
    counts: dict[str, int]
    jobs: list[Job]

    @property
    def finished(self) -> bool:
        return all(job.finished for job in self.jobs)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Batch:
        return cls(
            batch_id=str(data["batch_id"]),
            status=str(data["status"]),
            total=int(data["total"]),
            counts={str(key): int(value) for key, value in data["counts"].items()},
            jobs=[Job.from_json(job) for job in data["jobs"]],
        )


@dataclass(frozen=True)
class QueueOverview:
    pending: int
    processing: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueueOverview:
        return cls(pending=int(data["pending"]), processing=int(data["processing"]))


@dataclass(frozen=True)
class Preset:
    preset_id: str
    slug: str
    name: str
    has_cover: bool

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preset:
        return cls(
            preset_id=str(data["preset_id"]),
            slug=str(data["slug"]),
            name=str(data["name"]),
            has_cover=bool(data["has_cover"]),
        )


@dataclass(frozen=True)
class WebhookDelivery:
    id: int
    event: str
    event_id: int
    url: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    log: list[dict[str, Any]]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WebhookDelivery:
        return cls(
            id=int(data["id"]),
            event=str(data["event"]),
            event_id=int(data["event_id"]),
            url=str(data["url"]),
            status=str(data["status"]),
            attempts=int(data["attempts"]),
            last_status_code=data.get("last_status_code"),
            last_error=data.get("last_error"),
            log=list(data.get("log") or []),
        )


@dataclass(frozen=True)
class Event:
    """One server-sent event: `snapshot`, or a job event (`job.queued` … `job.cancelled`)."""

    type: str
    id: int | None
    data: dict[str, Any]

    @property
    def job(self) -> Job | None:
        """The job a `job.*` event carries, as it was at the event."""
        job = self.data.get("job")
        return Job.from_json(job) if isinstance(job, dict) else None

    @property
    def jobs(self) -> list[Job]:
        """The jobs of a `snapshot` event."""
        return [Job.from_json(job) for job in self.data.get("jobs", [])]
