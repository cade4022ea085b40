"""Test support: running real GAZE servers and waiting for jobs."""
