"""Fresh data in every serving surface: an index in S3 (moto's server on
127.0.0.1, signatures enforced), changed by ``RemoteWriter`` commits, followed
by the C++ bootstrap and the Python handler under the Lambda emulator, the
Cloud Run function under functions-framework and the HTTP service.

A price change must show on every surface within ``refresh_seconds`` + 1 s
(the measured delays are printed), a deleted product must disappear, and
while the store is down every surface keeps answering from its last
snapshot and says so (the service in /metrics)."""

from __future__ import annotations

import json
import pathlib
import re
import sys
import threading
import time
from typing import Callable, Dict, Iterator, List, Tuple

import pytest

import libsearch
from libsearch_advisor.procs import Process, base_env, free_port, http, wait_for_port

from conftest import FUNCTIONS, PYTHONPATH, SERVICE, HttpSurface, Lambda, require

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bindings" / "python" / "tests"))
from test_remote import BUCKET, Moto

REFRESH_SECONDS = 1.0
URL = f"s3://{BUCKET}/catalogue"
SCHEMA = {
    "id": "sku",
    "fields": {
        "title": {"type": "text", "stored": True},
        "price": {"type": "float", "stored": True},
    },
}


@pytest.fixture
def store(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Moto]:
    server = Moto(tmp_path)
    for name, value in server.env().items():  # For the writer in this process.
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def publish(tmp: pathlib.Path, changes: List[dict], schema: bool = False) -> Dict[str, object]:
    with libsearch.RemoteWriter.open(URL, cache_dir=tmp / f"writer-{time.monotonic_ns()}",
                                     schema=SCHEMA if schema else None) as w:
        for c in changes:
            w.apply(c)
        return w.commit()


Search = Callable[[str], dict]


def surfaces(store: Moto, tmp: pathlib.Path, cpp_lambda_factory: Callable[..., Lambda],
             py_lambda_factory: Callable[..., Lambda]) -> Tuple[Dict[str, Search], List[Process], HttpSurface]:
    env = {**store.env(), "LIBSEARCH_INDEX": URL, "LIBSEARCH_REFRESH_SECONDS": str(REFRESH_SECONDS)}
    searches: Dict[str, Search] = {}
    processes: List[Process] = []

    cpp = cpp_lambda_factory({**env, "LIBSEARCH_CACHE_DIR": str(tmp / "cpp-cache")}, name="cpp-fresh")
    py = py_lambda_factory({**env, "LIBSEARCH_TMP": str(tmp)}, name="py-fresh")

    def lam(target: Lambda) -> Search:
        # The emulator runs one invocation at a time (Lambda would start more
        # instances); two at once crash it.
        one_at_a_time = threading.Lock()

        def run(q: str) -> dict:
            with one_at_a_time:
                status, out = target.invoke({"query": q, "k": 5, "include_docs": True})
            assert status == 200, out
            return dict(json.loads(out))
        return run

    searches["cpp-lambda"], searches["py-lambda"] = lam(cpp), lam(py)

    port = free_port()
    gcf = Process([sys.executable, "-m", "functions_framework", "--target", "search", "--source",
                   str(FUNCTIONS / "gcp" / "main.py"), "--host", "127.0.0.1", "--port", str(port)],
                  base_env(PYTHONPATH=PYTHONPATH, LIBSEARCH_CACHE_DIR=str(tmp / "gcf-cache"), **env),
                  tmp, tmp / "gcf.log")
    processes.append(gcf)
    wait_for_port(port, gcf.proc)

    def http_search(base: str) -> Search:
        def run(q: str) -> dict:
            status, _, out = http("POST", base, json.dumps({"query": q, "k": 5, "include_docs": True}).encode(),
                                  {"content-type": "application/json"})
            assert status == 200, out
            return dict(json.loads(out))
        return run

    searches["gcf"] = http_search(f"http://127.0.0.1:{port}/")

    require(SERVICE.exists(), f"libsearch-service at {SERVICE}")
    service = Process([str(SERVICE), "--index", URL, "--host", "127.0.0.1", "--port", "0",
                       "--cache-dir", str(tmp / "service-cache"), "--refresh-seconds", str(REFRESH_SECONDS)],
                      base_env(**env), tmp, tmp / "service.log")
    processes.append(service)
    deadline = time.monotonic() + 60
    while "listening on http://127.0.0.1:" not in service.log():
        assert service.proc.poll() is None and time.monotonic() < deadline, service.log()
        time.sleep(0.05)
    service_port = int(service.log().split("listening on http://127.0.0.1:", 1)[1].split()[0])
    searches["service"] = http_search(f"http://127.0.0.1:{service_port}/search")
    return searches, processes, HttpSurface(service, service_port, "/search")


def price(answer: dict, sku: str) -> float | None:
    for hit in answer["hits"]:
        if hit["id"] == sku:
            return float(hit["doc"]["price"])
    return None


