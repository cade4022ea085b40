"""`GET /api/v1/job/<id>` answers for active jobs, from the process's status cache when current.

The route calls, on the event loop, once the caller's key is known:

    answers = live_answers_of(runtime)          # follows the loop's event broker
    answer = answers.cached(job_id)             # a LiveAnswer, or None
    if answer is None:
        answer = await run_in_threadpool(answers.build, runtime, job_id)  # JobNotFound
    if not caller.may_see_job_of(answer.owner_key_id):
        raise service.JobNotFound(job_id)
    return Response(answer.body, media_type="application/json")

`build` takes the cache's ticket before it reads the job, so an answer read before an event
of the job (or before any status change) is never kept after that event reached this process
(gaze.events.status_cache). Answers are the same for every caller who may see the job; whose
job it is travels with them. Finished jobs keep their own cache (gaze.jobs.polling).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from gaze.events.status_cache import JobStatusCache, status_cache_of
from gaze.jobs import service
from gaze.jobs.context import JobContext
from gaze.jobs.status import ACTIVE


@dataclass(frozen=True)
class LiveAnswer:
    body: bytes
    owner_key_id: str | None


def answer_bytes(answer: dict[str, object]) -> bytes:
    """The JSON body, encoded as the finished answers are (gaze.jobs.polling)."""
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class LiveAnswers:
    def __init__(self, cache: JobStatusCache) -> None:
        self.cache = cache

    def cached(self, job_id: str) -> LiveAnswer | None:
        """The current cached answer (no database read); None: call `build`."""
        kept = self.cache.answer(job_id)
        return None if kept is None else LiveAnswer(kept.body, kept.owner)

    def build(self, context: JobContext, job_id: str) -> LiveAnswer:
        """Read the job and its forecast (raises JobNotFound); keep the answer if active."""
        ticket = self.cache.ticket(job_id)
        job = service.get_job(context, job_id)
        answer = LiveAnswer(
            answer_bytes(service.live_job_json(context, job)),
            job.api_key_id,
        )
        if job.status in ACTIVE:
            self.cache.keep(job_id, ticket, answer.body, answer.owner_key_id)
        return answer


def live_answers_of(context: JobContext, poll_seconds: float | None = None) -> LiveAnswers:
    """The process's live answers, following the running loop's broker (call on the loop)."""
    cache = status_cache_of(context.jobs.events)
    cache.follow(poll_seconds or context.settings.events_poll_seconds)
    return LiveAnswers(cache)
