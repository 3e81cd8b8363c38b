"""Google Cloud Run function for the hourly request-log job: target ``logs_hourly``.

    functions-framework --target logs_hourly --source logs_hourly.py --port 8083

Cloud Scheduler POSTs ``{}`` (or ``{"hour": "2026-12-07T10:00:00Z"}`` for a backfill) every hour;
a thin adapter over ``libsearch_advisor.logs.handler``, which aggregates the hour before now
from the request-log objects under ``$LIBSEARCH_LOG_PREFIX`` of ``$LIBSEARCH_LOG_SOURCE`` and writes
its Parquet partition under ``$LIBSEARCH_AGGREGATE_PREFIX``. The source is ``s3://BUCKET``:
a Cloud Storage bucket through its S3-compatible XML API (``AWS_ENDPOINT_URL_S3=
https://storage.googleapis.com`` and an HMAC key as ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``), or a directory. A Cloud Logging sink to that bucket writes one
LogEntry per line, the request line as its jsonPayload, which the job unwraps (README "Which
deployment?" has the commands).
"""

from __future__ import annotations

import json
from typing import Tuple

import functions_framework
from flask import Request

from libsearch_advisor.logs import handler

_HEADERS = {"content-type": "application/json"}


@functions_framework.http
def logs_hourly(request: Request) -> Tuple[str, int, dict]:
    if request.method != "POST":
        return '{"error":{"code":"method_not_allowed","message":"POST (Cloud Scheduler)"}}', 405, _HEADERS
    event = request.get_json(silent=True, force=True) or {}
    if not isinstance(event, dict):
        return '{"error":{"code":"bad_request","message":"expected a JSON object"}}', 400, _HEADERS
    return json.dumps(handler(event, None)), 200, _HEADERS
