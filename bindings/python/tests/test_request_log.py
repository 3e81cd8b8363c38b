"""libsearch.RequestLogger: the C++ request log line (libsearch/request_log.h) through the
extension. The surfaces' lines under their runtimes: functions/tests/test_advisor_logs.py."""

from __future__ import annotations

import base64
import json
import pathlib

import libsearch


def test_lines_of_each_request_form(index_path: pathlib.Path) -> None:
    index = libsearch.Index.open(index_path)
    log = libsearch.RequestLogger("lambda-python")
    body = json.dumps({"query": "chocolate", "k": 2})
    reply = index.handle_json(body)
    first = json.loads(log.search_json(body, reply, 123456.0))
    assert first["cold"] is True and first["surface"] == "lambda-python" and first["status"] == 200
    assert first["total"] == json.loads(reply[1])["total"] > 0
    assert first["took_us"] == json.loads(reply[1])["took_us"]  # The engine's, not the caller's.
    assert first["query_hash"] == libsearch.query_hash("chocolate") == libsearch.query_hash(b"chocolate")
    assert "query" not in first

    qs = json.loads(log.search_query_string("q=chocolate&k=2", index.handle_query_string("q=chocolate&k=2"), 1.0))
    assert qs["cold"] is False and qs["total"] == first["total"] and qs["query_hash"] == first["query_hash"]

    event = {"version": "2.0", "body": base64.b64encode(b'{"query":"zzzqqqxx"}').decode(), "isBase64Encoded": True,
             "requestContext": {"http": {"method": "POST", "path": "/"}}}
    raw = json.dumps(event)
    zero = json.loads(log.lambda_event(raw, index.handle_lambda_event(raw), 1.0))
    assert zero["status"] == 200 and zero["total"] == 0 and zero["query_len"] == 8

    refused = json.loads(log.refused(413, 41.6))
    assert refused == {**refused, "status": 413, "took_us": 42, "total": None, "query_len": 0}


def test_raw_query_only_when_asked(index_path: pathlib.Path) -> None:
    index = libsearch.Index.open(index_path)
    q = 'tab\there "quoted" \u2028 \u0447\u0430\u0439'
    body = json.dumps({"query": q})
    for include in (False, True):
        line = libsearch.RequestLogger("gcf-python", include).search_json(body, index.handle_json(body), 1.0)
        assert line.isascii() and "\n" not in line
        assert json.loads(line).get("query") == (q if include else None)
