"""Both Lambda runtimes (the C++ bootstrap, and handler.search under
awslambdaric) under the real AWS Runtime Interface Emulator, invoked over HTTP
with the event shapes Lambda sends."""

from __future__ import annotations

import json
import pathlib
import shutil
import sys
from typing import Any, Dict, Tuple

import pytest

from conftest import BOOTSTRAP, Lambda, Process, base_env, free_port, no_took, require, wait_for_port
from lambda_events import apigw_v2, function_url, request


@pytest.fixture(params=["cpp", "py"])
def lam(request: pytest.FixtureRequest) -> Lambda:
    return request.getfixturevalue(f"{request.param}_lambda")


def envelope(lam: Lambda, event: Dict[str, Any]) -> Tuple[int, Dict[str, Any], Dict[str, Any]]:
    """Invokes with an HTTP event; returns (statusCode, headers, parsed body)."""
    status, out = lam.invoke(event)
    assert status == 200, out
    reply = json.loads(out)
    assert reply["headers"]["content-type"] == "application/json"
    assert reply["isBase64Encoded"] is False
    return reply["statusCode"], reply["headers"], json.loads(reply["body"])


def test_api_gateway_v2_post(lam: Lambda) -> None:
    code, _, body = envelope(lam, apigw_v2("POST", body=request(query="peanut butter", k=3)))
    assert code == 200
    assert body["total"] == 97 and body["total_exact"] is True
    assert [h["id"] for h in body["hits"]][:1] == ["0855094006359"]
    assert body["hits"][0]["doc"]["product_name"] == "Peanut Butter"


def test_api_gateway_v2_get(lam: Lambda) -> None:
    code, _, body = envelope(lam, apigw_v2("GET", raw_query="q=peanut%20butter&k=3&include_docs=false"))
    assert code == 200
    assert len(body["hits"]) == 3 and "doc" not in body["hits"][0]


def test_function_url_event(lam: Lambda) -> None:
    code, _, body = envelope(lam, function_url("POST", body=request(query="organic juice", k=5), base64_body=True))
    assert code == 200 and len(body["hits"]) == 5
    code, _, get_body = envelope(lam, function_url("GET", raw_query="q=organic+juice&k=5"))
    assert code == 200 and get_body["hits"] == body["hits"]


def test_direct_invocation(lam: Lambda, catalogue_index: pathlib.Path) -> None:
    status, out = lam.invoke({"query": "peanut butter", "k": 3, "include_docs": False})
    assert status == 200
    body = json.loads(out)
    assert body["total"] == 97 and len(body["hits"]) == 3
    assert list(body) == ["total", "total_exact", "took_us", "hits", "facets", "next_cursor", "suggestion"]


def test_malformed_event(lam: Lambda) -> None:
    status, out = lam.invoke(b"{this is not json")
    body = json.loads(out)
    assert body["errorType"] == "Runtime.UnmarshalError", out
    assert "Unable to unmarshal input" in body["errorMessage"]


def test_malformed_http_body(lam: Lambda) -> None:
    code, _, body = envelope(lam, apigw_v2("POST", body="{not json"))
    assert code == 400
    assert body["error"]["code"] == "invalid_argument"
    # The parser's own words, with the position: the caller can find the mistake.
    assert body["error"]["message"].startswith("request body is not valid JSON: parse error at line 1, column 3")


def test_oversized_body(lam: Lambda) -> None:
    code, _, body = envelope(lam, apigw_v2("POST", body=request(query="a" * 70000)))
    assert code == 413
    assert body["error"]["code"] == "payload_too_large"
    assert body["error"]["message"] == "request body is 70012 bytes; the limit is 65536"
    # A direct invocation over the limit.
    status, out = lam.invoke({"query": "b" * 70000})
    assert json.loads(out)["error"]["code"] == "payload_too_large"


def test_query_for_a_missing_field(lam: Lambda) -> None:
    code, _, body = envelope(lam, apigw_v2("GET", raw_query="q=colour:red&syntax=full"))
    assert code == 400
    assert body["error"]["code"] == "invalid_argument"
    assert "colour" in body["error"]["message"]
    code, _, body = envelope(lam, apigw_v2("POST", body=request(query="x", fields=["colour"])))
    assert code == 400 and body["error"]["message"] == "unknown search field 'colour'"


def test_bad_requests(lam: Lambda) -> None:
    code, _, body = envelope(lam, apigw_v2("PUT", body="{}"))
    assert (code, body["error"]["code"]) == (405, "method_not_allowed")
    code, _, body = envelope(lam, apigw_v2("POST", body=request(query="x", k=5000)))
    assert (code, body["error"]["message"]) == (400, "k must be an integer from 0 to 1000")
    code, _, body = envelope(lam, apigw_v2("POST", body=request(query="x", sorting="price")))
    assert code == 400 and body["error"]["message"].startswith('unknown key "sorting"; known keys: query, k,')
    code, _, body = envelope(lam, apigw_v2("POST", body="!!not base64", base64_body=False))
    assert code == 400
    event = apigw_v2("POST", body="x")
    event["body"] = "@@@"
    event["isBase64Encoded"] = True
    code, _, body = envelope(lam, event)
    assert (code, body["error"]["message"]) == (400, "request body is not valid base64")
    status, out = lam.invoke({"httpMethod": "GET", "path": "/search"})
    reply = json.loads(out)
    assert reply["statusCode"] == 400 and "payload format 1.0" in json.loads(reply["body"])["error"]["message"]