def wait_for(search: Search, query: str, check: Callable[[dict], bool], limit: float) -> float:
    start = time.monotonic()
    while True:
        if check(search(query)):
            return time.monotonic() - start
        assert time.monotonic() - start < limit, f"not visible after {limit} s: {search(query)}"
        time.sleep(0.05)


def test_changes_reach_every_surface(store: Moto, tmp_path: pathlib.Path, cpp_lambda_factory: Callable[..., Lambda],
                                     py_lambda_factory: Callable[..., Lambda]) -> None:
    publish(tmp_path, [{"sku": "1", "title": "peanut butter", "price": 2.5},
                              {"sku": "2", "title": "olive oil", "price": 7.0}], schema=True)
    searches, processes, service = surfaces(store, tmp_path, cpp_lambda_factory, py_lambda_factory)
    try:
        for name, search in searches.items():
            assert price(search("butter"), "1") == 2.5, name

        publish(tmp_path, [{"sku": "1", "_set": {"price": 1.99}}])
        delays = {name: wait_for(s, "butter", lambda a: price(a, "1") == 1.99, REFRESH_SECONDS + 1.0)
                  for name, s in searches.items()}
        print("change-to-visible delay (s):", {k: round(v, 3) for k, v in delays.items()})

        publish(tmp_path, [{"sku": "2", "_delete": True}])
        for s in searches.values():
            wait_for(s, "oil", lambda a: a["total"] == 0, REFRESH_SECONDS + 1.0)

        _, _, metrics = http("GET", service.url("/metrics"))
        text = metrics.decode()
        assert re.search(r"^libsearch_index_generation [3-9]", text, re.M), text
        assert re.search(r"^libsearch_index_refresh_ok 1$", text, re.M)

        # The store goes away: every surface keeps answering from its snapshot.
        store.stop()
        time.sleep(REFRESH_SECONDS * 2 + 0.5)
        for name, s in searches.items():
            answer = s("butter")
            assert price(answer, "1") == 1.99, (name, answer)
        time.sleep(REFRESH_SECONDS + 0.5)
        _, _, metrics = http("GET", service.url("/metrics"))
        text = metrics.decode()
        assert re.search(r"^libsearch_index_refresh_ok 0$", text, re.M), text
        failures = re.search(r"^libsearch_index_refresh_failures_total (\d+)$", text, re.M)
        assert failures and int(failures.group(1)) >= 1, text
        assert "index_refresh_failed" in service.process.log()
    finally:
        for p in processes:
            p.stop()


def update_bootstrap(workdir: pathlib.Path) -> pathlib.Path:
    """The Python runtime client running ``update.handle``."""
    script = workdir / "bootstrap-python-update"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -m awslambdaric update.handle\n")
    script.chmod(0o755)
    return script


def sqs_event(records: List[Tuple[str, str]]) -> dict:
    return {"Records": [{"messageId": mid, "receiptHandle": "r-" + mid, "body": body, "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:changes", "awsRegion": "us-east-1"}
                        for mid, body in records]}


