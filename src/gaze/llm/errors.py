"""What can go wrong when asking the LLM server, each with a message that says what to do."""

from __future__ import annotations


class LlmError(Exception):
    """Base: the draft could not be made; `message` says why, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LlmUnreachable(LlmError):
    """The server could not be reached, or did not answer in time."""


class LlmRefused(LlmError):
    """The server answered with an HTTP error (after one retry for 429 and 5xx)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class LlmUnsupported(LlmRefused):
    """The server does not support what the request asked for (a response format, tools,
    streaming); the client tries the next way."""


class LlmAnswerTooLarge(LlmError):
    """The answer was longer than GAZE reads; it was not parsed."""


INVALID_ANSWER_INTRO = "The LLM's answer is not a valid draft (also after one retry): "


class LlmAnswerInvalid(LlmError):
    """The model's answer is not what was asked for (no JSON, wrong fields or types), also
    after being told what was wrong; `problems` lists each problem, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(INVALID_ANSWER_INTRO + "; ".join(problems))
        self.problems = problems


class LlmCancelled(LlmError):
    """The job was cancelled while the model was answering."""
