"""Traffic from the surfaces' own request logs (issue 20, item 1).

Every surface (lambda-cpp, lambda-python, gcf-python, service) writes one JSON line per search
request to its standard output (CloudWatch Logs / Cloud Logging keep it), all from one
implementation in the library (libsearch/request_log.h), with no raw query unless
LIBSEARCH_LOG_QUERIES=1:

    {"libsearch_request": 1, "time": 1764583200.125, "surface": "lambda-python", "cold": false,
     "status": 200, "took_us": 412, "total": 37, "query_len": 13, "query_hash": "a3c1e2f5d8b70946"}

time is Unix seconds; cold marks the first request of a process; total is null for an error;
query_len counts code points; query_hash is XXH3-64 (seed 0) of the query's UTF-8 bytes as 16
hex digits, only grouped by here (the top zero-result queries).

`aggregate` turns the lines of one hour into a Parquet partition (pyarrow), `dt=YYYY-MM-DD/
hour=HH/part-0.parquet`: one row per second and surface with the requests, cold starts, errors,
zero-result answers and latency percentiles, and `zero_results.parquet` beside it with the most
frequent zero-result query hashes. `hourly_job` is the scheduled function: it reads the last
hour's log objects under a prefix of an S3 bucket (or a local directory) and writes the partition
there. `load_partitions` turns partitions back into a trace for `advise` (`advise --logs DIR`):
each second's requests spread evenly over that second.

pyarrow is needed for the Parquet files only (`pip install pyarrow`).
"""

from __future__ import annotations

import datetime
import json
import math
import pathlib
import re
import tempfile
from collections import Counter, defaultdict
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from .errors import TrafficError
from .traffic import Trace

MARK = "libsearch_request"
TOP_ZERO = 20


def parse_lines(lines: Iterable[str]) -> List[Dict[str, Any]]:
    """The request lines among a log's lines (other lines, e.g. the runtime's START/REPORT, are skipped)."""
    out = []
    for line in lines:
        s = line.strip()
        if not s.startswith("{") or MARK not in s:
            continue
        try:
            rec = json.loads(s)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and rec.get(MARK) == 1 and isinstance(rec.get("time"), (int, float)):
            out.append(rec)
    return out


def unwrap_log_entries(lines: Iterable[str]) -> Iterator[str]:
    """The lines as the surfaces wrote them. A Cloud Logging export (a log sink to a Cloud Storage
    bucket) holds one LogEntry per line, with the surface's JSON line as its jsonPayload; other
    lines (CloudWatch Logs through Firehose, a directory of raw logs) pass unchanged."""
    for line in lines:
        s = line.strip()
        if s.startswith("{") and '"jsonPayload"' in s:
            try:
                rec = json.loads(s)
            except json.JSONDecodeError:
                rec = None
            payload = rec.get("jsonPayload") if isinstance(rec, dict) else None
            if isinstance(payload, dict):
                yield json.dumps(payload)
                continue
        yield line


def _pa() -> Any:
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError as e:
        raise TrafficError(f"reading or writing log aggregates needs pyarrow ({e}); pip install pyarrow") from None
    return pa, pq


def partition_dir(hour_start: float) -> str:
    t = datetime.datetime.fromtimestamp(hour_start, datetime.timezone.utc)
    return f"dt={t:%Y-%m-%d}/hour={t:%H}"


def aggregate(records: Iterable[Dict[str, Any]], hour_start: float, out_dir: pathlib.Path) -> pathlib.Path:
    """Writes the partition of the hour starting at `hour_start` (Unix seconds, on the hour) from
    the request records in it; returns the partition's directory."""
    pa, pq = _pa()
    by: Dict[Tuple[int, str], List[Dict[str, Any]]] = defaultdict(list)
    zero: "Counter[str]" = Counter()
    for r in records:
        t = float(r["time"])
        if not hour_start <= t < hour_start + 3600:
            continue
        by[(math.floor(t), str(r.get("surface", "?")))].append(r)
        if r.get("status") == 200 and r.get("total") == 0 and r.get("query_hash"):
            zero[str(r["query_hash"])] += 1
    keys = sorted(by)
    cols: Dict[str, List[Any]] = {k: [] for k in ("second", "surface", "requests", "cold", "errors", "zero_results",
                                                  "took_us_p50", "took_us_p99")}
    for sec, surface in keys:
        rs = by[(sec, surface)]
        took = np.array([float(r.get("took_us", 0)) for r in rs])
        cols["second"].append(sec)
        cols["surface"].append(surface)
        cols["requests"].append(len(rs))
        cols["cold"].append(sum(1 for r in rs if r.get("cold")))
        cols["errors"].append(sum(1 for r in rs if int(r.get("status", 200)) >= 400))
        cols["zero_results"].append(sum(1 for r in rs if r.get("status") == 200 and r.get("total") == 0))
        cols["took_us_p50"].append(float(np.percentile(took, 50)))
        cols["took_us_p99"].append(float(np.percentile(took, 99)))
    schema = pa.schema([("second", pa.int64()), ("surface", pa.string()), ("requests", pa.int64()),
                        ("cold", pa.int64()), ("errors", pa.int64()), ("zero_results", pa.int64()),
                        ("took_us_p50", pa.float64()), ("took_us_p99", pa.float64())])
    d = out_dir / partition_dir(hour_start)
    d.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols, schema=schema), d / "part-0.parquet")
    top = zero.most_common(TOP_ZERO)
    pq.write_table(pa.table({"query_hash": [h for h, _ in top], "count": [c for _, c in top]},
                            schema=pa.schema([("query_hash", pa.string()), ("count", pa.int64())])),
                   d / "zero_results.parquet")
    return d


