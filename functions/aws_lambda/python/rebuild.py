"""AWS Lambda handler for the scheduled rebuild: ``rebuild.handle``.

Invoked by EventBridge Scheduler (fixed input ``{"export": "s3://...",
"export_started": <unix ms>}``, both optional) or an S3 event of the export:
builds a fresh index from the catalogue export (``$LIBSEARCH_EXPORT`` unless
the event names one), replays the changes logged since the export started
and publishes it over ``$LIBSEARCH_INDEX`` (``libsearch/updates.h``). Serving
instances pick it up at their next refresh; the files it replaces are
removed after the writer's grace period.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any

import libsearch


def handle(event: Any, context: Any) -> Any:
    """The Lambda entry point (``rebuild.handle``)."""
    if isinstance(event, dict) and "Records" in event:  # An S3 event: the export just written.
        s3 = event["Records"][0]["s3"]
        key = urllib.parse.unquote_plus(s3["object"]["key"])  # S3 events encode keys.
        event = {"export": f"s3://{s3['bucket']['name']}/{key}"}
    is_error, error_type, payload = libsearch.handle_rebuild_event(
        json.dumps(event).encode("utf-8"),
        index_url=os.environ["LIBSEARCH_INDEX"],
        cache_dir=os.environ.get("LIBSEARCH_WRITER_DIR", "/tmp/libsearch-rebuild"),
        export_url=os.environ.get("LIBSEARCH_EXPORT", ""),
    )
    if is_error:
        raise RuntimeError(f"{error_type}: {payload.decode('utf-8', 'replace')}")
    return json.loads(payload)
