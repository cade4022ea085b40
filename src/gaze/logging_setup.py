"""Log configuration; API keys never reach the logs.

The redaction is a filter on the root logger's handlers, so it sees every record that is
written, whichever logger made it (uvicorn's access and error logs, huey, GAZE's own), after
formatting its arguments and its exception text.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

REDACTED = "[redacted]"

_PARAMETER = re.compile(r"(?P<name>[^\s?&;=#\"'<>]+)=(?P<value>[^\s&;#\"'<>]*)")
_HEADER = re.compile(r"(?P<name>x-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+", re.IGNORECASE)
_KEY_SHAPE = re.compile(r"gz_[A-Za-z0-9_\-]{16,}")
_PLAIN = logging.Formatter()


def _decoded_name(name: str) -> str:
    for _ in range(3):  # %255F is %5F is _
        decoded = unquote_plus(name)
        if decoded == name:
            break
        name = decoded
    return name.strip().lower().replace("-", "_")


def _redact_parameter(match: re.Match[str]) -> str:
    if _decoded_name(match["name"]).endswith("api_key"):
        return f"{match['name']}={REDACTED}"
    return match[0]


def redact(text: str) -> str:
    """`text` with API keys replaced: query parameters (and `NAME=value` pairs) whose name
    spells api_key in any case or percent-encoding, X-API-Key headers, and anything shaped
    like a GAZE key."""
    if "=" in text:
        text = _PARAMETER.sub(_redact_parameter, text)
    text = _HEADER.sub(lambda match: match["name"] + REDACTED, text)
    return _KEY_SHAPE.sub(REDACTED, text)


class RedactApiKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _PLAIN.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(logger: logging.Logger) -> None:
    """Put the redacting filter on every handler of `logger` (once each)."""
    for handler in logger.handlers:
        if not any(isinstance(existing, RedactApiKeys) for existing in handler.filters):
            handler.addFilter(RedactApiKeys())


_JOB_POLL = re.compile(r"/api/v1/job/[^/?]+(?:\?.*)?")


class QuietPolls(logging.Filter):
    """Leaves out the access-log lines of answered job polls (`GET /api/v1/job/<id>` with
    200 or 304): clients poll in loops, and a line per poll would bury everything else and
    cost the hot path its log write. Failed polls are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        _, method, path, _, status = args
        return not (method == "GET" and status in (200, 304) and _JOB_POLL.fullmatch(str(path)))


def configure_logging(level: str, *, log_polls: bool = False) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    install_redaction(logging.getLogger())
    access = logging.getLogger("uvicorn.access")
    quiet = [existing for existing in access.filters if isinstance(existing, QuietPolls)]
    if log_polls:
        for existing in quiet:
            access.removeFilter(existing)
    elif not quiet:
        access.addFilter(QuietPolls())
    logging.getLogger("huey").setLevel(max(logging.WARNING, logging.getLogger().level))
