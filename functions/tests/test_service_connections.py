"""libsearch-service's connections: a request body is never read as a request
(functions/http_service/connection_guard.h), and keep-alive still works.

Every request the server may answer without reading its body to the end
(405 from the pre-routing handler, 400 for a method or request line the HTTP
library cannot parse, 414, multipart/form-data without a boundary, GET, HEAD
and OPTIONS bodies, ambiguous framing) carries a body that is itself a
request, ``GET /metrics``. It is followed on the same socket by an honest
``GET /healthz``, sent two ways: after the answer to the headers (body, then
the honest request, each a moment later) and pipelined (all in one write).
The first answer must be the expected status; after it, at most the honest
request is answered (its JSON), or the connection closes. The smuggled
``/metrics`` must never be answered.
"""

from __future__ import annotations

import http.client as httpclient
import json
from typing import Callable, List, Optional, Tuple

import pytest

from conftest import HttpSurface, raw_exchange

SMUGGLED = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
HONEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
TIMEOUT = 10.0


def request(method: str, target: str, body: bytes, *headers: str) -> bytes:
    head = [f"{method} {target} HTTP/1.1", "Host: x", *headers]
    if not any(h.lower().startswith(("content-length:", "transfer-encoding:")) for h in headers):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode()


class Answer:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def __repr__(self) -> str:
        return f"{self.status} {self.body[:80]!r}"