_HOUR_PATH = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})/(\d{2})/")


def may_hold(key: str, hour_start: float) -> bool:
    """Whether a log object may hold lines of the hour starting at `hour_start`. Objects under a
    delivery-time folder YYYY/MM/DD/HH/ (Firehose's default, UTC) hold lines of that hour or the
    one before (delivery lags the line by at most Firehose's 15-minute buffer), so the others are
    not read; any other key may hold anything and is read."""
    m = _HOUR_PATH.search(key)
    if not m:
        return True
    y, mo, d, h = (int(x) for x in m.groups())
    try:
        t = datetime.datetime(y, mo, d, h, tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        return True
    return hour_start <= t <= hour_start + 3600


def hourly_job(source: str, hour_start: float, log_prefix: str = "logs/", out_prefix: str = "aggregates/",
               s3: Any = None) -> str:
    """The scheduled function's work for one hour: reads every log object under `log_prefix` of
    `source` (s3://bucket or a local directory) and writes the hour's partition under `out_prefix`.
    Returns where the partition went. `s3` is a boto3 S3 client (made here if None)."""
    if source.startswith("s3://"):
        import boto3  # type: ignore[import-untyped]

        client = s3 or boto3.client("s3")
        bucket = source[len("s3://"):].strip("/")
        lines: List[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=log_prefix):
            for obj in page.get("Contents", []):
                if not may_hold(obj["Key"][len(log_prefix):], hour_start):
                    continue
                lines += client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode(
                    "utf-8", "replace").splitlines()
        with tempfile.TemporaryDirectory() as tmp:
            d = aggregate(parse_lines(unwrap_log_entries(lines)), hour_start, pathlib.Path(tmp))
            for f in d.iterdir():
                key = f"{out_prefix}{partition_dir(hour_start)}/{f.name}"
                client.upload_file(str(f), bucket, key)
        return f"s3://{bucket}/{out_prefix}{partition_dir(hour_start)}/"
    root = pathlib.Path(source)
    base = root / log_prefix
    lines = [ln for f in sorted(base.rglob("*")) if f.is_file() and may_hold(f.relative_to(base).as_posix(), hour_start)
             for ln in f.read_text(errors="replace").splitlines()]
    return str(aggregate(parse_lines(unwrap_log_entries(lines)), hour_start, root / out_prefix))


def handler(event: Dict[str, Any], context: Any) -> Dict[str, str]:
    """The scheduled function's entry point (functions/aws_lambda/python/logs_hourly.py, functions/gcp/
    logs_hourly.py): aggregates the hour before the event's `time` (ISO 8601; EventBridge Scheduler's
    <aws.scheduler.scheduled-time>, or now if absent), or the hour starting at its `hour` (a backfill).
    The source comes from $LIBSEARCH_LOG_SOURCE (s3://bucket or a directory), the prefixes from
    $LIBSEARCH_LOG_PREFIX (default logs/) and $LIBSEARCH_AGGREGATE_PREFIX (default aggregates/)."""
    import os

    def when(text: Any) -> float:
        return datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()

    if event.get("hour"):
        hour = math.floor(when(event["hour"]) / 3600.0) * 3600.0
    else:
        now = when(event["time"]) if event.get("time") else datetime.datetime.now(datetime.timezone.utc).timestamp()
        hour = math.floor(now / 3600.0) * 3600.0 - 3600.0
    return {"partition": hourly_job(os.environ["LIBSEARCH_LOG_SOURCE"], hour,
                                    os.environ.get("LIBSEARCH_LOG_PREFIX", "logs/"),
                                    os.environ.get("LIBSEARCH_AGGREGATE_PREFIX", "aggregates/"))}


def load_partitions(path: str, name: Optional[str] = None) -> Trace:
    """Partitions under `path` (a directory, or s3://bucket/prefix, downloaded first) as a trace:
    each second's requests (every surface) spread evenly over the second."""
    _, pq = _pa()
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(path)
        if path.startswith("s3://"):
            import boto3

            client = boto3.client("s3")
            bucket, _, prefix = path[len("s3://"):].partition("/")
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    if obj["Key"].endswith("part-0.parquet"):
                        dest = pathlib.Path(tmp) / obj["Key"]
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        client.download_file(bucket, obj["Key"], str(dest))
            root = pathlib.Path(tmp)
        parts = sorted(root.rglob("part-0.parquet"))
        if not parts:
            raise TrafficError(f"{path}: no log partitions (dt=.../hour=.../part-0.parquet) found")
        counts: Dict[int, int] = defaultdict(int)
        for f in parts:
            t = pq.read_table(f, columns=["second", "requests"]).to_pydict()
            for sec, n in zip(t["second"], t["requests"]):
                counts[int(sec)] += int(n)
    times = [sec + (i + 0.5) / n for sec, n in sorted(counts.items()) for i in range(n)]
    if len(times) < 2:
        raise TrafficError(f"{path}: the partitions hold {len(times)} request(s); a trace needs at least 2")
    t0 = math.floor(times[0] / 3600.0) * 3600.0  # The trace covers whole hours, its first to its last.
    span = math.floor(times[-1] / 3600.0) * 3600.0 + 3600.0 - t0
    return Trace(name or pathlib.Path(path.rstrip("/")).name or "logs", np.array(times) - t0, None, span)
