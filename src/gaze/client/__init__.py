"""A typed Python client of the GAZE REST API (sync and asyncio, on httpx).

    from gaze.client import GazeClient

    with GazeClient("http://127.0.0.1:5782", api_key="gz_...") as gaze:
        queued = gaze.generate("example_01", count=2, seed=1234)
        for event in gaze.events(batch=queued.batch_id):
            ...

It needs only httpx: the server's own modules are never imported.
"""

from gaze.client.async_client import AsyncGazeClient
from gaze.client.errors import GazeApiError, GazeConnectionError, GazeError, GazeTimeout
from gaze.client.models import (
    UNSET,
    Batch,
    Event,
    Hires,
    Job,
    JobPage,
    JobResult,
    Preset,
    QueueOverview,
    Submission,
    Unset,
    UploadedImage,
    WebhookDelivery,
)
from gaze.client.sync_client import GazeClient

__all__ = [
    "UNSET",
    "AsyncGazeClient",
    "Batch",
    "Event",
    "GazeApiError",
    "GazeClient",
    "GazeConnectionError",
    "GazeError",
    "GazeTimeout",
    "Hires",
    "Job",
    "JobPage",
    "JobResult",
    "Preset",
    "QueueOverview",
    "Submission",
    "Unset",
    "UploadedImage",
    "WebhookDelivery",
]
