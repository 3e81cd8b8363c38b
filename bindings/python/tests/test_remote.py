"""Remote indexes in S3 and in Google Cloud Storage: RemoteWriter publishes,
IndexReplica follows.

S3: against moto's S3 server on 127.0.0.1 with request signing enforced
(moto checks each request's SigV4 signature against an IAM access key it
issued), through libsearch's own S3 client (libcurl) and, to set up and
inspect the bucket, the real boto3 client. GCS: against fake-gcs-server
(built by tools/install-deps.sh into build/go/bin) through libsearch's own
JSON API client and Google's google-cloud-storage client. A missing
emulator fails its tests (LIBSEARCH_REQUIRE_RUNTIMES=0 makes it a skip)."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
from typing import Any, Dict, Iterator, List

import boto3
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

import libsearch

SCHEMA: Dict[str, Any] = {
    "id": "sku",
    "fields": {
        "title": {"type": "text", "stored": True},
        "price": {"type": "float", "stored": True},
    },
}
BUCKET = "shop-indexes"
ROOT = pathlib.Path(__file__).resolve().parents[3]
FAKE_GCS_SERVER = pathlib.Path(os.environ.get("LIBSEARCH_FAKE_GCS_SERVER",
                                              ROOT / "build" / "go" / "bin" / "fake-gcs-server"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Moto:
    def __init__(self, tmp: pathlib.Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        # The first requests (creating the IAM user and its key) go
        # unauthenticated; every later one must carry a valid signature.
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "4"
        self.log = (tmp / "moto.log").open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, "moto did not start"
                time.sleep(0.1)
        iam = boto3.client("iam", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id="setup", aws_secret_access_key="setup")
        iam.create_user(UserName="indexer")
        policy = iam.create_policy(PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sqs:*"], "Resource": "*"}]}))
        iam.attach_user_policy(UserName="indexer", PolicyArn=policy["Policy"]["Arn"])
        key = iam.create_access_key(UserName="indexer")["AccessKey"]
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]
        self.s3 = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                               aws_access_key_id=self.key_id, aws_secret_access_key=self.secret)
        self.s3.create_bucket(Bucket=BUCKET)

    def env(self, secret: str = "") -> Dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": secret or self.secret,
                "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": self.endpoint}

    def keys(self, prefix: str) -> List[str]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


class FakeGcs:
    """fake-gcs-server on 127.0.0.1 (in memory) with the empty bucket BUCKET;
    ``client`` is google-cloud-storage's, pointed at it."""

    def __init__(self, tmp: pathlib.Path) -> None:
        if not FAKE_GCS_SERVER.exists():
            message = f"no fake-gcs-server at {FAKE_GCS_SERVER} (tools/install-deps.sh builds it)"
            if os.environ.get("LIBSEARCH_REQUIRE_RUNTIMES") == "0":
                pytest.skip(message)
            pytest.fail(message)
        (tmp / "gcs-seed" / BUCKET).mkdir(parents=True)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.endpoint = f"http://{self.host}"
        self.log = (tmp / "fake-gcs-server.log").open("wb")
        self.proc = subprocess.Popen(
            [str(FAKE_GCS_SERVER), "-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port),
             "-backend", "memory", "-data", str(tmp / "gcs-seed"), "-public-host", self.host,
             "-log-level", "warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, "fake-gcs-server did not start"
                time.sleep(0.05)
        self.client = storage.Client(project="test", credentials=AnonymousCredentials(),
                                     client_options={"api_endpoint": self.endpoint})
        self.bucket = self.client.bucket(BUCKET)

    def env(self) -> Dict[str, str]:
        return {"STORAGE_EMULATOR_HOST": self.host}

    def names(self, prefix: str) -> List[str]:
        return sorted(b.name for b in self.client.list_blobs(BUCKET, prefix=prefix))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def moto(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Moto]:
    server = Moto(tmp_path)
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    yield server
    server.stop()


@pytest.fixture
def gcs(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGcs]:
    server = FakeGcs(tmp_path)
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def doc(sku: str, title: str, price: float) -> Dict[str, Any]:
    return {"sku": sku, "title": title, "price": price}


def ids(index: libsearch.Index, query: str) -> List[str]:
    return [h.id for h in index.search(query, k=100)]


def test_publish_and_follow_through_s3(moto: Moto, tmp_path: pathlib.Path) -> None:
    url = f"s3://{BUCKET}/catalogue"
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w1", schema=SCHEMA) as w:
        w.upsert(doc("1", "peanut butter", 2.5))
        w.upsert(doc("2", "olive oil", 7.0))
        info = w.commit()
    assert info["published"] and info["files_uploaded"] >= 1 and info["bytes_uploaded"] > 0
    keys = moto.keys("catalogue/")
    assert "catalogue/MANIFEST" in keys and any(k.startswith("catalogue/files/") for k in keys), keys
    manifest = json.loads(moto.s3.get_object(Bucket=BUCKET, Key="catalogue/MANIFEST")["Body"].read())
    assert manifest["format"] == "libsearch-remote" and set(manifest["files"])

    replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "replica", refresh_seconds=0)
    assert ids(replica.index, "butter") == ["1"]
    assert replica.refresh() is False  # 304: the manifest did not change.

    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w2") as w:
        w.apply({"sku": "2", "_set": {"price": 6.5}})
        w.delete("1")
        w.upsert(doc("3", "crunchy peanut butter", 3.0))
        w.commit()
    before = replica.index
    assert replica.maybe_refresh() is True
    assert ids(replica.index, "butter") == ["3"]
    [oil] = replica.index.search("oil", include_docs=True)
    assert oil.doc["price"] == 6.5
    assert ids(before, "butter") == ["1"]  # A held snapshot does not change.
    # The replica answers exactly as the last writer's own copy.
    with libsearch.Index.open(tmp_path / "w2") as local:
        for q in ("butter", "peanut", "oil", "crunchy OR olive"):
            assert [(h.id, h.score) for h in local.search(q)] == [(h.id, h.score) for h in replica.index.search(q)]
    status = replica.status
    assert status["refreshes"] == 1 and status["failures"] == 0 and status["last_error"] == ""


def test_the_second_writer_gets_a_conflict(moto: Moto, tmp_path: pathlib.Path) -> None:
    url = f"s3://{BUCKET}/race"
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w0", schema=SCHEMA) as w:
        w.upsert(doc("1", "tea", 1.0))
        w.commit()
    a = libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "a")
    b = libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "b")
    a.upsert(doc("2", "green tea", 2.0))
    b.upsert(doc("3", "black tea", 3.0))
    a.commit()
    with pytest.raises(libsearch.Conflict, match="another writer"):
        b.commit()
    a.close()
    b.close()
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "b") as retry:
        retry.upsert(doc("3", "black tea", 3.0))
        retry.commit()
    replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r")
    assert sorted(ids(replica.index, "tea")) == ["1", "2", "3"]


