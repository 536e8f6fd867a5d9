"""Private feed tokens never reach a log: `/feeds/private/<token>` is written as
`/feeds/private/[redacted]` by the application's loggers and by gunicorn's access log
(`logger_class` in deploy/gunicorn.conf.py)."""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

# The token may arrive percent-encoded or with any suffix; everything up to a separator goes.
PRIVATE_FEED_PATH = re.compile(r"(/feeds/private/)[^\s\"'?#&/]+", re.IGNORECASE)
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    """The text with every private feed token replaced."""
    return PRIVATE_FEED_PATH.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message (werkzeug's request lines too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger whose access-log fields (request line, path, referer, headers) have
    private feed tokens redacted."""

    def atoms(self, resp, req, environ, request_time):
        return {
            name: redact(value) if isinstance(value, str) else value
            for name, value in super().atoms(resp, req, environ, request_time).items()
        }


def init_app(app) -> None:
    """Redact the application's and the development server's log lines."""
    for logger in (app.logger, logging.getLogger("werkzeug")):
        if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
            logger.addFilter(RedactingFilter())