def test_update_functions_publish_what_serving_sees(store: Moto, tmp_path: pathlib.Path,
                                                    cpp_lambda_factory: Callable[..., Lambda],
                                                    py_lambda_factory: Callable[..., Lambda]) -> None:
    publish(tmp_path, [{"sku": "1", "title": "peanut butter", "price": 2.5}], schema=True)
    searches, processes, _ = surfaces(store, tmp_path, cpp_lambda_factory, py_lambda_factory)
    env = {**store.env(), "LIBSEARCH_INDEX": URL}
    try:
        # The C++ update function: an SQS batch with one bad record.
        cpp = cpp_lambda_factory({**env, "_HANDLER": "update", "LIBSEARCH_WRITER_DIR": str(tmp_path / "cw")},
                                 name="cpp-update")
        batch = sqs_event([("m1", json.dumps({"sku": "2", "title": "almond butter", "price": 4.0})),
                           ("m2", json.dumps({"sku": "404", "_set": {"price": 1.0}})),
                           ("m3", json.dumps({"sku": "1", "_set": {"price": 2.25}}))])
        status, out = cpp.invoke(batch)
        assert status == 200 and json.loads(out) == {"batchItemFailures": [{"itemIdentifier": "m2"}]}, out
        for s in searches.values():
            wait_for(s, "butter", lambda a: price(a, "2") == 4.0 and price(a, "1") == 2.25, REFRESH_SECONDS + 1.0)
        # Delivered again: nothing changes (the manifest remembers m1 and m3).
        status, out = cpp.invoke(batch)
        assert json.loads(out) == {"batchItemFailures": [{"itemIdentifier": "m2"}]}, out
        with libsearch.RemoteWriter.open(URL, cache_dir=tmp_path / "check") as w:
            assert w.applied("m1") and w.applied("m3") and not w.applied("m2")

        # The Python update function: an HTTP API event.
        workdir = tmp_path / "py-update"
        workdir.mkdir()
        from conftest import start_lambda
        py = start_lambda([str(update_bootstrap(workdir))],
                          {"PYTHONPATH": PYTHONPATH, **env, "LIBSEARCH_WRITER_DIR": str(tmp_path / "pw")},
                          workdir, "py-update")
        processes.append(py.process)
        http_event = {"version": "2.0", "routeKey": "POST /update", "rawPath": "/update", "rawQueryString": "",
                      "headers": {"idempotency-key": "batch-9", "content-type": "application/x-ndjson"},
                      "requestContext": {"http": {"method": "POST", "path": "/update"}},
                      "body": json.dumps({"sku": "3", "title": "cashew butter", "price": 6.0}) + "\n",
                      "isBase64Encoded": False}
        status, out = py.invoke(http_event)
        envelope = json.loads(out)
        assert envelope["statusCode"] == 200, out
        assert json.loads(envelope["body"])["applied"] == 1

        # The Cloud Run update function: a POST of JSON Lines.
        port = free_port()
        gcf = Process([sys.executable, "-m", "functions_framework", "--target", "update", "--source",
                       str(FUNCTIONS / "gcp" / "update.py"), "--host", "127.0.0.1", "--port", str(port)],
                      base_env(PYTHONPATH=PYTHONPATH, LIBSEARCH_WRITER_DIR=str(tmp_path / "gw"), **env),
                      tmp_path, tmp_path / "gcf-update.log")
        processes.append(gcf)
        wait_for_port(port, gcf.proc)
        body = (json.dumps({"sku": "3", "_delete": True}) + "\n").encode()
        status, _, out = http("POST", f"http://127.0.0.1:{port}/", body, {"Idempotency-Key": "batch-10"})
        assert status == 200 and json.loads(out)["applied"] == 1, out
        status, _, out = http("POST", f"http://127.0.0.1:{port}/", b'{"title": "no id"}\n')
        assert status == 400 and "id" in json.loads(out)["failed"][0]["error"], out

        for s in searches.values():
            wait_for(s, "cashew", lambda a: a["total"] == 0, REFRESH_SECONDS + 1.0)
            assert price(s("almond"), "2") == 4.0
    finally:
        for p in processes:
            p.stop()


def test_scheduled_rebuild_publishes_a_new_base_while_serving_continues(
        store: Moto, tmp_path: pathlib.Path, cpp_lambda_factory: Callable[..., Lambda],
        py_lambda_factory: Callable[..., Lambda]) -> None:
    publish(tmp_path, [{"sku": str(i), "title": f"tea number {i}", "price": float(i)} for i in range(1, 201)],
            schema=True)
    searches, processes, _ = surfaces(store, tmp_path, cpp_lambda_factory, py_lambda_factory)
    env = {**store.env(), "LIBSEARCH_INDEX": URL}
    try:
        started_ms = int(time.time() * 1000)
        # The hourly export: products 1..150 (151..200 were withdrawn), 1 renamed.
        lines = [{"sku": str(i), "title": ("green tea" if i == 1 else f"tea number {i}"), "price": float(i)}
                 for i in range(1, 151)]
        store.s3.put_object(Bucket=BUCKET, Key="exports/catalogue.jsonl",
                            Body="".join(json.dumps(d) + "\n" for d in lines).encode())
        # A change after the export started: the rebuild replays it.
        cpp_update = cpp_lambda_factory({**env, "_HANDLER": "update",
                                         "LIBSEARCH_WRITER_DIR": str(tmp_path / "uw")}, name="cpp-upd")
        status, out = cpp_update.invoke(sqs_event([("late", json.dumps({"sku": "2", "_set": {"price": 0.5}}))]))
        assert json.loads(out) == {"batchItemFailures": []}, out

        # Searches keep coming on every surface while the rebuild runs.
        failures: List[str] = []
        stop = False

        def hammer() -> None:
            while not stop:
                for name, s in searches.items():
                    try:
                        if s("tea")["total"] < 1:
                            failures.append(f"{name}: no hits")
                    except Exception as e:
                        failures.append(f"{name}: {e}")

        client = threading.Thread(target=hammer, daemon=True)
        client.start()
        rebuild = cpp_lambda_factory({**env, "_HANDLER": "rebuild", "LIBSEARCH_WRITER_DIR": str(tmp_path / "rw"),
                                      "LIBSEARCH_EXPORT": f"s3://{BUCKET}/exports/catalogue.jsonl"},
                                     name="cpp-rebuild")
        status, out = rebuild.invoke({"export_started": started_ms})
        report = json.loads(out)
        assert status == 200 and report["docs"] == 150 and report["replayed"] >= 1, out
        for s in searches.values():
            wait_for(s, "number", lambda a: a["total"] == 149, REFRESH_SECONDS + 1.0)
            assert price(s("green"), "1") == 1.0
            assert price(s("\"number 2\""), "2") == 0.5
        stop = True
        client.join(timeout=10)
        assert failures == [], failures[:5]
    finally:
        for p in processes:
            p.stop()