def test_a_wrong_secret_is_refused_with_a_clear_error(moto: Moto, tmp_path: pathlib.Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with libsearch.RemoteWriter.open(f"s3://{BUCKET}/x", cache_dir=tmp_path / "w", schema=SCHEMA) as w:
        w.upsert(doc("1", "tea", 1.0))
        w.commit()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(libsearch.IOFailure, match=r"SignatureDoesNotMatch.*access denied"):
        libsearch.IndexReplica.open(f"s3://{BUCKET}/x", cache_dir=tmp_path / "r")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    with pytest.raises(libsearch.InvalidArgument, match="AWS_ACCESS_KEY_ID"):
        libsearch.IndexReplica.open(f"s3://{BUCKET}/x", cache_dir=tmp_path / "r")


def test_a_store_that_goes_away_keeps_the_last_snapshot(moto: Moto, tmp_path: pathlib.Path) -> None:
    url = f"s3://{BUCKET}/gone"
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w", schema=SCHEMA) as w:
        w.upsert(doc("1", "tea", 1.0))
        w.commit()
    replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r", refresh_seconds=0)
    moto.stop()
    with pytest.raises(libsearch.IOFailure):
        replica.refresh()
    assert ids(replica.index, "tea") == ["1"]
    assert replica.status["failures"] == 1 and "IOError" in replica.status["last_error"]


class FaultyProxy:
    """An HTTP proxy in front of moto or fake-gcs-server that fails requests
    on purpose: answers 500, or drops the connection halfway through a file's
    download. With a `token`, it is also Google's metadata server (handing
    out `token`, counted in `token_requests`) and refuses (401) a request
    without that bearer token, as Cloud Storage does."""

    def __init__(self, target_port: int, token: str = "") -> None:
        import http.server
        import threading
        import urllib.parse
        import urllib.request

        self.mode = "pass"  # pass | 500 | every-other-500 | cut | stall
        self.count = 0
        self.stalled = threading.Event()  # Set: stalled downloads end.
        self.token = token
        self.token_requests = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def relay(self) -> None:
                if proxy.token and self.path.startswith("/computeMetadata/"):
                    if self.headers.get("Metadata-Flavor") != "Google":
                        return self.answer(403)
                    proxy.token_requests += 1
                    return self.answer(200, json.dumps({"access_token": proxy.token, "expires_in": 3599,
                                                        "token_type": "Bearer"}).encode())
                if proxy.token and self.headers.get("Authorization") != f"Bearer {proxy.token}":
                    length = int(self.headers.get("Content-Length") or 0)
                    if length:
                        self.rfile.read(length)
                    return self.answer(401, b'{"error": {"code": 401, "message": "Invalid Credentials"}}')
                proxy.count += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                mode = proxy.mode
                if mode == "500" or (mode == "every-other-500" and proxy.count % 2 == 1):
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                req = urllib.request.Request(f"http://127.0.0.1:{target_port}{self.path}", data=body,
                                             method=self.command,
                                             headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                req.add_header("Host", self.headers["Host"])
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        status, headers, data = r.status, r.headers, r.read()
                except urllib.error.HTTPError as e:
                    status, headers, data = e.code, e.headers, e.read()
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if mode in ("cut", "stall") and self.command == "GET" and "/files/" in urllib.parse.unquote(self.path):
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    if mode == "stall":  # Half the file, then silence with the connection open.
                        proxy.stalled.wait(60)
                    self.close_connection = True
                    import socket as _socket
                    self.connection.shutdown(_socket.SHUT_RDWR)
                    return
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = relay

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stalled.set()
        self.server.shutdown()


def test_serving_survives_store_faults(moto: Moto, tmp_path: pathlib.Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """500s (retried), downloads cut off midway and downloads that stall
    (half a file, then nothing, the connection left open): a refresh fails or
    succeeds, never serves a partial snapshot, and the last good snapshot
    keeps answering; once the store heals the next refresh works."""
    url = f"s3://{BUCKET}/faults"
    monkeypatch.setenv("LIBSEARCH_STORE_STALL_SECONDS", "1")
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w", schema=SCHEMA) as w:
        w.upsert(doc("1", "tea", 1.0))
        w.commit()
    proxy = FaultyProxy(moto.port)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{proxy.port}")
    try:
        replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r", refresh_seconds=0)

        def publish(n: int) -> None:
            monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto.endpoint)
            with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w") as w:
                w.upsert(doc(str(n), "tea", float(n)))
                w.commit()
            monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{proxy.port}")

        publish(2)
        proxy.mode = "every-other-500"  # Each request's retry succeeds.
        assert replica.refresh() is True
        assert sorted(ids(replica.index, "tea")) == ["1", "2"]

        publish(3)
        proxy.mode = "500"
        with pytest.raises(libsearch.IOFailure, match="HTTP 500"):
            replica.refresh()
        proxy.mode = "cut"  # The new segment's download is cut short.
        with pytest.raises(libsearch.LibsearchError):
            replica.refresh()
        proxy.mode = "stall"  # Given up after 1 s without data, each of 3 attempts.
        started = time.monotonic()
        with pytest.raises(libsearch.IOFailure, match="stalled"):
            replica.refresh()
        assert time.monotonic() - started < 30
        assert sorted(ids(replica.index, "tea")) == ["1", "2"]  # Still the last good one.
        assert replica.status["failures"] == 3

        proxy.mode = "pass"
        assert replica.refresh() is True
        assert sorted(ids(replica.index, "tea")) == ["1", "2", "3"]
    finally:
        proxy.stop()


KILLED_WRITER = """
import json, sys
import libsearch
url, cache, i = sys.argv[1], sys.argv[2], int(sys.argv[3])
event = {"Records": [{"messageId": f"k{i}", "body": json.dumps({"sku": str(i), "title": "tea", "price": i})}]}
print("go", flush=True)  # Imports done: the batch's work starts now.
print(libsearch.handle_update_lambda_event(json.dumps(event), index_url=url, cache_dir=cache))
"""


def test_update_functions_killed_mid_commit_lose_no_event(moto: Moto, tmp_path: pathlib.Path) -> None:
    """An update function SIGKILLed at random moments of its batch: the index
    stays at the previous or the new commit (a replica opens it), and the
    batch delivered again (as SQS does after the kill) is applied exactly once."""
    import random
    import signal

    url = f"s3://{BUCKET}/kills"
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w0", schema=SCHEMA) as w:
        w.upsert(doc("0", "tea", 0.0))
        w.commit()
    rng = random.Random(18)
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    def start(i: int) -> "subprocess.Popen[str]":
        p = subprocess.Popen([sys.executable, str(script), url, str(tmp_path / "w"), str(i)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert p.stdout is not None and p.stdout.readline().strip() == "go"
        return p

    # How long a batch's work takes here, uninterrupted, from "go" (imports
    # done) to exit: kills, timed from "go" too, land within it.
    first = start(0)
    t0 = time.monotonic()
    first.wait(timeout=60)
    work = time.monotonic() - t0
    kills = 0
    for i in range(1, 13):
        p = start(i)
        time.sleep(rng.uniform(0.0, work))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait(timeout=30)
        replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r")  # Opens: a whole commit.
        assert set(ids(replica.index, "tea")) <= {str(n) for n in range(0, i + 1)}
        # SQS delivers the batch again; it applies once, whether or not the killed one had.
        redelivered = subprocess.run([sys.executable, str(script), url, str(tmp_path / "w"), str(i)],
                                     capture_output=True, text=True, timeout=60)
        assert redelivered.returncode == 0 and '{"batchItemFailures":[]}' in redelivered.stdout, redelivered
    assert kills >= 3, kills  # The timing did kill writers mid-work.
    replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r")
    assert sorted(ids(replica.index, "tea"), key=int) == [str(n) for n in range(0, 13)]
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "check") as w:
        assert all(w.applied(f"k{n}") for n in range(1, 13))


def test_publish_and_follow_through_gcs(gcs: FakeGcs, tmp_path: pathlib.Path) -> None:
    """The catalogue export uploaded by google-cloud-storage, rebuilt into an
    index at gs://, changed by a RemoteWriter and followed by a replica; what
    libsearch wrote is read back with Google's client."""
    import gzip

    url = f"gs://{BUCKET}/catalogue"
    export = [doc(str(i), f"tea number {i}", float(i)) for i in range(1, 51)] + [doc("51", "peanut butter", 2.5)]
    gcs.bucket.blob("exports/catalogue.jsonl.gz").upload_from_string(
        gzip.compress("".join(json.dumps(d) + "\n" for d in export).encode()), content_type="application/gzip")
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w0", schema=SCHEMA) as w:
        w.commit()  # An empty index with the schema, which the rebuild keeps.
    is_error, _, payload = libsearch.handle_rebuild_event(
        b"{}", index_url=url, cache_dir=tmp_path / "rebuild", export_url=f"gs://{BUCKET}/exports/catalogue.jsonl.gz")
    assert not is_error, payload
    assert json.loads(payload)["docs"] == 51

    names = gcs.names("catalogue/")
    assert "catalogue/MANIFEST" in names and any(n.startswith("catalogue/files/") for n in names), names
    blob = gcs.bucket.get_blob("catalogue/MANIFEST")
    assert blob is not None
    manifest = json.loads(blob.download_as_bytes())
    assert manifest["format"] == "libsearch-remote"
    # Every file the manifest names is an object libsearch uploaded.
    assert manifest["files"] and {f"catalogue/files/{n}.{h}" for n, h in manifest["files"].items()} <= set(names)

    replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "replica", refresh_seconds=0)
    assert ids(replica.index, "butter") == ["51"]
    assert len(ids(replica.index, "tea")) == 50
    assert replica.refresh() is False  # The MANIFEST's generation did not change.

    generation = blob.generation
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w1") as w:
        w.apply({"sku": "51", "_set": {"price": 1.99}})
        w.delete("1")
        w.commit()
    after = gcs.bucket.get_blob("catalogue/MANIFEST")
    assert after is not None and after.generation != generation  # Replaced, not rewritten in place.
    before = replica.index
    assert replica.maybe_refresh() is True
    [butter] = replica.index.search("butter", include_docs=True)
    assert butter.doc["price"] == 1.99
    assert "1" not in ids(replica.index, "tea") and "1" in ids(before, "tea")
    status = replica.status
    assert status["refreshes"] == 1 and status["failures"] == 0


def test_the_second_gcs_writer_gets_a_conflict(gcs: FakeGcs, tmp_path: pathlib.Path) -> None:
    url = f"gs://{BUCKET}/race"
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w0", schema=SCHEMA) as w:
        w.upsert(doc("1", "tea", 1.0))
        w.commit()
    a = libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "a")
    b = libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "b")
    a.upsert(doc("2", "green tea", 2.0))
    b.upsert(doc("3", "black tea", 3.0))
    a.commit()
    with pytest.raises(libsearch.Conflict, match="another writer"):
        b.commit()
    a.close()
    b.close()
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "b") as retry:
        retry.upsert(doc("3", "black tea", 3.0))
        retry.commit()
    replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r")
    assert sorted(ids(replica.index, "tea")) == ["1", "2", "3"]


