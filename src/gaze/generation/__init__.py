"""Turning a preset and a request into queued jobs."""
