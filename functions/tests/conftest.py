"""Fixtures: the bundled catalogue's index and each deployment surface running
as a plain process on 127.0.0.1 under its real runtime.

* ``cpp_lambda``: the C++ bootstrap under the AWS Runtime Interface Emulator.
* ``py_lambda``: ``python -m awslambdaric handler.search`` under the emulator.
* ``gcf``: ``functions/gcp/main.py`` under ``functions-framework``.
* ``service``: ``libsearch-service``.
* ``gcs``: fake-gcs-server (a Cloud Storage emulator) with an empty bucket,
  and ``STORAGE_EMULATOR_HOST`` pointing at it for this process.

Every process gets its own session and is killed (with whatever it started)
when its fixture ends; every wait has a timeout. Paths come from
``LIBSEARCH_BUILD_DIR`` (default ``build``) and ``LIBSEARCH_RIE`` (default
``$LIBSEARCH_BUILD_DIR/go/bin/aws-lambda-rie``). A missing runtime skips its
tests, unless ``LIBSEARCH_REQUIRE_RUNTIMES=1`` (``make test-functions``),
which makes it an error.
"""

from __future__ import annotations

import json
import os
import pathlib
import stat
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

if TYPE_CHECKING:
    from test_remote import FakeGcs

ROOT = pathlib.Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
BUILD = pathlib.Path(os.environ.get("LIBSEARCH_BUILD_DIR", ROOT / "build")).resolve()
RIE = pathlib.Path(os.environ.get("LIBSEARCH_RIE", BUILD / "go" / "bin" / "aws-lambda-rie"))
CLI = BUILD / "tools" / "libsearch"
BOOTSTRAP = BUILD / "functions" / "aws_lambda" / "bootstrap"
SERVICE = BUILD / "functions" / "http_service" / "libsearch-service"
PYTHONPATH = os.pathsep.join([str(FUNCTIONS / "common"), str(FUNCTIONS / "aws_lambda" / "python")])
STARTUP_TIMEOUT = 60.0

sys.path[:0] = [str(FUNCTIONS / "common")]

# Process helpers shared with the advisor's profiler and bench/functions/measure.py
# (the installed advisor package, advisor/; `make test-functions` installs it first).
from libsearch_advisor import Artefacts  # noqa: E402
from libsearch_advisor.procs import (  # noqa: E402
    INVOKE_PATH,
    REQUEST_TIMEOUT,
    Process,
    base_env,
    free_port,
    http,
    wait_for_port,
)


def advisor_artefacts() -> Artefacts:
    """This tree's surfaces, for the advisor (which is told every path)."""
    return Artefacts(bootstrap=BOOTSTRAP, rie=RIE, lambda_handler_dir=FUNCTIONS / "aws_lambda" / "python",
                     gcf_source=FUNCTIONS / "gcp" / "main.py", service=SERVICE)


def require(condition: bool, what: str) -> None:
    """Skips (or fails under LIBSEARCH_REQUIRE_RUNTIMES=1) when `what` is missing."""
    if condition:
        return
    if os.environ.get("LIBSEARCH_REQUIRE_RUNTIMES") == "1":
        pytest.fail(f"missing: {what} (tools/install-deps.sh installs it)")
    pytest.skip(f"missing: {what}")


