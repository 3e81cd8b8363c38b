"""Google Cloud Run functions (Cloud Functions 2nd gen) HTTP function: ``search``.

Runs under ``functions-framework`` (the same framework the platform uses)::

    functions-framework --target search --source main.py --port 8080

    GET  /?q=peanut+butter&k=3     the search as URL parameters
    POST /   {"query": "peanut butter", "k": 3}

Requests and answers are those of the other surfaces: the C++ handler answers
through the extension (``libsearch.Index.handle_json``), so the bytes are the
same; errors are ``{"error": {"code", "message"}}`` with a 4xx/5xx status. The index is opened once per instance, at import, from
``$LIBSEARCH_INDEX`` (a path, or ``s3://BUCKET/PREFIX`` downloaded to
``$LIBSEARCH_CACHE_DIR``, default ``/tmp/libsearch``), else ``index.idx`` next to
this file. Before a request, at most every ``$LIBSEARCH_REFRESH_SECONDS``
(default 10; 0 never), it is checked for a newer commit; a failed check is
logged and the last snapshot keeps serving.

Each request writes one JSON line to standard output (Cloud Logging keeps it) for the advisor's
hourly log aggregates (``libsearch_advisor.logs``): the library's line (``libsearch.RequestLogger``,
``libsearch/request_log.h``), the same as the other surfaces'; the raw query only with
``LIBSEARCH_LOG_QUERIES=1``, and no line with ``LIBSEARCH_REQUEST_LOG=0``.
"""

from __future__ import annotations

import json
import os
import time
from typing import Tuple

import functions_framework
from flask import Request

import libsearch
from libsearch import _core

_HERE = os.path.dirname(os.path.abspath(__file__))
_REFRESH_SECONDS = float(os.environ.get("LIBSEARCH_REFRESH_SECONDS", "10") or "0")
# $LIBSEARCH_CHECKSUMS: when section checksums are checked (first-use, open or off).
_CHECKSUMS = os.environ.get("LIBSEARCH_CHECKSUMS")
REPLICA = libsearch.IndexReplica.open(
    os.environ.get("LIBSEARCH_INDEX") or os.path.join(_HERE, "index.idx"),
    cache_dir=os.environ.get("LIBSEARCH_CACHE_DIR", "/tmp/libsearch"),
    refresh_seconds=max(_REFRESH_SECONDS, 0.0),
    **({"checksums": _CHECKSUMS} if _CHECKSUMS else {}),
)
_HEADERS = {"content-type": "application/json"}
# The first line this instance writes is the cold one.
_REQUEST_LOG = (libsearch.RequestLogger("gcf-python", os.environ.get("LIBSEARCH_LOG_QUERIES") == "1")
                if os.environ.get("LIBSEARCH_REQUEST_LOG", "1") != "0" else None)


def _index() -> libsearch.Index:
    if _REFRESH_SECONDS > 0:
        try:
            REPLICA.maybe_refresh()
        except libsearch.LibsearchError as e:
            print(json.dumps({"severity": "WARNING", "message": "index refresh failed", "error": str(e),
                              "generation": REPLICA.status["generation"]}), flush=True)
    return REPLICA.index


@functions_framework.http
def search(request: Request) -> Tuple[str, int, dict]:
    """GET: the query string; POST: the JSON body."""
    t0 = time.perf_counter()
    status, body = _answer(request)
    if _REQUEST_LOG is not None:
        print(_log_line(_REQUEST_LOG, request, (status, body), (time.perf_counter() - t0) * 1e6), flush=True)
    return body, status, _HEADERS


def _log_line(log: libsearch.RequestLogger, request: Request, reply: Tuple[int, str], took_us: float) -> str:
    if request.method == "GET":
        return log.search_query_string(request.query_string, reply, took_us)
    if request.method == "POST" and reply[0] != 413:  # A refused body stays unread.
        return log.search_json(request.get_data(cache=True), reply, took_us)
    return log.refused(reply[0], took_us)


def _answer(request: Request) -> Tuple[int, str]:
    if request.method == "GET":
        status, body = _index().handle_query_string(request.query_string)
    elif request.method == "POST":
        limit = _core.JSON_LIMITS["max_body_bytes"]
        if request.content_length is not None and request.content_length > limit:
            # Refused unread, as the other surfaces do past their limit.
            status, body = _core.error_reply(
                413, "payload_too_large", f"request body is {request.content_length} bytes; the limit is {limit}"
            )
        else:
            status, body = _index().handle_json(request.get_data(cache=True))
    else:
        status, body = _core.error_reply(
            405, "method_not_allowed", f"method {json.dumps(request.method)} is not allowed; use GET or POST"
        )
    return status, body
