"""The Python twin of the handler, in process (the C++ one has GoogleTest
tests; test_conformance.py checks that both answer alike)."""

from __future__ import annotations

import json
import pathlib
import time

import pytest

import search_handler


@pytest.fixture(scope="module")
def index(catalogue_index: pathlib.Path):
    import libsearch

    with libsearch.Index.open(catalogue_index) as idx:
        yield idx


def test_answers_in_the_cli_shape(index) -> None:
    status, body = search_handler.handle_search(index, '{"query": "peanut butter", "k": 3}')
    assert status == 200
    result = json.loads(body)
    assert list(result) == ["total", "total_exact", "took_us", "hits"]
    assert result["total"] == 97 and result["hits"][0]["id"] == "0855094006359"


def test_deadline_already_passed(index) -> None:
    status, body = search_handler.handle_search(index, '{"query": "tea"}', deadline_ms=time.time() * 1000 - 1)
    assert status == 504 and json.loads(body)["error"]["code"] == "deadline_exceeded"
    status, _ = search_handler.handle_search(index, '{"query": "tea"}', deadline_ms=time.time() * 1000 + 30000)
    assert status == 200


def test_json_depth() -> None:
    assert search_handler.json_depth("{}", 4) == 0  # Fewer brackets than the limit: not scanned.
    assert search_handler.json_depth('{"a": ["[[[[", {"b": []}]}', 4) == 4
    assert search_handler.json_depth('"\\"[[[[["', 4) == 0
    assert search_handler.json_depth("[[[[[[[[[[", 4) == 5


def test_scores_print_like_the_cpp_side() -> None:
    # ShortestDouble's cases in search_handler_test.cc.
    assert search_handler._score_json(4.59955311) == "4.59955311"
    assert search_handler._score_json(0.0) == "0.0"
    assert search_handler._score_json(2.0) == "2.0"


def test_query_string_to_request() -> None:
    assert search_handler.query_string_to_request(b"q=peanut+butter&k=3") == '{"query":"peanut butter","k":3}'
    assert search_handler.query_string_to_request("fields=a,,b&filter=x%3A1") == '{"filters":["x:1"],"fields":["a","b"]}'
    status, body = search_handler.query_string_to_request("q=%e9")
    assert status == 400 and json.loads(body)["error"]["message"] == "query string is not valid UTF-8"
