"""AWS Lambda handler for change events: ``update.handle`` (python3.12+).

A thin adapter over ``libsearch.handle_update_lambda_event``
(``libsearch/updates.h``), the function the C++ bootstrap calls with
``_HANDLER=update``: an SQS batch (the reply is its partial batch response;
enable ``ReportBatchItemFailures``), an HTTP POST of JSON Lines (API Gateway
HTTP API or Function URL; ``Idempotency-Key`` deduplicates), or
``{"events": [{"id": ..., "changes": [...]}]}``. Each batch becomes one
commit published to ``$LIBSEARCH_INDEX`` (``s3://BUCKET/PREFIX``); the writer
works in ``$LIBSEARCH_WRITER_DIR`` (default ``/tmp/libsearch-writer``), which
a warm instance reuses, so only new files are downloaded.
"""

from __future__ import annotations

import json
import os
from typing import Any

import libsearch


def handle(event: Any, context: Any) -> Any:
    """The Lambda entry point (``update.handle``)."""
    raw = json.dumps(event, separators=(",", ":")).encode("utf-8")
    is_error, error_type, payload = libsearch.handle_update_lambda_event(
        raw,
        index_url=os.environ["LIBSEARCH_INDEX"],
        cache_dir=os.environ.get("LIBSEARCH_WRITER_DIR", "/tmp/libsearch-writer"),
    )
    if is_error:
        raise RuntimeError(f"{error_type}: {payload.decode('utf-8', 'replace')}")
    return json.loads(payload)
