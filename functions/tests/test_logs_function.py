"""The hourly log job as deployed (issue 20, item 1 and acceptance 4): the Lambda handler
``logs_hourly.handle`` under the Runtime Interface Emulator (awslambdaric) and the Cloud Run
function ``logs_hourly`` under functions-framework, against moto's S3 server on 127.0.0.1 (a
separate process, signatures checked), with the real boto3 client.

Two hours of request-log lines of a known traffic are put under ``logs/`` as the template's
Firehose stream writes them (``logs/YYYY/MM/DD/HH/...``, some lines of an hour delivered in the
next hour's objects, the runtime's own START/REPORT lines and other hours' lines mixed in). The
scheduled invocations write one Parquet partition per hour; ``libsearch-advisor advise --logs
s3://.../aggregates/`` on them must reproduce the requests per hour within 5 %. The Cloud Run
function reads the same traffic as a Cloud Logging sink writes it (LogEntry objects).
"""

from __future__ import annotations

import datetime
import json
import pathlib
import re
import subprocess
import sys
from typing import Dict, Iterator, List, Tuple

import numpy as np
import pytest

from libsearch_advisor.procs import Process, base_env, free_port, http, wait_for_port

from conftest import FUNCTIONS, ROOT, require, start_lambda

sys.path.insert(0, str(ROOT / "bindings" / "python" / "tests"))
from test_remote import Moto

LOG_BUCKET = "shop-logs"
HOUR0 = datetime.datetime(2026, 12, 7, 10, tzinfo=datetime.timezone.utc).timestamp()
PROFILE = ROOT / "bench" / "results" / "advisor-2026-12-07" / "profile.json"
SURFACES = ("lambda-cpp", "lambda-python")


@pytest.fixture
def moto(tmp_path: pathlib.Path) -> Iterator[Moto]:
    try:
        import pyarrow  # noqa: F401  (the log job's dependency; install-deps installs it)
    except ImportError:
        require(False, "the pyarrow package")
    server = Moto(tmp_path)
    server.s3.create_bucket(Bucket=LOG_BUCKET)
    yield server
    server.stop()


def traffic(rng: np.random.Generator) -> Tuple[np.ndarray, Dict[int, int]]:
    """Arrival times over two hours: a quiet first hour, a busier second one with a burst. Returns
    them and the requests per hour."""
    quiet = np.sort(rng.uniform(HOUR0, HOUR0 + 3600, rng.poisson(1.5 * 3600)))
    busy = np.sort(np.concatenate([rng.uniform(HOUR0 + 3600, HOUR0 + 7200, rng.poisson(4.0 * 3600)),
                                   rng.uniform(HOUR0 + 5000, HOUR0 + 5300, rng.poisson(20.0 * 300))]))
    times = np.concatenate([quiet, busy])
    return times, {0: len(quiet), 1: len(busy)}


def lines_of(times: np.ndarray, rng: np.random.Generator) -> List[Tuple[float, str]]:
    """(time, log line) in the surfaces' request-log format, a few zero-result answers among them,
    and the runtime's own lines, which the job must skip."""
    out = []
    for i, t in enumerate(times):
        zero = i % 50 == 0
        out.append((float(t), json.dumps({
            "libsearch_request": 1, "time": round(float(t), 3), "surface": SURFACES[i % 2], "cold": i % 500 == 0,
            "status": 200, "took_us": int(rng.integers(200, 3000)), "total": 0 if zero else int(rng.integers(1, 90)),
            "query_len": 12, "query_hash": "00000000000000ab" if zero and i % 100 == 0 else f"{i % 7:016x}"})))
        if i % 10 == 0:
            out.append((float(t), f"REPORT RequestId: r{i}\tDuration: 0.91 ms\tBilled Duration: 1 ms"))
    return out