def parse_answers(data: bytes, first_is_head: bool) -> Tuple[List[Answer], bytes]:
    """Splits the bytes read into answers (Content-Length framing); returns
    them and what is left (an incomplete answer)."""
    answers: List[Answer] = []
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return answers, data
        lines = data[:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if status in (100, 304) or (first_is_head and not answers) else \
            int(headers.get("content-length", "0"))
        if len(data) < end + 4 + length:
            return answers, data
        answers.append(Answer(status, headers, data[end + 4:end + 4 + length]))
        data = data[end + 4 + length:]


def exchange(port: int, chunks: List[bytes], settle: float,
             until: Callable[[bytes], bool] = lambda got: b'"status":"ok"' in got) -> Tuple[bytes, bool]:
    """raw_exchange, waiting after the last chunk for the honest answer."""
    return raw_exchange(port, chunks, settle, 3.0, until)


def cases() -> List[Tuple[str, bytes, bytes, int]]:
    s = SMUGGLED
    big_pad = b"x" * (2_000_000 - len(s))
    near_pad = b"x" * (70_000 - len(s))
    chunked_end = b"0\r\n\r\n"
    return [
        ("PUT 405", request("PUT", "/search", s, "Content-Type: text/plain"), s, 405),
        ("DELETE 405", request("DELETE", "/healthz", s, "Content-Type: text/plain"), s, 405),
        ("PATCH 405", request("PATCH", "/schema", s, "Content-Type: text/plain"), s, 405),
        ("OPTIONS 405", request("OPTIONS", "/search", s, "Content-Type: text/plain"), s, 405),
        ("POST /metrics 405", request("POST", "/metrics", s, "Content-Type: text/plain"), s, 405),
        ("QUERY 400", request("QUERY", "/search", s, "Content-Type: text/plain"), s, 400),
        ("PROPFIND 400", request("PROPFIND", "/", s, "Content-Type: text/plain"), s, 400),
        ("multipart without boundary 415", request("POST", "/search", s, "Content-Type: multipart/form-data"), s, 415),
        ("multipart, body not multipart 415",
         request("POST", "/search", s, "Content-Type: multipart/form-data; boundary=zz"), s, 415),
        ("GET with a body 200", request("GET", "/schema", s), s, 200),
        ("HEAD with a body 200", request("HEAD", "/schema", s), s, 200),
        ("request line over 8 KiB 414", request("GET", "/search?q=" + "x" * 9000, s), s, 414),
        ("body over the library's cap 413", request("POST", "/search", s + big_pad, "Content-Type: application/json"),
         s + big_pad, 413),
        ("body over the limit, read 413", request("POST", "/search", s + near_pad, "Content-Type: application/json"),
         s + near_pad, 413),
        ("Content-Length and Transfer-Encoding 400",
         request("POST", "/search", chunked_end + s, "Content-Type: application/json",
                 f"Content-Length: {len(chunked_end + s)}", "Transfer-Encoding: chunked"), chunked_end + s, 400),
        ("two Content-Lengths 400",
         request("POST", "/search", s, "Content-Type: application/json", "Content-Length: 0",
                 f"Content-Length: {len(s)}"), s, 400),
        ("PUT with a 1 MB body 405", request("PUT", "/search", s + b"y" * 1_000_000), s + b"y" * 1_000_000, 405),
    ]


@pytest.mark.parametrize("mode", ["after the answer", "pipelined"])
def test_bodies_are_never_requests(service: HttpSurface, mode: str) -> None:
    failures = []
    for what, head, body, status in cases():
        chunks = [head, body, HONEST] if mode == "after the answer" else [head + body + HONEST]
        got, closed = exchange(service.port, chunks, settle=0.3)
        answers, rest = parse_answers(got, head.startswith(b"HEAD"))
        problems = []
        if not answers or answers[0].status != status:
            problems.append(f"first answer {answers[:1]}, expected {status}")
        later = answers[1:]
        if any(a.status != 200 or b'"status":"ok"' not in a.body for a in later) or len(later) > 1:
            problems.append(f"answers after the first: {later} (only GET /healthz may be answered)")
        if not later and not closed:
            problems.append("the honest request was neither answered nor the connection closed")
        if rest or b"libsearch_http_requests_total" in got:
            problems.append("the smuggled GET /metrics was answered")
        if closed and answers and answers[0].headers.get("connection") != "close" and not later:
            problems.append(f"closed after an answer without Connection: close: {answers[0].headers}")
        if problems:
            failures.append(f"{what} ({mode}): " + "; ".join(problems))
    assert not failures, "\n".join(failures)


def test_keepalive_serves_many_requests(service: HttpSurface) -> None:
    """One connection serves bodies read to their end, body-less refusals
    and errors without closing: the same socket throughout."""
    conn = httpclient.HTTPConnection("127.0.0.1", service.port, timeout=TIMEOUT)
    try:
        conn.connect()
        sock = conn.sock
        steps: List[Tuple[str, str, Optional[bytes], int]] = [
            ("POST", "/search", json.dumps({"query": "tea", "k": 1}).encode(), 200),
            ("GET", "/healthz", None, 200),
            ("POST", "/search", b"{nope", 400),
            ("GET", "/search?q=peanut+butter&k=3", None, 200),
            ("PUT", "/search", None, 405),  # No body: nothing left unread.
            ("DELETE", "/healthz", None, 405),
            ("GET", "/nope", None, 404),
            ("POST", "/nope", b"some body", 404),  # The library reads it.
            ("POST", "/search", json.dumps({"query": "x" * 70000}).encode(), 413),  # Read and counted.
            ("HEAD", "/", None, 200),
            ("POST", "/search", json.dumps({"query": "peanut butter", "k": 3}).encode(), 200),
        ]
        for method, path, body, status in steps:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
            assert reply.status == status, (method, path, reply.status, data[:200])
            assert reply.getheader("Connection") != "close", (method, path, reply.headers)
            assert conn.sock is sock, (method, path, "reconnected")
        assert json.loads(data)["total"] == 97
    finally:
        conn.close()


def test_pipelined_requests_are_all_answered(service: HttpSurface) -> None:
    """Requests written together are answered in order (the library's own
    loop dropped what it had read past the first)."""
    body = json.dumps({"query": "tea", "k": 1}).encode()
    post = request("POST", "/search", body, "Content-Type: application/json") + body
    got, closed = exchange(service.port, [HONEST + post + HONEST + b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"],
                           settle=0.3, until=lambda got: b"not_found" in got)
    answers, rest = parse_answers(got, False)
    assert [a.status for a in answers] == [200, 200, 200, 404] and not rest, (answers, rest)
    assert not closed


def test_refusal_messages(service: HttpSurface) -> None:
    """The library's own refusals explain themselves; /index.html is not a
    route for any method (the page is /)."""
    got, _ = exchange(service.port, [b"GET /search?q=" + b"x" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"], 0.3,
                       until=lambda got: b"}}" in got)
    (answer,), _ = parse_answers(got, False)
    assert answer.status == 414 and answer.headers["connection"] == "close"
    assert "POST /search" in json.loads(answer.body)["error"]["message"]
    got, _ = exchange(service.port, [b"QUERY /search HTTP/1.1\r\nHost: x\r\n\r\n"], 0.3,
                       until=lambda got: b"}}" in got)
    (answer,), _ = parse_answers(got, False)
    assert answer.status == 400 and "could not be parsed" in json.loads(answer.body)["error"]["message"]
    # One Connection header, also when the request asked to close.
    got, _ = exchange(service.port, [request("PUT", "/search", SMUGGLED, "Connection: close") + SMUGGLED], 0.3,
                      until=lambda got: b"}}" in got)
    header_lines = got.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert header_lines.count(b"Connection: close") == 1 and b"Keep-Alive" not in got, got
    for method in ("GET", "HEAD", "PUT", "DELETE", "POST"):
        got, _ = exchange(service.port, [request(method, "/index.html", b"")], 0.3,
                           until=lambda got: b"\r\n\r\n" in got and (method == "HEAD" or b"}}" in got))  # noqa: B023
        (answer,), _ = parse_answers(got, method == "HEAD")
        assert answer.status == 404, (method, answer)
