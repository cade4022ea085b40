"""Errors the GAZE client raises."""

from __future__ import annotations


class GazeError(Exception):
    """Base class of every client error."""


class GazeApiError(GazeError):
    """The server answered with an error: `{"error": message, "code": code}` and a status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class GazeConnectionError(GazeError):
    """The server could not be reached."""


class GazeTimeout(GazeError):
    """A wait for a job ran out of time."""
