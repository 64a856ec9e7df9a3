"""How the HTTP server itself is run: header limits and its log of refused requests."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

# Above aiohttp's 8190 bytes, so that an oversized credential (up to these limits) reaches the
# gateway and gets its coded 401 "token is too large" instead of aiohttp's plain-text 400;
# still small enough that 128 headers stay a few MB. Beyond them aiohttp answers 400 itself.
SERVER_LIMITS: dict[str, Any] = {"max_field_size": 16_384, "max_line_size": 16_384}


class RefusedRequests(logging.Filter):
    """aiohttp logs each malformed request with a traceback and the header it choked on (part of
    a token, maybe): one line without either is enough for what a client got wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg, record.args = "refused a malformed HTTP request: %s (HTTP %s)", (type(error).__name__, error.code)
            record.exc_info, record.exc_text, record.levelno, record.levelname = None, None, logging.INFO, "INFO"
        return True


def quiet_refusals() -> None:
    logging.getLogger("aiohttp.server").addFilter(RefusedRequests())
