"""libsearch-service under a bounded attack, all on 127.0.0.1: a header flood,
200 slowloris connections, oversized and malformed requests, and bad
command lines. A normal client keeps searching throughout and must get every
answer; /healthz must answer within 100 ms; the process must stay under
100 MB of peak RSS; and every refused request must be counted in /metrics.
"""

from __future__ import annotations

import pathlib
import re
import socket
import statistics
import subprocess
import threading
import time
from typing import Dict, List

import pytest

from conftest import SERVICE, HttpSurface, require, start_service

SLOWLORIS = 200
FLOODS = 8
HEADERS_PER_FLOOD = 1_000_000


@pytest.fixture
def attacked(catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> HttpSurface:
    surface = start_service(catalogue_index, tmp_path, "--threads", "4")
    yield surface
    surface.process.stop()


def exchange(port: int, data: bytes, wait: float = 5.0) -> bytes:
    """Sends `data` (as much as the server reads) and returns what it answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # The server answered and closed before reading it all.
        got = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except OSError:
            pass
        return got


def status_of(answer: bytes) -> int:
    m = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    return int(m.group(1)) if m else 0


def flood(port: int, out: List[int]) -> None:
    """Headers as fast as the server takes them, until it answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10.0) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        line = b"X-Flood: " + b"y" * 20 + b"\r\n"
        batch = line * 1000
        try:
            for _ in range(HEADERS_PER_FLOOD // 1000):
                s.sendall(batch)
        except OSError:
            pass
        try:
            out.append(status_of(s.recv(4096)))
        except OSError:
            out.append(0)


def slowloris(port: int, stop: threading.Event, closed_after: List[float]) -> None:
    """A request line, then one header byte a second."""
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30.0) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            s.settimeout(1.0)
            while not stop.is_set():
                try:
                    s.sendall(b"X")
                    if not s.recv(4096):
                        break
                    break  # Answered (408): the server ends the connection.
                except socket.timeout:
                    continue
                except OSError:
                    break
    except OSError:
        pass
    closed_after.append(time.monotonic() - start)


