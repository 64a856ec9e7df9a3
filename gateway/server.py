"""How the HTTP server itself is run: header limits, its log of refused requests, and the
start-up problems `serve` reports in one line."""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError
from sqlalchemy.exc import DBAPIError

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


UNKNOWN_DATABASE = 1049  # MySQL/MariaDB's error number for a database that does not exist


def database_problem(error: DBAPIError) -> str:
    reason = " ".join(str(error.orig).split())
    if getattr(error.orig, "args", (None,))[:1] == (UNKNOWN_DATABASE,):
        return f"{reason}: create it (CREATE DATABASE ...), then run `analytics-gateway init-db`"
    return reason


def port_free(host: str, port: int) -> None:
    """Before anything is printed: a busy port is one line, not a traceback after the token."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ValueError(f"port {port} on {host} is in use: stop what listens there or set PORT") from error
            raise ValueError(f"cannot listen on {host}:{port}: {error.strerror}") from error
