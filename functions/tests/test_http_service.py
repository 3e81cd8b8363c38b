"""libsearch-service over real HTTP on 127.0.0.1: routes, limits, metrics,
graceful shutdown, and a short bounded load run with wrk."""

from __future__ import annotations

import http.client as httpclient
import json
import pathlib
import re
import shutil
import signal
import subprocess
import time

from conftest import HttpSurface, http, no_took, require, start_service


def test_post_and_get_search(service: HttpSurface) -> None:
    status, body = service.post({"query": "peanut butter", "k": 3})
    assert status == 200
    result = json.loads(body)
    assert result["total"] == 97 and len(result["hits"]) == 3
    status, headers, got = service.get("q=peanut+butter&k=3")
    assert status == 200 and headers["content-type"] == "application/json"
    assert no_took(got) == no_took(body)


def test_errors_are_structured(service: HttpSurface) -> None:
    status, body = service.post({"query": "colour:red", "syntax": "full"})
    assert status == 400 and json.loads(body)["error"]["code"] == "invalid_argument"
    status, body = service.post("{nope")
    assert status == 400 and json.loads(body)["error"]["message"].startswith("request body is not valid JSON: ")
    status, body = service.post({"query": "x" * 70000})
    assert status == 413 and json.loads(body)["error"]["code"] == "payload_too_large"
    # Past the library's own cap the body is refused unread, still structured.
    status, body = service.post(b"x" * 2_000_000)
    assert status == 413 and json.loads(body)["error"]["message"].startswith("request body is 2000000 bytes")
    # curl's default content type for -d; the library would cap it at 8 KiB.
    status, body = service.post(json.dumps({"query": "tea", "filters": ["sugars_100g:<50"] * 30}).encode() + b" " * 9000,
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert status == 200, body
    status, headers, body = service.get("q=x&k=ten")
    assert (status, json.loads(body)["error"]["message"]) == (400, "k must be an integer from 0 to 1000")
    status, headers, body = http("PUT", service.url(), b"{}")
    assert status == 405 and headers["allow"] == "GET, POST"
    assert json.loads(body)["error"]["code"] == "method_not_allowed"
    status, headers, body = http("GET", service.url("/nope"))
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


def test_healthz_and_metrics(service: HttpSurface) -> None:
    status, _, body = http("GET", service.url("/healthz"))
    assert status == 200 and json.loads(body) == {"status": "ok", "num_docs": 10000}
    for _ in range(3):
        service.get("q=tea")
    service.post({"k": 5000})
    status, headers, body = http("GET", service.url("/metrics"))
    assert status == 200 and headers["content-type"].startswith("text/plain")
    text = body.decode()
    ok = int(re.search(r'libsearch_http_requests_total\{route="/search",code="200"\} (\d+)', text).group(1))
    bad = int(re.search(r'libsearch_http_requests_total\{route="/search",code="400"\} (\d+)', text).group(1))
    assert ok >= 3 and bad >= 1
    count = int(re.search(r'libsearch_http_request_duration_seconds_count\{route="/search"\} (\d+)', text).group(1))
    inf = int(re.search(r'libsearch_http_request_duration_seconds_bucket\{route="/search",le="\+Inf"\} (\d+)', text).group(1))
    assert count == inf >= ok + bad
    assert "libsearch_index_documents 10000" in text
    # Buckets are cumulative.
    buckets = [int(n) for n in re.findall(r'_bucket\{route="/search",le="[^"]+"\} (\d+)', text)]
    assert buckets == sorted(buckets)


def test_sigterm_drains_then_stops(catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    surface = start_service(catalogue_index, tmp_path, "--threads", "2", "--drain-seconds", "1.5")
    try:
        conn = httpclient.HTTPConnection("127.0.0.1", surface.port, timeout=10)
        conn.request("GET", "/search?q=chocolate&k=5")
        assert conn.getresponse().read()
        surface.process.signal(signal.SIGTERM)
        time.sleep(0.3)
        # Draining: still serving, but no longer healthy.
        status, _, body = http("GET", surface.url("/healthz"))
        assert (status, json.loads(body)["status"]) == (503, "draining")
        conn.request("GET", "/search?q=chocolate&k=1000&exact_total=true")
        reply = conn.getresponse()
        assert reply.status == 200 and json.loads(reply.read())["total"] > 0
        conn.close()
        assert surface.process.proc.wait(timeout=15) == 0
        log = surface.process.log()
        assert "draining" in log and "shutting down" in log and "stopped" in log
    finally:
        surface.process.stop()


def test_load_run_has_no_errors(service: HttpSurface) -> None:
    """wrk for 5 s, 2 threads x 16 connections on loopback: no socket errors,
    no non-2xx answers."""
    wrk = shutil.which("wrk")
    require(wrk is not None, "wrk")
    out = subprocess.run(
        [wrk, "-t2", "-c16", "-d5s", "--timeout", "5s", "--latency",
         service.url() + "?q=chocolate+milk&k=10&include_docs=false"],
        capture_output=True, text=True, timeout=60,
    ).stdout
    print(out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    assert requests > 1000, out
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out
