"""AWS Lambda handler for the hourly request-log job: ``logs_hourly.handle`` (python3.12).

EventBridge Scheduler starts it every hour with ``{"time": "<aws.scheduler.scheduled-time>"}``
(functions/aws_lambda/template.yaml, ``RequestLogs=on``); ``{"hour": "2026-12-07T10:00:00Z"}``
aggregates that hour instead (a backfill). A thin adapter over
``libsearch_advisor.logs.handler``: it reads the request-log objects under
``$LIBSEARCH_LOG_PREFIX`` of ``$LIBSEARCH_LOG_SOURCE`` (``s3://BUCKET``; the template's Firehose
stream puts the serving functions' log lines there) and writes the hour's Parquet partition
(``dt=YYYY-MM-DD/hour=HH/``) under ``$LIBSEARCH_AGGREGATE_PREFIX``, which
``libsearch-advisor advise --logs s3://BUCKET/aggregates/`` reads. Its layer holds the advisor
package, pyarrow and numpy (``make package``: libsearch-logs-layer.zip).
"""

from __future__ import annotations

from typing import Any, Dict

from libsearch_advisor.logs import handler


def handle(event: Any, context: Any) -> Dict[str, str]:
    """The Lambda entry point (``logs_hourly.handle``)."""
    return handler(event if isinstance(event, dict) else {}, context)