def put_like_firehose(moto: Moto, lines: List[Tuple[float, str]]) -> int:
    """Objects of at most 5 minutes of lines under logs/YYYY/MM/DD/HH/ of their delivery time, which
    is up to 5 minutes after the lines' own (so an hour's last lines land in the next hour's folder)."""
    by_flush: Dict[int, List[str]] = {}
    for t, line in lines:
        by_flush.setdefault(int(t // 300) + 1, []).append(line)
    for flush, chunk in by_flush.items():
        when = datetime.datetime.fromtimestamp(flush * 300, datetime.timezone.utc)
        key = f"logs/{when:%Y/%m/%d/%H}/RequestLogStream-1-{when:%Y-%m-%d-%H-%M-%S}-{flush:x}"
        moto.s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=("\n".join(chunk) + "\n").encode())
    return len(by_flush)


def put_like_log_sink(moto: Moto, lines: List[Tuple[float, str]]) -> None:
    """As a Cloud Logging sink to a bucket writes them: one object per hour of log time under the log's
    name, one LogEntry per line, the surface's JSON line as its jsonPayload (other output as
    textPayload)."""
    by_hour: Dict[int, List[str]] = {}
    for t, line in lines:
        when = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
        payload = {"jsonPayload": json.loads(line)} if line.startswith("{") else {"textPayload": line}
        entry = {"insertId": f"{t:.6f}", "logName": "projects/shop/logs/run.googleapis.com%2Fstdout",
                 "resource": {"type": "cloud_run_revision", "labels": {"service_name": "libsearch-search"}},
                 "timestamp": when.isoformat().replace("+00:00", "Z"), **payload}
        by_hour.setdefault(int(t // 3600), []).append(json.dumps(entry))
    for hour, chunk in by_hour.items():
        when = datetime.datetime.fromtimestamp(hour * 3600, datetime.timezone.utc)
        key = f"run.googleapis.com/stdout/{when:%Y/%m/%d}/{when:%H}:00:00_{when:%H}:59:59_S0.json"
        moto.s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=("\n".join(chunk) + "\n").encode())


def job_env(moto: Moto) -> Dict[str, str]:
    return {**moto.env(), "LIBSEARCH_LOG_SOURCE": f"s3://{LOG_BUCKET}", "LIBSEARCH_LOG_PREFIX": "logs/",
            "LIBSEARCH_AGGREGATE_PREFIX": "aggregates/"}


def test_the_hourly_lambda_reproduces_the_traffic(moto: Moto, tmp_path: pathlib.Path) -> None:
    rng = np.random.default_rng(20)
    times, per_hour = traffic(rng)
    # Lines of the hours around the two, which neither partition may count.
    around = np.concatenate([rng.uniform(HOUR0 - 600, HOUR0, 500), rng.uniform(HOUR0 + 7200, HOUR0 + 7500, 500)])
    lines = lines_of(np.sort(np.concatenate([times, around])), rng)
    objects = put_like_firehose(moto, lines)
    assert objects > 24

    script = tmp_path / "bootstrap-logs"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -m awslambdaric logs_hourly.handle\n")
    script.chmod(0o755)
    lam = start_lambda([str(script)], {"PYTHONPATH": str(FUNCTIONS / "aws_lambda" / "python"), **job_env(moto)},
                       tmp_path, "logs-hourly")
    try:
        for h in (0, 1):
            # EventBridge Scheduler's input: the scheduled time, 10 minutes past the next hour.
            scheduled = datetime.datetime.fromtimestamp(HOUR0 + (h + 1) * 3600 + 600, datetime.timezone.utc)
            status, out = lam.invoke({"time": scheduled.isoformat().replace("+00:00", "Z")}, timeout=120)
            assert status == 200, out
            hour = datetime.datetime.fromtimestamp(HOUR0 + h * 3600, datetime.timezone.utc)
            assert json.loads(out) == {"partition": f"s3://{LOG_BUCKET}/aggregates/dt={hour:%Y-%m-%d}/hour={hour:%H}/"}
    finally:
        lam.process.stop()
    keys = sorted(o["Key"] for o in moto.s3.list_objects_v2(Bucket=LOG_BUCKET, Prefix="aggregates/")["Contents"])
    assert keys == ["aggregates/dt=2026-12-07/hour=10/part-0.parquet",
                    "aggregates/dt=2026-12-07/hour=10/zero_results.parquet",
                    "aggregates/dt=2026-12-07/hour=11/part-0.parquet",
                    "aggregates/dt=2026-12-07/hour=11/zero_results.parquet"]

    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    for h in (0, 1):
        got = tmp_path / f"part-{h}.parquet"
        moto.s3.download_file(LOG_BUCKET, f"aggregates/dt=2026-12-07/hour={10 + h}/part-0.parquet", str(got))
        table = pq.read_table(got).to_pydict()
        assert sum(table["requests"]) == per_hour[h]  # Every line of the hour, from whichever object.
        assert set(table["surface"]) == set(SURFACES)
        zero = tmp_path / f"zero-{h}.parquet"
        moto.s3.download_file(LOG_BUCKET, f"aggregates/dt=2026-12-07/hour={10 + h}/zero_results.parquet", str(zero))
        assert pq.read_table(zero).to_pydict()["query_hash"][0] == "00000000000000ab"

    # The advisor on the job's output, as a user runs it: the same requests per hour within 5 %.
    out = tmp_path / "report"
    r = subprocess.run([sys.executable, "-m", "libsearch_advisor", "advise", "--profile", str(PROFILE),
                        "--logs", f"s3://{LOG_BUCKET}/aggregates/", "--out", str(out),
                        "--options", "lambda-cpp-x86,fargate-service"],
                       env=base_env(**moto.env()), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    md = (out / "report.md").read_text()
    m = re.search(r"trace 'aggregates': ([\d,]+) requests over ([\d,]+) s", md)
    assert m, md[:2000]
    fed = (per_hour[0] + per_hour[1]) / 2.0
    seen = int(m.group(1).replace(",", "")) / (int(m.group(2).replace(",", "")) / 3600.0)
    month = re.search(r"^\| lambda-cpp-x86 \| \d+ \| [\d,]+ \| ([\d,]+) \|", md, re.M)
    assert month, md
    modelled = int(month.group(1).replace(",", "")) / 730.0  # The requests the model billed, per hour.
    print(f"requests per hour: fed {fed:,.0f}, from the logs {seen:,.0f}, billed by the model {modelled:,.0f}")
    assert seen == pytest.approx(fed, rel=0.05)
    assert modelled == pytest.approx(fed, rel=0.05)


def test_the_cloud_run_function_reads_a_log_sink(moto: Moto, tmp_path: pathlib.Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        import functions_framework  # noqa: F401
    except ImportError:
        require(False, "the functions-framework package")
    rng = np.random.default_rng(21)
    times, per_hour = traffic(rng)
    put_like_log_sink(moto, lines_of(times, rng))
    port = free_port()
    env = {**job_env(moto), "LIBSEARCH_LOG_PREFIX": "run.googleapis.com/stdout/"}  # The sink's folder.
    gcf = Process([sys.executable, "-m", "functions_framework", "--target", "logs_hourly", "--source",
                   str(FUNCTIONS / "gcp" / "logs_hourly.py"), "--host", "127.0.0.1", "--port", str(port)],
                  base_env(**env), tmp_path, tmp_path / "gcf-logs.log")
    try:
        wait_for_port(port, gcf.proc)
        status, _, body = http("POST", f"http://127.0.0.1:{port}/", b'{"hour": "2026-12-07T11:00:00Z"}',
                               {"content-type": "application/json"}, timeout=120)
        assert status == 200, body + gcf.log().encode()
        assert json.loads(body) == {"partition": f"s3://{LOG_BUCKET}/aggregates/dt=2026-12-07/hour=11/"}
        status, _, _ = http("GET", f"http://127.0.0.1:{port}/")
        assert status == 405
    finally:
        gcf.stop()
    from libsearch_advisor.logs import load_partitions

    for name, value in moto.env().items():  # boto3 in this process, as `advise --logs` would use it.
        monkeypatch.setenv(name, value)
    trace = load_partitions(f"s3://{LOG_BUCKET}/aggregates/")
    assert len(trace.times) == per_hour[1] and trace.duration == 3600.0
