"""Every surface's request log lines (issue 20, item 1), under their real runtimes: one JSON line
per request on standard output, written by the library (libsearch/request_log.h), which the
advisor's hourly job turns into Parquet partitions and `advise --logs` into traffic."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import pathlib
import time
from typing import Any, Callable, Dict, List

import pytest

from conftest import HttpSurface, Lambda, start_service

QUERIES = ["peanut butter", "chocolate", "zzzqqqxx", "tea"]
# Quotes, a backslash, control characters, a line separator and a non-Latin script: the line must
# stay one valid JSON line, and give the query back only when LIBSEARCH_LOG_QUERIES=1.
ODD_QUERY = 'say "hi" \\ there\n\t\x01 caf\u00e9 \u2028 \u0447\u0430\u0439'


def xxh3(q: str) -> str:
    """XXH3-64 of the UTF-8 bytes, from libxxhash itself (not through libsearch)."""
    lib = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
    lib.XXH3_64bits.restype = ctypes.c_uint64
    lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    data = q.encode()
    return f"{lib.XXH3_64bits(data, len(data)):016x}"


def request_lines(log: str) -> List[Dict[str, Any]]:
    from libsearch_advisor.logs import parse_lines

    return parse_lines(log.splitlines())


def wait_lines(read: Callable[[], str], n: int, timeout: float = 10.0) -> List[Dict[str, Any]]:
    """The request lines of a log once there are at least `n` (each surface flushes per line)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = request_lines(read())
        if len(lines) >= n or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def check(lines: List[Dict[str, Any]], surface: str, n: int, t0: float, first_cold: bool = True) -> None:
    assert len(lines) == n
    assert [x["cold"] for x in lines] == [first_cold] + [False] * (n - 1)
    for line, q in zip(lines, QUERIES):
        assert line["surface"] == surface and line["status"] == 200 and t0 <= line["time"] <= time.time() + 1
        assert line["query_len"] == len(q)
        assert line["query_hash"] == xxh3(q)
        assert "query" not in line  # No raw query unless LIBSEARCH_LOG_QUERIES=1.
        assert isinstance(line["took_us"], int) and line["total"] is not None
    assert lines[2]["total"] == 0 and lines[0]["total"] > 0  # The zero-result query is counted as such.