def rss_peak_kb(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def metrics(surface: HttpSurface) -> Dict[str, int]:
    status, _, body = surface.get("", "/metrics")
    assert status == 200
    counts: Dict[str, int] = {}
    for route, code, n in re.findall(rb'libsearch_http_requests_total\{route="([^"]+)",code="([^"]+)"\} (\d+)', body):
        key = f"{route.decode()} {code.decode()}"
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def test_service_survives_a_bounded_attack(attacked: HttpSurface) -> None:
    port = attacked.port
    stop = threading.Event()
    closed_after: List[float] = []
    loris = [threading.Thread(target=slowloris, args=(port, stop, closed_after), daemon=True)
             for _ in range(SLOWLORIS)]
    for t in loris:
        t.start()
    flood_status: List[int] = []
    floods = [threading.Thread(target=flood, args=(port, flood_status), daemon=True) for _ in range(FLOODS)]
    for t in floods:
        t.start()

    # The normal client: a search and a health probe, over and over, for the
    # whole attack (the slowloris deadline is 10 s).
    healthz_ms: List[float] = []
    failures: List[str] = []
    searches = 0
    end = time.monotonic() + 12.0
    while time.monotonic() < end:
        status, body = attacked.post({"query": "chocolate", "k": 3})
        if status != 200 or b'"total":' not in body:
            failures.append(f"search: {status} {body[:100]!r}")
        searches += 1
        t0 = time.monotonic()
        status, _, body = attacked.get("", "/healthz")
        healthz_ms.append((time.monotonic() - t0) * 1000)
        if status != 200:
            failures.append(f"healthz: {status}")
        time.sleep(0.05)

    # Oversized and malformed requests, each a clear 4xx.
    big = b"x" * 2_000_000
    cases = [
        (b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
         + str(len(big)).encode() + b"\r\n\r\n" + big, 413),
        (b"GET /search?q=" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + (b"X-Big: " + b"z" * 8000 + b"\r\n") * 16 + b"\r\n", 431),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 200 + b"\r\n", 431),
        (b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
        (b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400),
        (b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
         b"Content-Length: 44\r\n\r\n--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", 415),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", 400),
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    ]
    for request, expected in cases:
        answer = exchange(port, request)
        if status_of(answer) != expected:
            failures.append(f"{request[:60]!r}: {answer[:160]!r}, expected {expected}")

    stop.set()
    for t in floods + loris:
        t.join(timeout=15.0)
    peak_mb = rss_peak_kb(attacked.process.proc.pid) / 1024

    assert not failures, "\n".join(failures[:20])
    assert searches > 20
    # A flood is answered 431, then closed after the linger; a client still
    # sending by then may lose the answer to the reset, so /metrics counts.
    assert set(flood_status) <= {431, 0} and 431 in flood_status, flood_status
    # Every slowloris connection ended by the 10 s request deadline (plus the
    # 1 s it takes the client to notice), none lasted the whole attack.
    assert len(closed_after) == SLOWLORIS
    assert max(closed_after) < 13.0, sorted(closed_after)[-5:]
    assert statistics.median(healthz_ms) < 100.0 and max(healthz_ms) < 100.0, sorted(healthz_ms)[-5:]
    assert peak_mb < 100.0, f"peak RSS {peak_mb:.1f} MB"
    counted = metrics(attacked)
    assert counted.get("other 431", 0) >= FLOODS + 2, counted
    for key in ("other 431", "/search 413", "other 414", "other 400", "/search 415", "other 404", "other 408"):
        assert counted.get(key, 0) > 0, (key, counted)
    # Each slowloris connection is answered 408 at its deadline (a few may
    # end with the attack instead).
    assert counted.get("other 408", 0) >= SLOWLORIS * 9 // 10, counted


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "70000"], "--port: Value 70000 not in range 0 to 65535"),
        (["--port", "-1"], "--port"),
        (["--threads", "0"], "--threads: Value 0 not in range 1 to 1024"),
        (["--threads", "100000"], "--threads"),
        (["--max-connections", "0"], "--max-connections"),
        (["--health-port", "70000"], "--health-port"),
        (["--request-seconds", "0"], "--request-seconds"),
        (["--no-such-flag"], "--no-such-flag"),
    ],
)
def test_bad_command_lines_exit_2(catalogue_index: pathlib.Path, args: List[str], message: str) -> None:
    require(SERVICE.exists(), f"libsearch-service at {SERVICE}")
    r = subprocess.run([str(SERVICE), "--index", str(catalogue_index), "--host", "127.0.0.1", *args],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert message in r.stderr


def test_port_from_the_environment_is_checked(catalogue_index: pathlib.Path) -> None:
    require(SERVICE.exists(), f"libsearch-service at {SERVICE}")
    r = subprocess.run([str(SERVICE), "--index", str(catalogue_index), "--host", "127.0.0.1"],
                       capture_output=True, text=True, timeout=30, env={"PORT": "70000"})
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "port 70000 is not in 0..65535" in r.stderr


def health_port(surface: HttpSurface) -> int:
    text = surface.process.log()
    marker = "/metrics also on http://127.0.0.1:"
    assert marker in text, text
    return int(text.split(marker, 1)[1].split()[0])


def get_status(port: int, path: str, timeout: float) -> int:
    return status_of(exchange(port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
                              wait=timeout))


def test_health_port_answers_while_every_connection_slot_is_taken(catalogue_index: pathlib.Path,
                                                                  tmp_path: pathlib.Path) -> None:
    """With --max-connections 8, eight trickling clients take every slot of
    the main port: a probe there waits. The health port answers at once."""
    surface = start_service(catalogue_index, tmp_path, "--threads", "2", "--max-connections", "8",
                            "--health-port", "0", "--request-seconds", "3")
    try:
        port = health_port(surface)
        stop = threading.Event()
        closed_after: List[float] = []
        holders = [threading.Thread(target=slowloris, args=(surface.port, stop, closed_after), daemon=True)
                   for _ in range(8)]
        for t in holders:
            t.start()
        time.sleep(0.5)
        # The main port: every slot is held, so this probe gets no answer in 1 s.
        assert get_status(surface.port, "/healthz", timeout=1.0) == 0
        times: List[float] = []
        for _ in range(10):
            t0 = time.monotonic()
            assert get_status(port, "/healthz", timeout=5.0) == 200
            times.append((time.monotonic() - t0) * 1000)
        assert max(times) < 100.0, times
        assert get_status(port, "/metrics", timeout=5.0) == 200
        assert get_status(port, "/search?q=oil", timeout=5.0) == 404  # Only health and metrics.
        for t in holders:
            t.join(timeout=10)
        stop.set()
        # --request-seconds 3: each trickling client got its 408 after about 3 s, not 10.
        assert len(closed_after) == 8 and all(2.5 < s < 6.0 for s in closed_after), closed_after
    finally:
        surface.process.stop()
