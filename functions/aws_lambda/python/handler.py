"""AWS Lambda handler for the python3.12+ runtimes: ``handler.search``.

The Python twin of the C++ bootstrap (``functions/aws_lambda/lambda_event.cc``):
the same three event shapes and the same answers, through the ``libsearch``
package and ``search_handler`` (shipped next to this file).

* API Gateway HTTP API (payload 2.0) and Function URL events: GET reads the
  search from ``rawQueryString``, POST from ``body`` (base64 if
  ``isBase64Encoded``); the reply is ``{statusCode, headers, body, isBase64Encoded}``.
* Direct invocation: the event is the search request; the reply is the
  response JSON, returned as bytes so the runtime passes it through unchanged
  (byte-identical to the C++ bootstrap's).
* An event that is not JSON never reaches here: the runtime client answers
  ``Runtime.UnmarshalError``, as the C++ bootstrap does.

The index is opened once, at import (the init phase), from the first of:
``$LIBSEARCH_INDEX`` (a path or an ``s3://bucket/key`` URL, downloaded once to
``/tmp``), ``$LAMBDA_TASK_ROOT/index.idx``, ``/opt/index.idx`` (a layer).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from typing import Any, Dict, Optional, Tuple

import libsearch
import search_handler

_CONTENT_TYPE = {"content-type": "application/json"}


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


INDEX = libsearch.Index.open(index_path())


def _envelope(response: Tuple[int, str]) -> Dict[str, Any]:
    status, body = response
    return {"statusCode": status, "headers": dict(_CONTENT_TYPE), "body": body, "isBase64Encoded": False}


def _http_event(event: Dict[str, Any], deadline_ms: Optional[float]) -> Tuple[int, str]:
    method = event["requestContext"]["http"].get("method")
    if method == "GET":
        raw_query = event.get("rawQueryString")
        return search_handler.handle_query_string(
            INDEX, raw_query if isinstance(raw_query, str) else "", deadline_ms=deadline_ms
        )
    if method != "POST":
        return search_handler.error_response(
            405,
            "method_not_allowed",
            f"method {search_handler.json_string(method if isinstance(method, str) else '')} "
            "is not allowed; use GET or POST",
        )
    body = event.get("body")
    text = body if isinstance(body, str) else ""
    if event.get("isBase64Encoded") is True:
        limit = search_handler.LIMITS.max_body_bytes
        decoded_size = len(text.rstrip("=")) * 6 // 8
        if decoded_size > limit:
            return search_handler.error_response(
                413, "payload_too_large", f"request body is {decoded_size} bytes; the limit is {limit}"
            )
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True) if text else b""
        except (binascii.Error, UnicodeEncodeError, ValueError):
            padded = text + "=" * (-len(text) % 4)
            try:
                raw = base64.b64decode(padded.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                return search_handler.error_response(400, "invalid_argument", "request body is not valid base64")
        return search_handler.handle_search(INDEX, raw, deadline_ms=deadline_ms)
    return search_handler.handle_search(INDEX, text, deadline_ms=deadline_ms)


def search(event: Any, context: Any) -> Any:
    """The Lambda entry point (``handler.search``)."""
    deadline_ms = None
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        deadline_ms = time.time() * 1000.0 + context.get_remaining_time_in_millis()
    if isinstance(event, dict):
        ctx = event.get("requestContext")
        if event.get("version") == "2.0" and isinstance(ctx, dict) and isinstance(ctx.get("http"), dict):
            return _envelope(_http_event(event, deadline_ms))
        if "httpMethod" in event:
            return _envelope(
                search_handler.error_response(
                    400,
                    "invalid_argument",
                    "API Gateway payload format 1.0 is not supported; use an HTTP API with "
                    "payload format 2.0 or a Function URL",
                )
            )
    # Direct invocation: the event is the request. The runtime client parsed
    # it; its compact re-serialisation is what the limits apply to.
    request = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    _, body = search_handler.handle_search(INDEX, request, deadline_ms=deadline_ms)
    return body.encode("utf-8")
