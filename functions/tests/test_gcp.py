"""The Cloud Functions (2nd gen) function under the real functions-framework
(gunicorn, on 127.0.0.1)."""

from __future__ import annotations

import json

from conftest import HttpSurface, http, no_took


def test_get_and_post(gcf: HttpSurface) -> None:
    status, body = gcf.post({"query": "peanut butter", "k": 3})
    assert status == 200
    assert json.loads(body)["total"] == 97
    status, headers, got = gcf.get("q=peanut+butter&k=3")
    assert status == 200 and headers["content-type"] == "application/json"
    assert no_took(got) == no_took(body)


def test_errors(gcf: HttpSurface) -> None:
    status, body = gcf.post({"query": "colour:red", "syntax": "full"})
    assert status == 400 and "colour" in json.loads(body)["error"]["message"]
    status, body = gcf.post({"query": "y" * 70000})
    assert status == 413 and json.loads(body)["error"]["message"] == "request body is 70012 bytes; the limit is 65536"
    status, body = gcf.post("[1, 2]")
    assert status == 400 and json.loads(body)["error"]["message"] == "request body must be a JSON object"
    status, headers, body = gcf.get("q=x&colour=red")
    assert status == 400 and json.loads(body)["error"]["message"].startswith('unknown query parameter "colour"')
    status, _, body = http("PUT", gcf.url(), b"{}")
    assert status == 405 and json.loads(body)["error"]["code"] == "method_not_allowed"
