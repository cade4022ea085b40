"""Log configuration; API keys in query strings never reach the logs."""

from __future__ import annotations

import logging
import re

_API_KEY_IN_QUERY = re.compile(r"(api_key=)[^&\s\"]+", re.IGNORECASE)


class RedactApiKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _API_KEY_IN_QUERY.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = _API_KEY_IN_QUERY.sub(r"\1[redacted]", record.msg)
        return True


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in ("uvicorn.access", "uvicorn.error", "huey"):
        logging.getLogger(name).addFilter(RedactApiKeys())
    logging.getLogger("huey").setLevel(max(logging.WARNING, logging.getLogger().level))