def test_same_answers_from_both_runtimes(cpp_lambda: Lambda, py_lambda: Lambda) -> None:
    events = [
        apigw_v2("POST", body=request(query="dark chocolate", k=10)),
        apigw_v2("GET", raw_query="q=tea&filter=sugars_100g%3A%3C5&k=7&operator=or"),
        function_url("POST", body=request(query="x", k=-1)),
        apigw_v2("POST", body=request(query="a" * 70000)),
    ]
    for event in events:
        _, a = cpp_lambda.invoke(event)
        _, b = py_lambda.invoke(event)
        ra, rb = json.loads(a), json.loads(b)
        assert ra["statusCode"] == rb["statusCode"]
        assert no_took(ra["body"]) == no_took(rb["body"])
    for direct in [{"query": "olive oil", "k": 20}, {"query": "(", "k": 1}, {"k": 0}]:
        _, a = cpp_lambda.invoke(direct)
        _, b = py_lambda.invoke(direct)
        assert no_took(a) == no_took(b)


def test_index_inside_a_read_only_task_root(cpp_lambda_factory, catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """The unpacked zip layout: $LAMBDA_TASK_ROOT/{bootstrap,index.idx}, read-only."""
    root = tmp_path / "task"
    root.mkdir()
    shutil.copy(BOOTSTRAP, root / "bootstrap")
    shutil.copy(catalogue_index, root / "index.idx")
    (root / "index.idx").chmod(0o444)
    root.chmod(0o555)
    try:
        env = {"LAMBDA_TASK_ROOT": str(root), "LIBSEARCH_INDEX": ""}
        lam = cpp_lambda_factory(env, name="cpp-task-root")
        status, out = lam.invoke({"query": "peanut butter", "k": 1})
        assert status == 200 and json.loads(out)["total"] == 97, out
    finally:
        root.chmod(0o755)


def test_init_error_when_the_index_is_missing(cpp_lambda_factory, py_lambda_factory, tmp_path: pathlib.Path) -> None:
    missing = str(tmp_path / "no-such.idx")
    cpp = cpp_lambda_factory({"LIBSEARCH_INDEX": missing}, name="cpp-missing")
    status, out = cpp.invoke({"query": "x"})
    body = json.loads(out)
    assert body["errorType"] == "Runtime.IndexLoadError", out
    assert "no-such.idx" in body["errorMessage"]
    py = py_lambda_factory({"LIBSEARCH_INDEX": missing}, name="python-missing")
    status, out = py.invoke({"query": "x"})
    body = json.loads(out)
    assert "errorType" in body and "no-such.idx" in body["errorMessage"], out


def test_python_handler_downloads_the_index_from_s3(py_lambda_factory, cpp_lambda_factory,
                                                      catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """LIBSEARCH_INDEX=s3://... against moto's S3-compatible server on 127.0.0.1."""
    try:
        import boto3
        import moto  # noqa: F401
    except ImportError:
        require(False, "boto3 and moto[server]")
    port = free_port()
    server = Process([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                     base_env(), tmp_path, tmp_path / "moto.log")
    try:
        wait_for_port(port, server.proc)
        creds = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                 "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}"}
        s3 = boto3.client("s3", endpoint_url=creds["AWS_ENDPOINT_URL_S3"], region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
        s3.create_bucket(Bucket="indexes")
        s3.upload_file(str(catalogue_index), "indexes", "products/v1.idx")
        cache = tmp_path / "tmp"
        cache.mkdir()
        lam = py_lambda_factory({"LIBSEARCH_INDEX": "s3://indexes/products/v1.idx", "LIBSEARCH_TMP": str(cache),
                                 **creds}, name="python-s3")
        status, out = lam.invoke({"query": "peanut butter", "k": 1})
        assert json.loads(out)["total"] == 97, out
        [downloaded] = list(cache.glob("libsearch-*.idx"))
        assert downloaded.stat().st_size == catalogue_index.stat().st_size
        # A single index file in S3 is the Python handler's alone: the C++ bootstrap reads
        # index directories there (a MANIFEST), which this prefix is not.
        cpp = cpp_lambda_factory({"LIBSEARCH_INDEX": "s3://indexes/products/v1.idx", **creds}, name="cpp-s3")
        status, out = cpp.invoke({"query": "x"})
        body = json.loads(out)
        assert body["errorType"] == "Runtime.IndexLoadError" and "MANIFEST" in body["errorMessage"], out
    finally:
        server.stop()
