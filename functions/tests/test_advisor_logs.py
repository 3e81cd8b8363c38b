"""The Python surfaces' request log lines (issue 20, item 1), under their real runtimes: one JSON
line per request on standard output, which the advisor's hourly job turns into Parquet
partitions and `advise --logs` into traffic."""

from __future__ import annotations

import hashlib
import pathlib
import time
from typing import Callable

from conftest import HttpSurface, Lambda

QUERIES = ["peanut butter", "chocolate", "zzzqqqxx", "tea"]


def request_lines(log: str) -> list:
    from libsearch_advisor.logs import parse_lines

    return parse_lines(log.splitlines())


def check(lines: list, surface: str, n: int, t0: float, first_cold: bool = True) -> None:
    assert len(lines) == n
    assert [x["cold"] for x in lines] == [first_cold] + [False] * (n - 1)
    for line, q in zip(lines, QUERIES):
        assert line["surface"] == surface and line["status"] == 200 and t0 <= line["time"] <= time.time() + 1
        assert line["query_len"] == len(q)
        assert line["query_hash"] == hashlib.sha256(q.encode()).hexdigest()[:16]
        assert "query" not in line  # No raw query unless LIBSEARCH_LOG_QUERIES=1.
        assert isinstance(line["took_us"], int) and line["total"] is not None
    assert lines[2]["total"] == 0 and lines[0]["total"] > 0  # The zero-result query is counted as such.


def test_python_lambda_logs_each_request(py_lambda_factory: Callable[..., Lambda],
                                         catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    lam = py_lambda_factory({"LIBSEARCH_INDEX": str(catalogue_index)}, "python-logs")
    t0 = time.time() - 1
    for q in QUERIES:
        status, body = lam.invoke({"query": q, "k": 3})
        assert status == 200 and body.startswith(b"{")
    time.sleep(0.3)
    log = lam.process.log()
    check(request_lines(log), "lambda-python", len(QUERIES), t0)
    # End to end: the emulator's log (the runtime's own lines and these) through the hourly job
    # into a partition, and back as the traffic it was.
    from libsearch_advisor.logs import hourly_job, load_partitions

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "python.log").write_text(log)
    for hour in sorted({int(x["time"] // 3600 * 3600) for x in request_lines(log)}):
        hourly_job(str(tmp_path), float(hour))
    trace = load_partitions(str(tmp_path / "aggregates"))
    assert len(trace.times) == len(QUERIES)


def test_cloud_run_function_logs_each_request(gcf: HttpSurface, tmp_path: pathlib.Path) -> None:
    before = len(request_lines(gcf.process.log()))
    t0 = time.time() - 1
    for q in QUERIES:
        status, body = gcf.post({"query": q, "k": 3})
        assert status == 200
    time.sleep(0.3)
    lines = request_lines(gcf.process.log())[before:]
    # The session's instance may have served other tests first: then it is warm already.
    check(lines, "gcf-python", len(QUERIES), t0, first_cold=before == 0)