def check_hourly_job(log: str, tmp_path: pathlib.Path, n: int) -> None:
    """The log (the runtime's own lines and these) through the hourly job into a partition, and
    back as the traffic it was."""
    from libsearch_advisor.logs import hourly_job, load_partitions

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "surface.log").write_text(log)
    for hour in sorted({int(x["time"] // 3600 * 3600) for x in request_lines(log)}):
        hourly_job(str(tmp_path), float(hour))
    trace = load_partitions(str(tmp_path / "aggregates"))
    assert len(trace.times) == n


@pytest.mark.parametrize("runtime", ["cpp", "py"])
def test_lambda_logs_each_request(runtime: str, request: pytest.FixtureRequest,
                                  catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    factory = request.getfixturevalue(f"{runtime}_lambda_factory")
    lam: Lambda = factory({"LIBSEARCH_INDEX": str(catalogue_index)}, f"{runtime}-logs")
    t0 = time.time() - 1
    for q in QUERIES:
        status, body = lam.invoke({"query": q, "k": 3})
        assert status == 200 and body.startswith(b"{")
    # A bad request, directly and through a Function URL: 400 on both, no total.
    lam.invoke({"query": "tea", "k": -1})
    lam.invoke({"version": "2.0", "rawQueryString": "q=tea&k=-1",
                "requestContext": {"http": {"method": "GET", "path": "/"}}})
    lines = wait_lines(lam.process.log, len(QUERIES) + 2)
    surface = {"cpp": "lambda-cpp", "py": "lambda-python"}[runtime]
    check(lines[: len(QUERIES)], surface, len(QUERIES), t0)
    for bad in lines[len(QUERIES):]:
        assert bad["status"] == 400 and bad["total"] is None and bad["query_hash"] == xxh3("tea")
    check_hourly_job(lam.process.log(), tmp_path, len(QUERIES) + 2)


@pytest.mark.parametrize("runtime", ["cpp", "py"])
def test_lambda_raw_query_only_when_enabled(runtime: str, request: pytest.FixtureRequest,
                                            catalogue_index: pathlib.Path) -> None:
    factory = request.getfixturevalue(f"{runtime}_lambda_factory")
    on: Lambda = factory({"LIBSEARCH_INDEX": str(catalogue_index), "LIBSEARCH_LOG_QUERIES": "1"}, f"{runtime}-raw")
    off: Lambda = factory({"LIBSEARCH_INDEX": str(catalogue_index), "LIBSEARCH_REQUEST_LOG": "0"}, f"{runtime}-off")
    for lam in (on, off):
        status, _ = lam.invoke({"query": ODD_QUERY})
        assert status == 200
    (line,) = wait_lines(on.process.log, 1)
    assert line["query"] == ODD_QUERY and line["query_hash"] == xxh3(ODD_QUERY)
    assert line["query_len"] == len(ODD_QUERY)
    time.sleep(0.3)
    assert request_lines(off.process.log()) == []


def test_service_logs_each_search(catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # A service of its own: its first request is the cold one.
    service = start_service(catalogue_index, tmp_path)
    try:
        t0 = time.time() - 1
        for q in QUERIES:
            status, _ = service.post({"query": q, "k": 3})
            assert status == 200
        lines = wait_lines(service.process.log, len(QUERIES))
        check(lines, "service", len(QUERIES), t0)
        # Only /search logs; GET and refused requests too.
        for path in ("/healthz", "/metrics", "/schema", "/"):
            assert service.get("", path)[0] == 200
        assert service.get("q=chocolate&k=2")[0] == 200
        assert service.post("x" * (70 * 1024))[0] == 413
        lines = wait_lines(service.process.log, len(QUERIES) + 2)
        assert len(lines) == len(QUERIES) + 2
        get, refused = lines[len(QUERIES):]
        assert get["status"] == 200 and get["total"] == lines[1]["total"] and get["query_hash"] == xxh3("chocolate")
        assert refused["status"] == 413 and refused["total"] is None and refused["query_len"] == 0
        check_hourly_job(service.process.log(), tmp_path, len(QUERIES) + 2)
    finally:
        service.process.stop()


def test_service_raw_query_only_when_enabled(catalogue_index: pathlib.Path, tmp_path: pathlib.Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIBSEARCH_LOG_QUERIES", "1")
    service = start_service(catalogue_index, tmp_path)
    try:
        assert service.post({"query": ODD_QUERY})[0] == 200
        (line,) = wait_lines(service.process.log, 1)
        assert line["query"] == ODD_QUERY and line["query_hash"] == xxh3(ODD_QUERY)
        # Still one line per request: the query's newline is escaped.
        assert sum('"libsearch_request"' in x for x in service.process.log().splitlines()) == 1
    finally:
        service.process.stop()


def test_cloud_run_function_logs_each_request(gcf: HttpSurface, tmp_path: pathlib.Path) -> None:
    before = len(request_lines(gcf.process.log()))
    t0 = time.time() - 1
    for q in QUERIES:
        status, body = gcf.post({"query": q, "k": 3})
        assert status == 200
    lines = wait_lines(gcf.process.log, before + len(QUERIES))[before:]
    # The session's instance may have served other tests first: then it is warm already.
    check(lines, "gcf-python", len(QUERIES), t0, first_cold=before == 0)


def test_every_surface_writes_the_same_fields(cpp_lambda: Lambda, py_lambda: Lambda, gcf: HttpSurface,
                                              service: HttpSurface) -> None:
    """One implementation: the same request gives the same line but for time, surface, cold and took_us."""
    q = "dark chocolate"
    logs = [(cpp_lambda.process.log, lambda: cpp_lambda.invoke({"query": q})),
            (py_lambda.process.log, lambda: py_lambda.invoke({"query": q})),
            (gcf.process.log, lambda: gcf.post({"query": q})),
            (service.process.log, lambda: service.post({"query": q}))]
    seen = []
    for read, send in logs:
        before = len(request_lines(read()))
        assert send()[0] == 200
        line = wait_lines(read, before + 1)[before]
        seen.append({k: v for k, v in line.items() if k not in ("time", "surface", "cold", "took_us")})
        assert json.dumps(line, separators=(",", ":")).startswith('{"libsearch_request":1,"time":')
    assert all(s == seen[0] for s in seen), seen
    assert seen[0]["total"] > 0 and seen[0]["query_hash"] == xxh3(q)
