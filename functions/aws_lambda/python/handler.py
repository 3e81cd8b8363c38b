"""AWS Lambda handler for the python3.12+ runtimes: ``handler.search``.

A thin adapter: the event goes to the C++ handler through the extension
(``libsearch.Index.handle_lambda_event``, the function the C++ bootstrap
calls), so both runtimes answer with the same bytes.

* API Gateway HTTP API (payload 2.0) and Function URL events: GET reads the
  search from ``rawQueryString``, POST from ``body`` (base64 if
  ``isBase64Encoded``); the reply is ``{statusCode, headers, body, isBase64Encoded}``.
* Direct invocation: the event is the search request; the reply is the
  response JSON, returned as bytes so the runtime passes it through unchanged.
* An event that is not JSON never reaches here: the runtime client answers
  ``Runtime.UnmarshalError``, as the C++ bootstrap does.

Each request writes one JSON line to standard output (CloudWatch Logs keeps it), for the
advisor's hourly log aggregates (``libsearch_advisor.logs``): the library's line
(``libsearch.RequestLogger``, ``libsearch/request_log.h``), the same as the C++ bootstrap's;
the raw query only with ``LIBSEARCH_LOG_QUERIES=1``, and no line at all with
``LIBSEARCH_REQUEST_LOG=0``.

The index is opened once, at import (the init phase), from the first of:
``$LIBSEARCH_INDEX`` (a path; ``s3://BUCKET/PREFIX``, an index in S3 that
``RemoteWriter`` publishes, downloaded to ``$LIBSEARCH_TMP`` (default ``/tmp``);
or ``s3://bucket/key.idx``, one index file, downloaded once),
``$LAMBDA_TASK_ROOT/index.idx``, ``/opt/index.idx`` (a layer). Before each
invocation, at most every ``$LIBSEARCH_REFRESH_SECONDS`` (default 10; 0 never),
it is checked for a newer commit (:class:`libsearch.IndexReplica`); a failed
check is logged and the last snapshot keeps serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any

import libsearch


def _download_s3(url: str) -> str:
    """Downloads s3://bucket/key to /tmp once per execution environment.

    Uses boto3 (part of the Lambda Python runtimes); honours
    ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` for S3-compatible servers.
    """
    import boto3  # Imported only when needed: a local run may not have it.

    bucket, _, key = url[len("s3://") :].partition("/")
    if not bucket or not key:
        raise libsearch.InvalidArgument(f"LIBSEARCH_INDEX {url!r} is not s3://bucket/key")
    tmp = os.environ.get("LIBSEARCH_TMP", "/tmp")
    local = os.path.join(tmp, "libsearch-" + hashlib.sha256(url.encode()).hexdigest()[:16] + ".idx")
    if not os.path.exists(local):
        partial = local + ".part"
        boto3.client("s3").download_file(bucket, key, partial)
        os.replace(partial, local)
    return local


def index_path() -> str:
    """Where the index is, by the rule in the module docstring."""
    configured = os.environ.get("LIBSEARCH_INDEX", "")
    if configured.startswith("s3://") and configured.endswith(".idx"):
        return _download_s3(configured)
    if configured:
        return configured
    root = os.environ.get("LAMBDA_TASK_ROOT", "")
    if root and os.path.exists(os.path.join(root, "index.idx")):
        return os.path.join(root, "index.idx")
    return "/opt/index.idx"


def _cache_dir(url: str) -> str:
    tmp = os.environ.get("LIBSEARCH_TMP", "/tmp")
    return os.path.join(tmp, "libsearch-" + hashlib.sha256(url.encode()).hexdigest()[:16])


_REFRESH_SECONDS = float(os.environ.get("LIBSEARCH_REFRESH_SECONDS", "10") or "0")
_LOCATION = index_path()
# $LIBSEARCH_CHECKSUMS: when section checksums are checked (first-use, open or off).
_CHECKSUMS = os.environ.get("LIBSEARCH_CHECKSUMS")
REPLICA = libsearch.IndexReplica.open(_LOCATION, cache_dir=_cache_dir(_LOCATION),
                                      refresh_seconds=max(_REFRESH_SECONDS, 0.0),
                                      **({"checksums": _CHECKSUMS} if _CHECKSUMS else {}))


def _refresh() -> None:
    # Lambda freezes the process between invocations, so the check runs here.
    if _REFRESH_SECONDS <= 0:
        return
    try:
        REPLICA.maybe_refresh()
    except libsearch.LibsearchError as e:
        print(json.dumps({"level": "warning", "message": "index refresh failed",
                          "error": str(e), "generation": REPLICA.status["generation"]}), flush=True)


def _event_bytes(event: Any) -> bytes:
    # The runtime client has parsed the event; the compact re-serialisation is
    # what the C++ side reads. A lone surrogate cannot be UTF-8: it goes as a
    # \u escape, which the C++ parser then rejects as the bootstrap does.
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(event, separators=(",", ":")).encode("ascii")


# The first line this execution environment writes is the cold one.
_REQUEST_LOG = (libsearch.RequestLogger("lambda-python", os.environ.get("LIBSEARCH_LOG_QUERIES") == "1")
                if os.environ.get("LIBSEARCH_REQUEST_LOG", "1") != "0" else None)


def search(event: Any, context: Any) -> Any:
    """The Lambda entry point (``handler.search``)."""
    deadline_ms = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        deadline_ms = time.time() * 1000.0 + context.get_remaining_time_in_millis()
    _refresh()
    t0 = time.perf_counter()
    raw = _event_bytes(event)
    is_error, error_type, payload = REPLICA.index.handle_lambda_event(raw, deadline_ms)
    if _REQUEST_LOG is not None:
        took_us = (time.perf_counter() - t0) * 1e6
        print(_REQUEST_LOG.lambda_event(raw, (is_error, error_type, payload), took_us), flush=True)
    if is_error:
        raise RuntimeError(f"{error_type}: {payload.decode('utf-8', 'replace')}")
    return payload
