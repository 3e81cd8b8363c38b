"""Fresh data in every serving surface: an index in S3 (moto's server on
127.0.0.1, signatures enforced), changed by ``RemoteWriter`` commits, followed
by the C++ bootstrap and the Python handler under the Lambda emulator and the
HTTP service; and an index in Cloud Storage (fake-gcs-server on 127.0.0.1),
changed by the Cloud Run update and rebuild functions and followed by the
Cloud Run search function, all three under functions-framework.

A price change must show on every surface within ``refresh_seconds`` + 1 s
(the measured delays are printed), a deleted product must disappear, and
while the store is down every surface keeps answering from its last
snapshot and says so (the service in /metrics). The C++ update function takes
its changes from an SQS queue on moto's server, delivered as Lambda's event
source mapping does (``ChangesQueue``): a redelivered batch changes nothing,
and a bad change ends in the dead-letter queue."""

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
from test_remote import BUCKET, FakeGcs, Moto

REFRESH_SECONDS = 1.0
URL = f"s3://{BUCKET}/catalogue"
GS_URL = f"gs://{BUCKET}/catalogue"
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


def publish(tmp: pathlib.Path, changes: List[dict], schema: bool = False, url: str = URL) -> Dict[str, object]:
    with libsearch.RemoteWriter.open(url, cache_dir=tmp / f"writer-{time.monotonic_ns()}",
                                     schema=SCHEMA if schema else None) as w:
        for c in changes:
            w.apply(c)
        return w.commit()


Search = Callable[[str], dict]


def http_search(base: str) -> Search:
    def run(q: str) -> dict:
        status, _, out = http("POST", base, json.dumps({"query": q, "k": 5, "include_docs": True}).encode(),
                              {"content-type": "application/json"})
        assert status == 200, out
        return dict(json.loads(out))
    return run


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


class ChangesQueue:
    """The Changes queue of template.yaml on moto's SQS server (with its dead-letter queue,
    redrive after 2 receives), and `deliver`, which plays Lambda's SQS event source mapping
    (ReportBatchItemFailures): receive a batch, invoke the function with it, delete what the
    function did not report as failed, and leave the failures to come back after the
    visibility timeout."""

    VISIBILITY_S = 1

    def __init__(self, store: Moto) -> None:
        import boto3

        self.sqs = boto3.client("sqs", endpoint_url=store.endpoint, region_name="us-east-1",
                                aws_access_key_id=store.key_id, aws_secret_access_key=store.secret)
        self.dlq = self.sqs.create_queue(QueueName="changes-dlq")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=self.dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.url = self.sqs.create_queue(QueueName="changes", Attributes={
            "VisibilityTimeout": str(self.VISIBILITY_S),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def send(self, changes: List[dict]) -> List[str]:
        return [self.sqs.send_message(QueueUrl=self.url, MessageBody=json.dumps(c))["MessageId"] for c in changes]

    def deliver(self, target: Lambda, delete: bool = True) -> Tuple[List[str], List[str]]:
        """One batch (up to 10 messages, as the template's BatchSize): the message ids it held and
        those the function reported as failed. `delete=False` is a function that timed out after
        its commit: nothing is deleted, and SQS delivers the whole batch again."""
        got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=2,
                                       AttributeNames=["All"]).get("Messages", [])
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": m.get("Attributes", {}), "messageAttributes": {},
                              "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": self.arn,
                              "awsRegion": "us-east-1"} for m in got]}
        status, out = target.invoke(event)
        assert status == 200, out
        failed = [f["itemIdentifier"] for f in json.loads(out)["batchItemFailures"]]
        done = [m for m in got if m["MessageId"] not in failed]
        if delete and done:
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        return [m["MessageId"] for m in got], failed

    def waiting(self, url: str) -> int:
        attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_update_functions_publish_what_serving_sees(store: Moto, tmp_path: pathlib.Path,
                                                    cpp_lambda_factory: Callable[..., Lambda],
                                                    py_lambda_factory: Callable[..., Lambda]) -> None:
    publish(tmp_path, [{"sku": "1", "title": "peanut butter", "price": 2.5}], schema=True)
    searches, processes, _ = surfaces(store, tmp_path, cpp_lambda_factory, py_lambda_factory)
    env = {**store.env(), "LIBSEARCH_INDEX": URL}
    queue = ChangesQueue(store)
    try:
        # The C++ update function, fed by the queue: a batch with one bad record (a _set of
        # an unknown product).
        cpp = cpp_lambda_factory({**env, "_HANDLER": "update", "LIBSEARCH_WRITER_DIR": str(tmp_path / "cw")},
                                 name="cpp-update")
        good1, bad, good2 = queue.send([{"sku": "2", "title": "almond butter", "price": 4.0},
                                        {"sku": "404", "_set": {"price": 1.0}},
                                        {"sku": "1", "_set": {"price": 2.25}}])
        # The function commits, then "times out" before Lambda deletes anything: SQS delivers
        # the same messages (same ids) again.
        held, failed = queue.deliver(cpp, delete=False)
        assert sorted(held) == sorted([good1, bad, good2]) and failed == [bad]
        for s in searches.values():
            wait_for(s, "butter", lambda a: price(a, "2") == 4.0 and price(a, "1") == 2.25, REFRESH_SECONDS + 1.0)
        manifest = store.s3.head_object(Bucket=BUCKET, Key="catalogue/MANIFEST")["ETag"]
        time.sleep(ChangesQueue.VISIBILITY_S + 0.5)
        held, failed = queue.deliver(cpp)
        assert sorted(held) == sorted([good1, bad, good2]) and failed == [bad]
        # Delivered again, nothing changed: the manifest remembers the applied ids.
        assert store.s3.head_object(Bucket=BUCKET, Key="catalogue/MANIFEST")["ETag"] == manifest
        with libsearch.RemoteWriter.open(URL, cache_dir=tmp_path / "check") as w:
            assert w.applied(good1) and w.applied(good2) and not w.applied(bad)
        # Received twice, the bad change goes to the dead-letter queue instead of a third time.
        time.sleep(ChangesQueue.VISIBILITY_S + 0.5)
        assert queue.sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=1).get("Messages", []) == []
        assert queue.waiting(queue.url) == 0 and queue.waiting(queue.dlq) == 1

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

        # A delete through the queue and the C++ update function.
        [delete] = queue.send([{"sku": "3", "_delete": True}])
        assert queue.deliver(cpp) == ([delete], [])

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


