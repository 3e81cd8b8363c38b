"""Traffic from the surfaces' request logs (issue 20, item 1): the hourly job's Parquet partitions,
on a local directory and on S3 (moto), and `advise --logs` on them, reproduce the traffic they
were fed (requests per hour)."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from libsearch_advisor import TrafficProfile, advise
from libsearch_advisor.logs import handler, hourly_job, load_partitions, parse_lines

from advisor_util import synthetic_profile

pytest.importorskip("pyarrow")  # Installed by tools/install-deps.sh; without it the module says so.

HOUR0 = 1_764_583_200.0  # 2025-12-01T10:00:00Z


def fed_traffic() -> np.ndarray:
    """Three hours of business traffic as arrival times (Unix seconds): 0.3, 0.3 and 2 QPS (a spike)."""
    rng = np.random.default_rng(5)
    hours = [TrafficProfile("h", q, q, burstiness=1.0).arrivals(0, 3600, rng) for q in (0.3, 0.3, 2.0)]
    return np.concatenate([HOUR0 + 3600 * k + h for k, h in enumerate(hours)])


def log_lines(times: np.ndarray) -> list:
    """What the Python surfaces print, one line per request, among the runtime's own lines."""
    out = []
    for i, t in enumerate(times):
        out.append("START RequestId: x Version: $LATEST")
        out.append(json.dumps({"libsearch_request": 1, "time": float(t), "surface": "lambda-python",
                               "cold": i == 0, "status": 200, "took_us": 400 + i % 7, "total": 0 if i % 10 == 0 else 5,
                               "query_len": 13, "query_hash": f"h{i % 3}"}))
        out.append("REPORT RequestId: x\tDuration: 1.00 ms\tBilled Duration: 1 ms")
    return out


def per_hour(times: np.ndarray) -> list:
    return list(np.bincount(((times - times.min() // 3600 * 3600) // 3600).astype(int)))


def test_hourly_job_on_a_directory_and_advise_logs(tmp_path: pathlib.Path) -> None:
    times = fed_traffic()
    (tmp_path / "logs").mkdir()
    lines = log_lines(times)
    (tmp_path / "logs" / "stream-a.log").write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    (tmp_path / "logs" / "stream-b.log").write_text("\n".join(lines[len(lines) // 2:]) + "\n")
    assert len(parse_lines(lines)) == len(times)
    for k in range(3):
        d = pathlib.Path(hourly_job(str(tmp_path), HOUR0 + 3600 * k))
        assert d.name == f"hour={10 + k}" and d.parent.name == "dt=2025-12-01"
    trace = load_partitions(str(tmp_path / "aggregates"))
    fed = per_hour(times)
    got = per_hour(trace.times + HOUR0)
    assert got == fed  # Within 5 % is the acceptance; the partitions keep every second's count.
    assert trace.avg_qps * 3600 == pytest.approx(sum(fed) / 3)
    import pyarrow.parquet as pq

    part = pq.read_table(tmp_path / "aggregates/dt=2025-12-01/hour=12/part-0.parquet").to_pydict()
    assert sum(part["requests"]) == fed[2] and sum(part["zero_results"]) >= 1
    top = pq.read_table(tmp_path / "aggregates/dt=2025-12-01/hour=12/zero_results.parquet").to_pydict()
    assert top["query_hash"] and sum(top["count"]) == sum(part["zero_results"])
    # The command line, on the partitions.
    prof = tmp_path / "profile.json"
    synthetic_profile().save(prof)
    r = subprocess.run([sys.executable, "-m", "libsearch_advisor", "advise", "--profile", str(prof), "--logs",
                        str(tmp_path / "aggregates"), "--out", str(tmp_path / "report")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    md = (tmp_path / "report" / "report.md").read_text()
    assert f"trace 'aggregates': {len(times):,} requests over 10,800 s" in md


def test_hourly_job_on_s3_under_moto(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    times = fed_traffic()
    with moto.mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="shop-logs")
        s3.put_object(Bucket="shop-logs", Key="logs/2025/12/01/stream", Body="\n".join(log_lines(times)).encode())
        monkeypatch.setenv("LIBSEARCH_LOG_SOURCE", "s3://shop-logs")
        # The EventBridge Scheduler event at 13:00:05 aggregates 12:00-13:00.
        out = handler({"time": "2025-12-01T13:00:05Z"}, None)
        assert out["partition"] == "s3://shop-logs/aggregates/dt=2025-12-01/hour=12/"
        for k in range(2):
            hourly_job("s3://shop-logs", HOUR0 + 3600 * k, s3=s3)
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="shop-logs", Prefix="aggregates/")["Contents"])
        assert "aggregates/dt=2025-12-01/hour=10/part-0.parquet" in keys and len(keys) == 6
        trace = load_partitions("s3://shop-logs/aggregates/")
    assert per_hour(trace.times + HOUR0) == per_hour(times)
    a = advise(synthetic_profile(), trace, cap=20_000, sweep_qps=[0.1, 10])
    assert a.results[0].usage.requests == pytest.approx(len(times) / 3 * 730, rel=0.001)


def test_only_the_hours_folders_are_read() -> None:
    # Firehose's delivery-time folders: the hour's own and the next (late lines); other keys always.
    from libsearch_advisor.logs import may_hold

    ten = 1_796_637_600.0  # 2026-12-07 10:00 UTC
    assert may_hold("2026/12/07/10/stream-1", ten) and may_hold("2026/12/07/11/stream-1", ten)
    assert not may_hold("2026/12/07/09/stream-1", ten) and not may_hold("2026/12/07/12/stream-1", ten)
    assert not may_hold("2026/12/06/10/stream-1", ten)
    assert may_hold("stream-1.log", ten) and may_hold("2026/13/07/10/odd", ten)


def test_cloud_logging_entries_are_unwrapped() -> None:
    # A log sink's LogEntry carries the surface's line as its jsonPayload; raw lines pass unchanged.
    from libsearch_advisor.logs import parse_lines, unwrap_log_entries

    line = {"libsearch_request": 1, "time": 1796637600.5, "surface": "gcf-python", "status": 200, "total": 3}
    entries = [json.dumps({"insertId": "a", "jsonPayload": line, "timestamp": "2026-12-07T10:00:00.5Z"}),
               json.dumps({"insertId": "b", "textPayload": "Default STARTUP TCP probe succeeded"}),
               json.dumps({**line, "time": 1796637601.0}), "not json {", '{"jsonPayload": 3}']
    out = list(unwrap_log_entries(entries))
    assert json.loads(out[0]) == line and out[1:] == entries[1:]
    assert [r["time"] for r in parse_lines(out)] == [1796637600.5, 1796637601.0]