def test_a_gcs_store_that_goes_away_keeps_the_last_snapshot(gcs: FakeGcs, tmp_path: pathlib.Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"gs://{BUCKET}/gone"
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w", schema=SCHEMA) as w:
        w.upsert(doc("1", "tea", 1.0))
        w.commit()
    replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r", refresh_seconds=0)
    gcs.stop()
    with pytest.raises(libsearch.IOFailure, match=f"gs://{BUCKET}/gone/MANIFEST"):
        replica.refresh()
    assert ids(replica.index, "tea") == ["1"]
    assert replica.status["failures"] == 1
    # Outside Google Cloud, without an emulator or a token: what to set.
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("GCE_METADATA_HOST", gcs.host)  # Nothing listens there any more.
    with pytest.raises(libsearch.InvalidArgument, match="GOOGLE_OAUTH_ACCESS_TOKEN"):
        libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r2")


def test_gcs_tokens_from_the_metadata_server_and_store_faults(gcs: FakeGcs, tmp_path: pathlib.Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside the emulator mode: a bearer token from the metadata server
    (asked once, then cached; asked again after a 401), sent on every
    request; 500s retried, downloads cut off midway refused, the last good
    snapshot serving throughout."""
    url = f"gs://{BUCKET}/auth"
    with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w", schema=SCHEMA) as w:
        w.upsert(doc("1", "tea", 1.0))
        w.commit()
    proxy = FaultyProxy(gcs.port, token="tok-1")

    def through_proxy() -> None:
        monkeypatch.delenv("STORAGE_EMULATOR_HOST")
        monkeypatch.setenv("LIBSEARCH_GCS_ENDPOINT", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("GCE_METADATA_HOST", f"127.0.0.1:{proxy.port}")

    def publish(n: int) -> None:  # Straight to the emulator.
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs.host)
        with libsearch.RemoteWriter.open(url, cache_dir=tmp_path / "w") as w:
            w.upsert(doc(str(n), "tea", float(n)))
            w.commit()
        through_proxy()

    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN", raising=False)
    through_proxy()
    try:
        replica = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r", refresh_seconds=0)
        assert ids(replica.index, "tea") == ["1"]
        assert proxy.token_requests == 1 and proxy.count >= 2

        publish(2)
        proxy.mode = "every-other-500"  # Each request's retry succeeds.
        assert replica.refresh() is True
        assert sorted(ids(replica.index, "tea")) == ["1", "2"]
        assert proxy.token_requests == 1  # The cached token, on every request.

        publish(3)
        proxy.mode = "500"
        with pytest.raises(libsearch.IOFailure, match="HTTP 500"):
            replica.refresh()
        proxy.mode = "cut"  # The new segment's download is cut short.
        with pytest.raises(libsearch.LibsearchError):
            replica.refresh()
        assert sorted(ids(replica.index, "tea")) == ["1", "2"]

        # The token is revoked: refused once (401), a fresh one from the metadata server.
        proxy.mode = "pass"
        proxy.token = "tok-2"
        assert replica.refresh() is True
        assert proxy.token_requests == 2
        assert sorted(ids(replica.index, "tea")) == ["1", "2", "3"]
        assert replica.status["failures"] == 2

        # A token given in the environment wins; a wrong one is refused clearly.
        monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", "not-the-token")
        with pytest.raises(libsearch.IOFailure, match="GOOGLE_OAUTH_ACCESS_TOKEN"):
            libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r2")
        monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", "tok-2")
        again = libsearch.IndexReplica.open(url, cache_dir=tmp_path / "r3")
        assert sorted(ids(again.index, "tea")) == ["1", "2", "3"]
        assert proxy.token_requests == 2
    finally:
        proxy.stop()
