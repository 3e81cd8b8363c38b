"""Google Cloud Run functions HTTP functions that change the index:
``update`` (change events) and ``rebuild`` (the scheduled full rebuild).

    functions-framework --target update --source update.py --port 8081
    functions-framework --target rebuild --source update.py --port 8082

A POST of JSON Lines (one event; ``Idempotency-Key`` deduplicates) or a
Pub/Sub push subscription's body, applied by
``libsearch.handle_update_body`` (``libsearch/updates.h``) to
``$LIBSEARCH_INDEX`` as one published commit. The writer works in
``$LIBSEARCH_WRITER_DIR`` (default ``/tmp/libsearch-writer``). A Pub/Sub push
is acknowledged by a 2xx: a bad event is acknowledged (200, reported in the
body and the log) so it is not redelivered forever; a store failure (503) or
lost races (409) are not, so Pub/Sub delivers the message again.
"""

from __future__ import annotations

import json
import os
from typing import Tuple

import functions_framework
from flask import Request

import libsearch

_HEADERS = {"content-type": "application/json"}


@functions_framework.http
def update(request: Request) -> Tuple[str, int, dict]:
    if request.method != "POST":
        return '{"error":{"code":"method_not_allowed","message":"POST the changes as JSON Lines"}}', 405, _HEADERS
    status, body = libsearch.handle_update_body(
        request.get_data(cache=False),
        index_url=os.environ["LIBSEARCH_INDEX"],
        cache_dir=os.environ.get("LIBSEARCH_WRITER_DIR", "/tmp/libsearch-writer"),
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return body, status, _HEADERS


@functions_framework.http
def rebuild(request: Request) -> Tuple[str, int, dict]:
    """Cloud Scheduler's POST (body ``{"export": URL, "export_started": ms}``,
    both optional; else ``$LIBSEARCH_EXPORT``): a fresh index from the export,
    the changes logged since replayed, published over ``$LIBSEARCH_INDEX``."""
    is_error, error_type, payload = libsearch.handle_rebuild_event(
        request.get_data(cache=False) or b"{}",
        index_url=os.environ["LIBSEARCH_INDEX"],
        cache_dir=os.environ.get("LIBSEARCH_WRITER_DIR", "/tmp/libsearch-rebuild"),
        export_url=os.environ.get("LIBSEARCH_EXPORT", ""),
    )
    if is_error:
        message = payload.decode("utf-8", "replace")
        return json.dumps({"error": {"code": error_type, "message": message}}), 500, _HEADERS
    return payload.decode("utf-8"), 200, _HEADERS
