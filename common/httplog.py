"""One log line, not a traceback, for HTTP requests a peer got wrong (issue 17 item 8).

aiohttp logs every request it cannot parse (a broken request line, a header too long, a
body that does not inflate, a client gone mid-body) at ERROR with a full traceback through
its ``aiohttp.server`` logger ("Error handling request", "Unhandled exception"): one
hostile client fills a printer's log. Those are the peer's faults, answered with a 4xx or a
closed connection; :func:`install` puts a filter on that logger that rewrites such records
into one WARNING line (one per request, no traceback). Records whose exception is not a
peer's fault (a bug in a handler) stay ERROR with their traceback.

Every aiohttp face (the stub ACS, the EWS, the IPP app, the connection-request server, the
control APIs, the fleet and the proxy) calls :func:`install` where it builds its runner;
the filter is process-wide and installed once.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import http_exceptions, web

#: Exceptions that mean the peer sent something broken or went away, never a bug of ours.
PEER_ERRORS: tuple[type[BaseException], ...] = (
    http_exceptions.HttpProcessingError,  # BadHttpMessage, LineTooLong, BadStatusLine, ...
    web.RequestPayloadError,  # a body that does not decode (corrupt gzip, broken chunks)
    ConnectionError,  # reset, broken pipe, aborted: the client went away
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
)

_SERVER_LOGGER = "aiohttp.server"


def is_peer_error(exc: BaseException | None) -> bool:
    """True if ``exc`` (or what caused it) is a peer's fault rather than a bug."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, PEER_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def one_line(exc: BaseException) -> str:
    """``Type: message`` of ``exc`` on one line, at most 200 characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:200]


class PeerErrorFilter(logging.Filter):
    """Rewrite aiohttp's traceback records about peer errors into one WARNING line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not is_peer_error(exc):
            return True
        if record.msg == _AFTER_RESPONSE:
            # aiohttp logs this only after the handler answered (its lingering read of a body
            # that cannot be read): the request already has its answer and its log line.
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG) and _debug(record)
        message = record.getMessage()
        record.msg = "%s: %s (peer error, answered and logged without traceback)"
        record.args = (message, one_line(exc))
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        return True


#: aiohttp's message for an exception raised after the handler returned (web_protocol.start).
_AFTER_RESPONSE = "Unhandled exception"


def _debug(record: logging.LogRecord) -> bool:
    record.levelno = logging.DEBUG
    record.levelname = logging.getLevelName(logging.DEBUG)
    record.exc_info = None
    record.exc_text = None
    return True


_FILTER = PeerErrorFilter()


def install() -> None:
    """Put the filter on aiohttp's server logger (idempotent)."""
    logger = logging.getLogger(_SERVER_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