@pytest.fixture
def gcs(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Iterator["FakeGcs"]:
    sys.path.insert(0, str(ROOT / "bindings" / "python" / "tests"))
    from test_remote import FAKE_GCS_SERVER, FakeGcs

    require(FAKE_GCS_SERVER.exists(), f"fake-gcs-server at {FAKE_GCS_SERVER}")
    server = FakeGcs(tmp_path)
    for name, value in server.env().items():  # For the writers in this process.
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def catalogue_index(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """examples/products indexed once for the session."""
    out = tmp_path_factory.mktemp("index") / "products.idx"
    if CLI.exists():
        subprocess.run(
            [str(CLI), "index", "--schema", str(ROOT / "examples/products/schema.json"),
             "--input", str(ROOT / "examples/products/products.jsonl.gz"), "--output", str(out)],
            check=True, capture_output=True, timeout=300,
        )
    else:
        import libsearch

        builder = libsearch.IndexBuilder(libsearch.Schema.from_file(ROOT / "examples/products/schema.json"))
        builder.add_jsonl(ROOT / "examples/products/products.jsonl.gz")
        builder.build(out)
    return out


class Lambda:
    """A runtime under the Runtime Interface Emulator; invoke() posts an event."""

    def __init__(self, process: Process, port: int):
        self.process = process
        self.port = port

    def invoke(self, event: bytes | str | dict, timeout: float = REQUEST_TIMEOUT) -> Tuple[int, bytes]:
        if isinstance(event, dict):
            body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        elif isinstance(event, str):
            body = event.encode()
        else:
            body = event
        status, _, out = http("POST", f"http://127.0.0.1:{self.port}{INVOKE_PATH}", body, timeout=timeout)
        return status, out


def start_lambda(bootstrap: List[str], env: Dict[str, str], workdir: pathlib.Path, name: str) -> Lambda:
    """Starts the emulator on two free loopback ports, running `bootstrap`."""
    require(RIE.exists(), f"aws-lambda-rie at {RIE}")
    for _ in range(5):
        invoke_port, api_port = free_port(), free_port()
        process = Process(
            [str(RIE), "--runtime-interface-emulator-address", f"127.0.0.1:{invoke_port}",
             "--runtime-api-address", f"127.0.0.1:{api_port}", "--log-level", "warn", *bootstrap],
            base_env(AWS_LAMBDA_FUNCTION_TIMEOUT="30", AWS_LAMBDA_FUNCTION_NAME=name, **env),
            workdir, workdir / f"{name}.log",
        )
        try:
            wait_for_port(invoke_port, process.proc)
            return Lambda(process, invoke_port)
        except RuntimeError:
            process.stop()  # A port was taken meanwhile: try others.
    raise RuntimeError(f"could not start the emulator: {process.log()}")


def python_bootstrap(workdir: pathlib.Path) -> pathlib.Path:
    """An executable that starts the Python runtime client (as AWS's images do)."""
    script = workdir / "bootstrap-python"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -m awslambdaric handler.search\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture(scope="session")
def cpp_lambda_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Lambda]]:
    started: List[Lambda] = []

    def start(env: Dict[str, str], name: str = "cpp") -> Lambda:
        require(BOOTSTRAP.exists(), f"the bootstrap at {BOOTSTRAP} (make build)")
        workdir = tmp_path_factory.mktemp(name)
        lam = start_lambda([str(BOOTSTRAP)], env, workdir, name)
        started.append(lam)
        return lam

    yield start
    for lam in started:
        lam.process.stop()


@pytest.fixture(scope="session")
def py_lambda_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Lambda]]:
    started: List[Lambda] = []

    def start(env: Dict[str, str], name: str = "python") -> Lambda:
        try:
            import awslambdaric  # noqa: F401
        except ImportError:
            require(False, "the awslambdaric package")
        workdir = tmp_path_factory.mktemp(name)
        lam = start_lambda([str(python_bootstrap(workdir))], {"PYTHONPATH": PYTHONPATH, **env}, workdir, name)
        started.append(lam)
        return lam

    yield start
    for lam in started:
        lam.process.stop()


@pytest.fixture(scope="session")
def cpp_lambda(cpp_lambda_factory: Callable[..., Lambda], catalogue_index: pathlib.Path) -> Lambda:
    return cpp_lambda_factory({"LIBSEARCH_INDEX": str(catalogue_index)})


@pytest.fixture(scope="session")
def py_lambda(py_lambda_factory: Callable[..., Lambda], catalogue_index: pathlib.Path) -> Lambda:
    return py_lambda_factory({"LIBSEARCH_INDEX": str(catalogue_index)})


