"""Job events: persisted in the database (their id is the SSE id), fanned out to subscribers.

In-process subscribers (the web UI's own SSE route, tests) use `stream.follow_events`:

    async for event in follow_events(runtime.jobs.events, batch_id=batch, after=None):
        ...  # a JobEvent, or None after `idle_seconds` without one (time for a heartbeat)
"""
