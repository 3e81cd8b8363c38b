"""The packaged artefacts (``make package``) with remote indexes: the
provided.al2023 zip's static bootstrap, unzipped and read-only under the
Lambda Runtime Interface Emulator, serves and follows an index in S3 (moto's
server on 127.0.0.1, signatures enforced); the python3.12 layer's module
publishes and follows indexes in Cloud Storage (fake-gcs-server) and S3.
Both link the minimal static libcurl of functions/aws_lambda/static_curl.sh.

The artefacts come from ``$LIBSEARCH_BUILD_DIR/package``: ``make
test-package`` builds them (about 13 minutes the first time on 2 cores, most
of it ICU for the layer) and runs these tests with
``LIBSEARCH_REQUIRE_PACKAGE=1``, which makes a missing artefact an error;
elsewhere they skip without the package."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import ssl
import subprocess
import sys
import threading
import time
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

import libsearch

from conftest import BUILD, Lambda, require, start_lambda

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bindings" / "python" / "tests"))
from test_remote import BUCKET, FakeGcs, Moto

PACKAGE = BUILD / "package"
ZIP = PACKAGE / "libsearch-lambda-al2023.zip"
LAYER_ZIP = PACKAGE / "libsearch-python312-layer.zip"
SCHEMA = {"id": "sku", "fields": {"title": {"type": "text", "stored": True},
                                  "price": {"type": "float", "stored": True}}}


def artefact(path: pathlib.Path) -> pathlib.Path:
    if not path.exists():
        message = f"no {path} (make package)"
        if os.environ.get("LIBSEARCH_REQUIRE_PACKAGE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def unzip_read_only(zip_path: pathlib.Path, into: pathlib.Path) -> pathlib.Path:
    """Unpacks as Lambda does: modes kept (unzip, not zipfile), nothing writable."""
    subprocess.run(["unzip", "-q", str(zip_path), "-d", str(into)], check=True)
    subprocess.run(["chmod", "-R", "a-w", str(into)], check=True)
    return into


def needed_libraries(elf: pathlib.Path) -> List[str]:
    out = subprocess.run(["readelf", "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


@pytest.fixture
def moto(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Moto]:
    server = Moto(tmp_path)
    for name, value in server.env().items():  # For the writer in this process.
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


def publish(url: str, cache: pathlib.Path, docs: List[Dict[str, object]], schema: bool = False) -> None:
    with libsearch.RemoteWriter.open(url, cache_dir=cache / f"w-{time.monotonic_ns()}",
                                     schema=SCHEMA if schema else None) as w:
        for d in docs:
            w.upsert(d)
        w.commit()


def search(lam: Lambda, query: str) -> Dict[str, float]:
    status, out = lam.invoke({"query": query, "k": 10, "include_docs": True})
    assert status == 200, out
    return {h["id"]: float(h["doc"]["price"]) for h in json.loads(out)["hits"]}


def test_packaged_bootstrap_serves_and_follows_an_index_in_s3(moto: Moto, tmp_path: pathlib.Path) -> None:
    task = unzip_read_only(artefact(ZIP), tmp_path / "task")
    bootstrap = task / "bootstrap"
    # libcurl, OpenSSL and zlib are inside the bootstrap, not the runtime's.
    assert not [n for n in needed_libraries(bootstrap) if n.startswith(("libcurl", "libssl", "libcrypto", "libz"))]

    url = f"s3://{BUCKET}/catalogue"
    publish(url, tmp_path, [{"sku": "1", "title": "peanut butter", "price": 2.5},
                            {"sku": "2", "title": "almond butter", "price": 4.0}], schema=True)
    env = {**moto.env(), "LIBSEARCH_INDEX": url, "LIBSEARCH_REFRESH_SECONDS": "1",
           "LIBSEARCH_CACHE_DIR": str(tmp_path / "cache"), "LAMBDA_TASK_ROOT": str(task)}
    lam = start_lambda([str(bootstrap)], env, tmp_path, "packaged-s3")
    try:
        assert search(lam, "butter") == {"1": 2.5, "2": 4.0}
        publish(url, tmp_path, [{"sku": "1", "title": "peanut butter", "price": 1.99}])
        deadline = time.monotonic() + 10
        while (hits := search(lam, "butter")).get("1") != 1.99:
            assert time.monotonic() < deadline, hits
            time.sleep(0.2)
        assert hits == {"1": 1.99, "2": 4.0}
    finally:
        lam.process.stop()



class TlsProxy:
    """HTTPS on 127.0.0.1 in front of moto's HTTP port, bytes passed through
    unchanged (the signed Host header stays the proxy's), with a certificate
    for the host name localhost from a throwaway CA that no system bundle
    holds. A name, as S3's and Cloud Storage's endpoints are: the packaged
    libcurl's Mbed TLS 2.28 matches a certificate's DNS names, not the IP
    addresses in its subjectAltName (README, "Keeping the catalogue fresh")."""

    def __init__(self, tmp: pathlib.Path, upstream: int, name: str = "localhost") -> None:
        self.ca = tmp / f"ca-{name}.pem"
        key = tmp / f"key-{name}.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                        "-keyout", str(key), "-out", str(self.ca)], check=True, capture_output=True)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(self.ca, key)
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # Closed.
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()  # The client refused the certificate.
            return
        self.handshakes += 1
        up = socket.create_connection(("127.0.0.1", self.upstream))

        def pipe(pair: Tuple[socket.socket, socket.socket]) -> None:
            src, dst = pair
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pipe, args=((up, tls),), daemon=True).start()
        pipe((tls, up))

    def close(self) -> None:
        self.listener.close()


def test_packaged_bootstrap_reads_s3_over_https(moto: Moto, tmp_path: pathlib.Path) -> None:
    """The static libcurl's TLS (Mbed TLS) verifies the server against the CA
    bundle the client found: SSL_CERT_FILE here, since the system bundles do
    not hold the test CA, and without it the same endpoint is refused; so is
    a certificate from the trusted CA for another host name."""
    task = unzip_read_only(artefact(ZIP), tmp_path / "task")
    url = f"s3://{BUCKET}/tls"
    publish(url, tmp_path, [{"sku": "3", "title": "hazelnut butter", "price": 5.5}], schema=True)
    proxy = TlsProxy(tmp_path, moto.port)
    env = {**moto.env(), "AWS_ENDPOINT_URL_S3": f"https://localhost:{proxy.port}", "LIBSEARCH_INDEX": url,
           "LAMBDA_TASK_ROOT": str(task)}
    trusted = start_lambda([str(task / "bootstrap")], {**env, "SSL_CERT_FILE": str(proxy.ca),
                                                       "LIBSEARCH_CACHE_DIR": str(tmp_path / "c1")},
                           tmp_path, "packaged-tls")
    try:
        assert search(trusted, "butter") == {"3": 5.5}
        assert proxy.handshakes >= 1
    finally:
        trusted.process.stop()
    def assert_refused(extra_env, name):
        refused = start_lambda([str(task / "bootstrap")], {**env, **extra_env}, tmp_path, name)
        try:
            _, out = refused.invoke({"query": "butter"})
            body = json.loads(out)
            assert body["errorType"] == "Runtime.IndexLoadError", out
            message = body["errorMessage"].lower()
            assert "certificate" in message or "ssl" in message, out
        finally:
            refused.process.stop()

    try:
        assert_refused({"SSL_CERT_FILE": "", "LIBSEARCH_CACHE_DIR": str(tmp_path / "c2")},  # Unset.
                       "packaged-tls-untrusted")
    finally:
        proxy.close()
    other = TlsProxy(tmp_path, moto.port, name="other.example")
    env["AWS_ENDPOINT_URL_S3"] = f"https://localhost:{other.port}"
    try:
        assert_refused({"SSL_CERT_FILE": str(other.ca), "LIBSEARCH_CACHE_DIR": str(tmp_path / "c3")},
                       "packaged-tls-wrong-name")
    finally:
        other.close()

LAYER_SCRIPT = """
import json, sys
import libsearch
url, cache = sys.argv[1], sys.argv[2]
schema = {"id": "sku", "fields": {"title": {"type": "text", "stored": True}}}
with libsearch.RemoteWriter.open(url, cache_dir=cache + "/w", schema=schema) as w:
    w.upsert({"sku": "7", "title": "oat milk"})
    w.commit()
replica = libsearch.IndexReplica.open(url, cache_dir=cache + "/r", refresh_seconds=0)
print(json.dumps({"file": libsearch.__file__, "hits": [h.id for h in replica.index.search("milk")]}))
"""


def find_python312() -> Optional[str]:
    """As package.sh finds the layer's interpreter (a pyenv shim may exist
    without 3.12 active)."""
    pyenv = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv"))
    candidates = [os.environ.get("PYTHON312", ""), "python3.12",
                  *sorted(str(p) for p in pyenv.glob("versions/3.12*/bin/python3.12"))]
    for c in filter(None, candidates):
        try:
            probe = subprocess.run([c, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"],
                                   capture_output=True, timeout=30)
        except OSError:
            continue
        if probe.returncode == 0:
            return c
    return None


@pytest.mark.parametrize("scheme", ["gs", "s3"])
def test_packaged_layer_publishes_and_follows_remote_indexes(scheme: str, tmp_path: pathlib.Path) -> None:
    layer = unzip_read_only(artefact(LAYER_ZIP), tmp_path / "opt") / "python"
    python312 = find_python312()
    require(python312 is not None, "a CPython 3.12 (the layer's interpreter)")
    assert python312 is not None
    server: FakeGcs | Moto = FakeGcs(tmp_path) if scheme == "gs" else Moto(tmp_path)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_EMULATOR"))}
        env.update(server.env(), PYTHONPATH=str(layer))
        r = subprocess.run([python312, "-c", LAYER_SCRIPT, f"{scheme}://{BUCKET}/layer", str(tmp_path)],
                           env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["file"].startswith(str(layer)), out  # The layer's module, not an installed one.
        assert out["hits"] == ["7"]
        listed = server.names("layer/") if isinstance(server, FakeGcs) else server.keys("layer/")
        assert any(name.endswith("MANIFEST") for name in listed), listed
    finally:
        server.stop()