def cloud_run(target: str, source: str, env: Dict[str, str], tmp: pathlib.Path) -> Tuple[Process, str]:
    """functions-framework serving `target` of functions/gcp/`source`."""
    port = free_port()
    process = Process([sys.executable, "-m", "functions_framework", "--target", target, "--source",
                       str(FUNCTIONS / "gcp" / source), "--host", "127.0.0.1", "--port", str(port)],
                      base_env(PYTHONPATH=PYTHONPATH, **env), tmp, tmp / f"gcf-{target}.log")
    try:
        wait_for_port(port, process.proc)
    except Exception:
        process.stop()
        raise
    return process, f"http://127.0.0.1:{port}/"


def test_cloud_run_functions_keep_an_index_in_gcs_fresh(gcs: FakeGcs, tmp_path: pathlib.Path) -> None:
    """The GCP deployment end to end on gs://: the update function applies
    posted changes, the search function shows them within refresh_seconds +
    1 s, the scheduled rebuild publishes a new base from an export uploaded
    with google-cloud-storage while searches keep succeeding, and with the
    store gone the search function answers from its last snapshot."""
    publish(tmp_path, [{"sku": "1", "title": "peanut butter", "price": 2.5},
                       {"sku": "2", "title": "olive oil", "price": 7.0}], schema=True, url=GS_URL)
    env = {**gcs.env(), "LIBSEARCH_INDEX": GS_URL}
    processes: List[Process] = []
    try:
        serving, serving_url = cloud_run("search", "main.py", {
            **env, "LIBSEARCH_CACHE_DIR": str(tmp_path / "gcf-cache"),
            "LIBSEARCH_REFRESH_SECONDS": str(REFRESH_SECONDS)}, tmp_path)
        processes.append(serving)
        update, update_url = cloud_run("update", "update.py",
                                       {**env, "LIBSEARCH_WRITER_DIR": str(tmp_path / "uw")}, tmp_path)
        processes.append(update)
        rebuild, rebuild_url = cloud_run("rebuild", "update.py", {
            **env, "LIBSEARCH_WRITER_DIR": str(tmp_path / "rw"),
            "LIBSEARCH_EXPORT": f"gs://{BUCKET}/exports/catalogue.jsonl"}, tmp_path)
        processes.append(rebuild)
        search = http_search(serving_url)
        assert price(search("butter"), "1") == 2.5

        def post(body: str, key: str = "") -> Tuple[int, dict]:
            status, _, out = http("POST", update_url, body.encode(), {"Idempotency-Key": key} if key else {})
            return status, dict(json.loads(out))

        # A price change posted to the update function.
        status, report = post(json.dumps({"sku": "1", "_set": {"price": 1.99}}) + "\n", "batch-1")
        assert status == 200 and report["applied"] == 1 and report["published"], report
        delay = wait_for(search, "butter", lambda a: price(a, "1") == 1.99, REFRESH_SECONDS + 1.0)
        print(f"gs:// change-to-visible delay (s): {delay:.3f}")
        # Delivered again (Pub/Sub redelivers): nothing changes, no new generation.
        manifest = gcs.bucket.get_blob("catalogue/MANIFEST")
        assert manifest is not None
        status, report = post(json.dumps({"sku": "1", "_set": {"price": 1.99}}) + "\n", "batch-1")
        assert status == 200 and report["applied"] == 0 and report["duplicates"] == 1, report
        again = gcs.bucket.get_blob("catalogue/MANIFEST")
        assert again is not None and again.generation == manifest.generation
        # A bad event is reported; a delete goes through.
        status, report = post('{"title": "no id"}\n')
        assert status == 400 and "id" in report["failed"][0]["error"], report
        status, report = post(json.dumps({"sku": "2", "_delete": True}) + "\n", "batch-2")
        assert status == 200 and report["applied"] == 1, report
        wait_for(search, "oil", lambda a: a["total"] == 0, REFRESH_SECONDS + 1.0)

        # The hourly export, uploaded by the catalogue system with Google's client.
        started_ms = int(time.time() * 1000)
        lines = [{"sku": str(i), "title": f"tea number {i}", "price": float(i)} for i in range(1, 101)]
        gcs.bucket.blob("exports/catalogue.jsonl").upload_from_string(
            "".join(json.dumps(d) + "\n" for d in lines))
        # A change after the export started: the rebuild replays it.
        status, report = post(json.dumps({"sku": "1", "_set": {"price": 0.5}}) + "\n", "batch-3")
        assert status == 200 and report["applied"] == 1, report

        failures: List[str] = []
        searched = 0
        stop = False

        def hammer() -> None:
            nonlocal searched
            while not stop:
                try:
                    search("butter OR tea")
                    searched += 1
                except Exception as e:
                    failures.append(str(e))

        client = threading.Thread(target=hammer, daemon=True)
        client.start()
        status, _, out = http("POST", rebuild_url, json.dumps({"export_started": started_ms}).encode(),
                              {"content-type": "application/json"})
        rebuilt = json.loads(out)
        assert status == 200 and rebuilt["docs"] == 100 and rebuilt["replayed"] >= 1, out
        wait_for(search, "number", lambda a: a["total"] == 100, REFRESH_SECONDS + 1.0)
        assert search("butter")["total"] == 0  # Renamed in the export.
        assert price(search('"number 1"'), "1") == 0.5  # The late change, replayed.
        assert price(search('"number 2"'), "2") == 2.0  # Deleted, then back in the export.
        stop = True
        client.join(timeout=10)
        assert failures == [] and searched > 0, (searched, failures[:5])

        # The store goes away: the search function answers from its snapshot.
        gcs.stop()
        time.sleep(REFRESH_SECONDS * 2 + 0.5)
        assert price(search('"number 1"'), "1") == 0.5
        failed = [json.loads(line) for line in serving.log().splitlines() if "index refresh failed" in line]
        assert failed and f"{GS_URL}/MANIFEST" in failed[-1]["error"], serving.log()[-2000:]
    finally:
        for p in processes:
            p.stop()
