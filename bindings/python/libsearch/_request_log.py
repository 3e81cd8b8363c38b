"""The request log line of the Python surfaces (``libsearch/request_log.h``): the same line,
written by the same C++ code, as the C++ Lambda bootstrap and the HTTP service write."""

from __future__ import annotations

from typing import Tuple, Union

from . import _core

Bytes = Union[str, bytes]


def _b(x: Bytes) -> bytes:
    return x.encode("utf-8", "surrogatepass") if isinstance(x, str) else x


def query_hash(query: Bytes) -> str:
    """XXH3-64 of the query's UTF-8 bytes, as 16 lowercase hex digits (the line's ``query_hash``)."""
    return _core.query_hash(_b(query))


class RequestLogger:
    """One process's request log: each method returns the JSON line (no newline) for a request
    just answered; the first line is the cold one. ``took_us`` is the surface's own measure,
    written when the answer carries no engine ``took_us`` (an error). The raw query is written
    only with ``include_query`` (the surfaces: ``LIBSEARCH_LOG_QUERIES=1``)."""

    def __init__(self, surface: str, include_query: bool = False) -> None:
        self._log = _core.RequestLogger(surface, include_query)

    def search_json(self, body: Bytes, reply: Tuple[int, str], took_us: float) -> str:
        """A JSON request body and ``Index.handle_json``'s ``(status, body)``."""
        return self._log.search_json(_b(body), reply[0], reply[1], took_us)

    def search_query_string(self, query: Bytes, reply: Tuple[int, str], took_us: float) -> str:
        """A URL query string and ``Index.handle_query_string``'s ``(status, body)``."""
        return self._log.search_query_string(_b(query), reply[0], reply[1], took_us)

    def lambda_event(self, event: Bytes, reply: Tuple[bool, str, bytes], took_us: float) -> str:
        """A Lambda event and ``Index.handle_lambda_event``'s ``(is_error, error_type, payload)``."""
        return self._log.lambda_event(_b(event), reply[0], reply[1], reply[2], took_us)

    def refused(self, status: int, took_us: float) -> str:
        """A request refused before its query was read (e.g. a body over the limit)."""
        return self._log.refused(status, took_us)