class HttpSurface:
    """An HTTP server on 127.0.0.1: search(request) posts, get(query) gets."""

    def __init__(self, process: Process, port: int, search_path: str):
        self.process = process
        self.port = port
        self.search_path = search_path

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path or self.search_path}"

    def post(self, body: bytes | str | dict, headers: Optional[Dict[str, str]] = None) -> Tuple[int, bytes]:
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        if isinstance(body, str):
            body = body.encode()
        status, _, out = http("POST", self.url(), body, {"content-type": "application/json", **(headers or {})})
        return status, out

    def get(self, raw_query: str, path: str = "") -> Tuple[int, Dict[str, str], bytes]:
        return http("GET", self.url(path) + ("?" + raw_query if raw_query else ""))


@pytest.fixture(scope="session")
def gcf(catalogue_index: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpSurface]:
    try:
        import functions_framework  # noqa: F401
    except ImportError:
        require(False, "the functions-framework package")
    workdir = tmp_path_factory.mktemp("gcf")
    port = free_port()
    process = Process(
        [sys.executable, "-m", "functions_framework", "--target", "search",
         "--source", str(FUNCTIONS / "gcp" / "main.py"), "--host", "127.0.0.1", "--port", str(port)],
        base_env(LIBSEARCH_INDEX=str(catalogue_index), PYTHONPATH=PYTHONPATH),
        workdir, workdir / "gcf.log",
    )
    try:
        wait_for_port(port, process.proc)
    except Exception:
        process.stop()
        raise RuntimeError("functions-framework did not start:\n" + process.log()) from None
    yield HttpSurface(process, port, "/")
    process.stop()


def start_service(index: Optional[pathlib.Path], workdir: pathlib.Path, *extra: str) -> HttpSurface:
    """libsearch-service on `index` (None: a coordinator, given --shards in `extra`)."""
    require(SERVICE.exists(), f"libsearch-service at {SERVICE} (make build; needs libcpp-httplib-dev)")
    workdir.mkdir(parents=True, exist_ok=True)
    process = Process(
        [str(SERVICE), *(["--index", str(index)] if index is not None else []),
         "--host", "127.0.0.1", "--port", "0", *extra],
        base_env(), workdir, workdir / "service.log",
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        text = process.log()
        if "listening on http://127.0.0.1:" in text:
            port = int(text.split("listening on http://127.0.0.1:", 1)[1].split()[0])
            return HttpSurface(process, port, "/search")
        if process.proc.poll() is not None:
            break
        time.sleep(0.02)
    process.stop()
    raise RuntimeError("libsearch-service did not start:\n" + process.log())


@pytest.fixture(scope="session")
def service(catalogue_index: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpSurface]:
    surface = start_service(catalogue_index, tmp_path_factory.mktemp("service"), "--threads", "32")
    yield surface
    surface.process.stop()


def no_took(body: bytes | str) -> str:
    """The body with took_us zeroed (the only field that varies)."""
    import re

    text = body.decode() if isinstance(body, bytes) else body
    return re.sub(r'"took_us":[0-9]+', '"took_us":0', text)


def raw_exchange(port: int, chunks: List[bytes], settle: float, last_wait: float = 3.0,
                 until: Callable[[bytes], bool] = lambda got: False) -> Tuple[bytes, bool]:
    """Sends each chunk on one raw connection, reading for `settle` s after
    each; after the last, reads until `until(bytes read)` holds or the server
    closes, up to `last_wait` s. Returns the bytes read and whether the
    server closed the connection (what an HTTP client library would hide)."""
    import socket

    got = b""
    closed = False
    with socket.create_connection(("127.0.0.1", port), timeout=10.0) as s:
        s.settimeout(0.05)
        for i, chunk in enumerate(chunks):
            try:
                s.sendall(chunk)
            except OSError:
                closed = True
                break
            last = i == len(chunks) - 1
            deadline = time.monotonic() + (last_wait if last else settle)
            while not closed and time.monotonic() < deadline and not (last and until(got)):
                try:
                    data = s.recv(1 << 20)
                except socket.timeout:
                    continue
                except OSError:
                    data = b""
                closed = not data
                got += data
            if closed:
                break
    return got, closed
