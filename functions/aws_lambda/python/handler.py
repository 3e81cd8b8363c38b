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

The index is opened once, at import (the init phase), from the first of:
``$LIBSEARCH_INDEX`` (a path or an ``s3://bucket/key`` URL, downloaded once to
``/tmp``), ``$LAMBDA_TASK_ROOT/index.idx``, ``/opt/index.idx`` (a layer).
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
    if configured.startswith("s3://"):
        return _download_s3(configured)
    if configured:
        return configured
    root = os.environ.get("LAMBDA_TASK_ROOT", "")
    if root and os.path.exists(os.path.join(root, "index.idx")):
        return os.path.join(root, "index.idx")
    return "/opt/index.idx"


# $LIBSEARCH_CHECKSUMS: when section checksums are checked (first-use, open or off).
_CHECKSUMS = os.environ.get("LIBSEARCH_CHECKSUMS")
INDEX = libsearch.Index.open(index_path(), **({"checksums": _CHECKSUMS} if _CHECKSUMS else {}))


def _event_bytes(event: Any) -> bytes:
    # The runtime client has parsed the event; the compact re-serialisation is
    # what the C++ side reads. A lone surrogate cannot be UTF-8: it goes as a
    # \u escape, which the C++ parser then rejects as the bootstrap does.
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(event, separators=(",", ":")).encode("ascii")


def search(event: Any, context: Any) -> Any:
    """The Lambda entry point (``handler.search``)."""
    deadline_ms = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        deadline_ms = time.time() * 1000.0 + context.get_remaining_time_in_millis()
    is_error, error_type, payload = INDEX.handle_lambda_event(_event_bytes(event), deadline_ms)
    if is_error:
        raise RuntimeError(f"{error_type}: {payload.decode('utf-8', 'replace')}")
    return payload
