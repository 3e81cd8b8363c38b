"""Measured profiles of the deployment surfaces (`libsearch-advisor profile INDEX ...`).

Each surface runs locally under its real runtime, as plain processes:

* ``lambda-cpp``: the C++ bootstrap under the AWS Runtime Interface Emulator (RIE);
* ``lambda-python``: the Python handler under awslambdaric, under the RIE;
* ``gcf-python``: the Cloud Run function under functions-framework;
* ``service``: libsearch-service (the container of the service options).

Recorded per surface: cold start (spawn to first answer, every run), its
components (process start, index open, first query), warm client latency and
the runtime's CPU time of every warm request (same requests, so they pair up),
peak RSS and package size. The raw samples are kept: the simulator draws from
them. bench/functions/measure.py uses the same harness for its tables.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime
import http.server as http_server
import json
import os
import pathlib
import platform
import re
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from .errors import ProfileError
from .procs import (
    INVOKE_PATH,
    Process,
    base_env,
    cpu_ns,
    descendants,
    free_port,
    http,
    page_faults,
    vm_hwm_kib,
    wait_for_port,
)

QUERIES = [
    "peanut butter", "chocolate", "dark chocolate", "organic juice", "olive oil", "green tea", "cheese",
    "greek yogurt", "almond milk", "whole wheat bread", "chicken", "salmon", "vanilla ice cream", "granola",
    "potato chips", "sugar -salt", '"dark chocolate" -milk', "tea coffee", "rice", "pasta sauce",
]
SURFACES = ("lambda-cpp", "lambda-python", "gcf-python", "service")
FORMAT = "libsearch-profile/1"
LOADED_PER_CORE = 0.75  # Load average per core above which a profile is flagged as measured under load.


def percentile(xs: Sequence[float], p: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# --- surfaces ---------------------------------------------------------------------------------------------


class Surface(abc.ABC):
    """Starts one surface and sends it one search (a request dict)."""

    name = ""

    @abc.abstractmethod
    def start(self, index: pathlib.Path, workdir: pathlib.Path) -> Process:
        """Spawns the surface's processes serving `index`, with logs under `workdir`."""

    def ready(self, proc: Process) -> None:  # noqa: B027 (surfaces that need no wait keep it)
        """Waits until the surface accepts connections."""

    @abc.abstractmethod
    def search(self, request: Dict[str, Any]) -> bytes:
        """Sends one search and returns the raw answer body."""

    def runtime_pids(self, proc: Process) -> List[int]:
        return [proc.proc.pid]


class LambdaSurface(Surface):
    def __init__(self, name: str, rie: pathlib.Path, bootstrap: Callable[[pathlib.Path], List[str]],
                 env: Dict[str, str]):
        self.name, self.rie, self.bootstrap, self.env = name, rie, bootstrap, env

    def start(self, index: pathlib.Path, workdir: pathlib.Path) -> Process:
        self.port, api = free_port(), free_port()
        return Process(
            [str(self.rie), "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
             "--runtime-api-address", f"127.0.0.1:{api}", "--log-level", "error", *self.bootstrap(workdir)],
            base_env(LIBSEARCH_INDEX=str(index), AWS_LAMBDA_FUNCTION_TIMEOUT="30", **self.env),
            workdir, workdir / f"{self.name}.log")

    def ready(self, proc: Process) -> None:
        wait_for_port(self.port, proc.proc)

    def search(self, request: Dict[str, Any]) -> bytes:
        _, _, body = http("POST", f"http://127.0.0.1:{self.port}{INVOKE_PATH}", json.dumps(request).encode())
        return body

    def runtime_pids(self, proc: Process) -> List[int]:
        return descendants(proc.proc.pid)  # The runtime, not the emulator (not billed on AWS).


class HttpServerSurface(Surface):
    def __init__(self, name: str, command: Callable[[pathlib.Path, int], List[str]], env: Dict[str, str], path: str):
        self.name, self.command, self.env, self.path = name, command, env, path

    def start(self, index: pathlib.Path, workdir: pathlib.Path) -> Process:
        self.port = free_port()
        return Process(self.command(index, self.port), base_env(LIBSEARCH_INDEX=str(index), **self.env),
                       workdir, workdir / f"{self.name}.log")

    def ready(self, proc: Process) -> None:
        wait_for_port(self.port, proc.proc)

    def search(self, request: Dict[str, Any]) -> bytes:
        _, _, body = http("POST", f"http://127.0.0.1:{self.port}{self.path}", json.dumps(request).encode(),
                          {"content-type": "application/json"})
        return body

    def runtime_pids(self, proc: Process) -> List[int]:
        return [proc.proc.pid] + descendants(proc.proc.pid)


def python_bootstrap(workdir: pathlib.Path, python: str = sys.executable) -> pathlib.Path:
    """An executable that starts the Python runtime client (as AWS's images do)."""
    script = workdir / "bootstrap-python"
    script.write_text(f"#!/bin/sh\nexec {python} -m awslambdaric handler.search\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@dataclass(frozen=True)
class Artefacts:
    """The programs each surface runs, as paths given by the caller (the advisor knows no source
    or build layout). A surface whose artefacts are not given is not measured.

    * ``bootstrap``: the C++ Lambda bootstrap (lambda-cpp);
    * ``rie``: the AWS Lambda Runtime Interface Emulator (both Lambda surfaces);
    * ``lambda_handler_dir``: the directory with the Python Lambda handler, handler.py (lambda-python);
    * ``gcf_source``: the Cloud Run function's main.py (gcf-python);
    * ``service``: the libsearch-service binary (service);
    * ``cpp_zip`` / ``python_zip``: the deployment packages, for their sizes only (optional).

    The Python surfaces run in this interpreter, which must have the libsearch package and
    awslambdaric / functions-framework.
    """

    bootstrap: Optional[pathlib.Path] = None
    rie: Optional[pathlib.Path] = None
    lambda_handler_dir: Optional[pathlib.Path] = None
    gcf_source: Optional[pathlib.Path] = None
    service: Optional[pathlib.Path] = None
    cpp_zip: Optional[pathlib.Path] = None
    python_zip: Optional[pathlib.Path] = None

    def absolute(self) -> "Artefacts":
        """The same paths made absolute: the surfaces run in their own working directories."""
        return Artefacts(**{f.name: None if getattr(self, f.name) is None else pathlib.Path(getattr(self, f.name)).absolute()
                            for f in fields(self)})

    def _need(self, name: str) -> Dict[str, Optional[pathlib.Path]]:
        return {"lambda-cpp": {"--rie": self.rie, "--bootstrap": self.bootstrap},
                "lambda-python": {"--rie": self.rie, "--lambda-handler-dir": self.lambda_handler_dir},
                "gcf-python": {"--gcf-source": self.gcf_source},
                "service": {"--service": self.service}}[name]

    def missing(self, name: str) -> Optional[str]:
        """Why surface `name` cannot run here, or None."""
        for flag, path in self._need(name).items():
            if path is None:
                return f"no {flag} given"
            if not path.exists():
                return f"{path} ({flag}) does not exist"
        mod = {"lambda-python": "awslambdaric", "gcf-python": "functions_framework"}.get(name)
        if mod and subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True).returncode != 0:
            return f"the Python package {mod} is missing from {sys.executable}"
        return None

    def package(self, name: str) -> Optional[pathlib.Path]:
        return {"lambda-cpp": self.cpp_zip, "lambda-python": self.python_zip}.get(name)

    def pythonpath(self) -> str:
        return str(self.lambda_handler_dir or "")

    def bootstrap_command(self, name: str, workdir: pathlib.Path) -> List[str]:
        """The Lambda runtime's command for surface `name` (lambda-cpp or lambda-python)."""
        return [str(self.bootstrap)] if name == "lambda-cpp" else [str(python_bootstrap(workdir))]

    def surfaces(self) -> Dict[str, Surface]:
        """The four surfaces the advisor's options are built on (measure.py adds baselines).
        Only those whose artefacts exist can start."""
        rie = self.rie or pathlib.Path("aws-lambda-rie")
        return {
            "lambda-cpp": LambdaSurface("lambda-cpp", rie, lambda w: self.bootstrap_command("lambda-cpp", w), {}),
            "lambda-python": LambdaSurface("lambda-python", rie,
                                           lambda w: self.bootstrap_command("lambda-python", w),
                                           {"PYTHONPATH": self.pythonpath()}),
            "gcf-python": HttpServerSurface(
                "gcf-python", lambda i, p: [sys.executable, "-m", "functions_framework", "--target", "search",
                                            "--source", str(self.gcf_source),
                                            "--host", "127.0.0.1", "--port", str(p)],
                {}, "/"),
            "service": HttpServerSurface(
                "service", lambda i, p: [str(self.service), "--index", str(i), "--host", "127.0.0.1",
                                         "--port", str(p)],
                {}, "/search"),
        }


# --- measurements -----------------------------------------------------------------------------------------


@dataclass
class ColdRun:
    listen_ms: float  # spawn -> the port accepts connections
    answer_ms: float  # spawn -> first search answer received


def start_cold(surface: Surface, index: pathlib.Path, workdir: pathlib.Path,
               request: Dict[str, Any]) -> "tuple[Process, ColdRun]":
    """Spawns `surface` and sends `request` until it answers: one cold start, timed from the spawn.
    The replay starts its instances with this too, so both measure the same thing."""
    t0 = time.perf_counter()
    proc = surface.start(index, workdir)
    try:
        surface.ready(proc)
        t_listen = time.perf_counter()
        deadline = time.monotonic() + 60
        while True:
            try:
                if surface.search(request).startswith(b"{"):
                    break
                # Otherwise the emulator answered before the runtime could: ask again.
            except OSError:
                pass
            if time.monotonic() > deadline or proc.proc.poll() is not None:
                raise RuntimeError(f"{surface.name} did not answer: {proc.log()}")
            time.sleep(0.001)
        t1 = time.perf_counter()
    except BaseException:
        proc.stop()
        raise
    return proc, ColdRun((t_listen - t0) * 1000.0, (t1 - t0) * 1000.0)


def cold_starts(surface: Surface, index: pathlib.Path, runs: int, query: str = "peanut butter",
                gap_ms: float = 0.0) -> List[ColdRun]:
    """Spawn -> first answer, `runs` fresh starts, `gap_ms` of idle before each."""
    out: List[ColdRun] = []
    for _ in range(runs):
        time.sleep(gap_ms / 1000.0)
        with tempfile.TemporaryDirectory() as tmp:
            proc, run = start_cold(surface, index, pathlib.Path(tmp), {"query": query, "k": 10})
            proc.stop()
            out.append(run)
    return out


def bootstrap_startup(command: List[str], index: pathlib.Path, runs: int,
                      env: Optional[Dict[str, str]] = None) -> Dict[str, List[float]]:
    """A Lambda runtime alone, without the emulator: exec -> its first GET /next
    (process start + index open) and its first GET /next -> its response posted
    (the first query), against a minimal Runtime API served here (a timing
    harness only; the emulator is what the tests use). Also the page faults the
    runtime took during that first query (minor: mapped index pages already in
    the page cache; major: read from disk)."""
    marks: Dict[str, float] = {}
    faults: Dict[str, Tuple[int, int]] = {}
    child: Dict[str, int] = {}
    done = threading.Event()

    class Api(http_server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if "next" in marks:  # Later polls: hold them until the run ends.
                done.wait(10)
                return
            marks["next"] = time.perf_counter()
            faults["next"] = page_faults(child.get("pid", 0))
            body = json.dumps({"query": "peanut butter", "k": 10}).encode()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "r1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:0:function:f")
            # awslambdaric's native client (4.2) segfaults on an invocation without these two.
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if "response" not in marks:
                marks["response"] = time.perf_counter()
                faults["response"] = page_faults(child.get("pid", 0))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            done.set()

    class Server(http_server.ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # The held poll's connection resets when the runtime is killed: expected.

    to_next: List[float] = []
    next_to_response: List[float] = []
    minor: List[float] = []
    major: List[float] = []
    for _ in range(runs):
        marks.clear()
        faults.clear()
        done.clear()
        server = Server(("127.0.0.1", 0), Api)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        e = base_env(AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}", LIBSEARCH_INDEX=str(index),
                     AWS_LAMBDA_FUNCTION_NAME="f", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024",
                     AWS_LAMBDA_FUNCTION_VERSION="$LATEST", **(env or {}))
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        child["pid"] = proc.pid
        ok = done.wait(30)
        proc.kill()
        proc.wait()
        server.shutdown()
        server.server_close()
        if not ok:
            raise RuntimeError(f"{command[0]} did not answer")
        to_next.append((marks["next"] - t0) * 1000.0)
        next_to_response.append((marks["response"] - marks["next"]) * 1000.0)
        minor.append(faults["response"][0] - faults["next"][0])
        major.append(faults["response"][1] - faults["next"][1])
    return {"exec_to_next_ms": to_next, "next_to_response_ms": next_to_response,
            "first_query_minor_faults": minor, "first_query_major_faults": major}


@dataclass
class WarmSamples:
    wall_ms: List[float]  # client round trip of each request
    cpu_ms: List[float]  # the runtime's CPU time for the same request
    peak_rss_mib: Optional[float]
    duration_ms: List[float] = field(default_factory=list)  # the runtime's own REPORT Duration (Lambda)
    response_bytes: Optional[float] = None  # median answer body
    log_bytes: Optional[float] = None  # what the surface wrote to its log per request (mean)


# The emulator's (and Lambda's) per-invocation report: "REPORT RequestId: ... Duration: 0.85 ms
# Billed Duration: 1 ms ...". Its Duration is the runtime's time from the invoke to the response,
# without the client's round trip; AWS bills it rounded up to the next millisecond.
_REPORT = re.compile(r"^REPORT RequestId: \S+.*?\tDuration: ([0-9.]+) ms\tBilled Duration: ([0-9.]+) ms", re.M)


def report_durations(log: str) -> List[float]:
    """The Duration (ms) of every REPORT line in a Lambda runtime's log, in order."""
    return [float(m.group(1)) for m in _REPORT.finditer(log)]


def warm_requests(surface: Surface, proc: Process, n: int, queries: Sequence[str] = QUERIES,
                  gap_ms: float = 0.0, first: int = 0,
                  body_bytes: Optional[List[int]] = None) -> "tuple[List[float], List[float]]":
    """`n` sequential requests to a running, warmed-up surface, cycling through `queries` from
    index `first`, `gap_ms` apart: (round trips, the runtime's CPU time of each) in ms. The size
    of each answer body is appended to `body_bytes` if given."""
    pids = surface.runtime_pids(proc)
    wall: List[float] = []
    cpu: List[float] = []
    # CPU time is read once per request, right after its answer: a request's CPU is the difference
    # from the previous read (the idle gap adds ~nothing). Reading the threads' schedstat files
    # right before a request made its latency tail longer (see docs/design-notes.md, "The
    # advisor's measurements"), so no read comes just before one.
    c0 = cpu_ns(pids)
    for i in range(first, first + n):
        time.sleep(gap_ms / 1000.0)
        t0 = time.perf_counter()
        body = surface.search({"query": queries[i % len(queries)], "k": 10})
        t1 = time.perf_counter()
        c1 = cpu_ns(pids)
        wall.append((t1 - t0) * 1000.0)
        cpu.append((c1 - c0) / 1e6)
        c0 = c1
        if body_bytes is not None:
            body_bytes.append(len(body))
        if b'"hits"' not in body:
            raise RuntimeError(f"{surface.name}: unexpected answer {body[:300]!r}")
    return wall, cpu


def warm_samples(surface: Surface, index: pathlib.Path, n: int, workdir: pathlib.Path,
                 queries: Sequence[str] = QUERIES, gap_ms: float = 0.0) -> WarmSamples:
    """`n` sequential requests after a warm-up, cycling through `queries`, `gap_ms` apart."""
    proc = surface.start(index, workdir)
    try:
        surface.ready(proc)
        for q in list(queries)[:60] * 3:  # Warm-up: page cache, interpreter, connection pools.
            surface.search({"query": q, "k": 10})
        time.sleep(0.05)  # The emulator writes its REPORT lines just after each answer.
        log0 = proc.log()
        sizes: List[int] = []
        wall, cpu = warm_requests(surface, proc, n, queries, gap_ms, body_bytes=sizes)
        time.sleep(0.05)
        log1 = proc.log()
        rss = [vm_hwm_kib(p) for p in surface.runtime_pids(proc)]
        rss_kib = max([r for r in rss if r is not None], default=None)
        durations = report_durations(log1[len(log0):]) if log1.startswith(log0) else []
        return WarmSamples(wall, cpu, None if rss_kib is None else round(rss_kib / 1024.0, 1),
                           durations if len(durations) == n else [], float(statistics.median(sizes)),
                           len(log1.encode()[len(log0.encode()):]) / n if log1.startswith(log0) else None)
    finally:
        proc.stop()


# --- the profile file -------------------------------------------------------------------------------------


@dataclass
class SurfaceProfile:
    """One surface's measurements; the lists are raw samples in milliseconds."""

    cold_ms: List[float]
    warm_ms: List[float]
    cpu_ms: List[float]
    cold_components_ms: Dict[str, float] = field(default_factory=dict)
    peak_rss_mib: Optional[float] = None
    package_bytes: Optional[int] = None
    first_query_page_faults: Dict[str, float] = field(default_factory=dict)  # {"minor", "major"}: medians
    # The Lambda runtime's own REPORT Duration of each warm request (pairs with warm_ms): what AWS
    # bills. Empty for other surfaces and for profiles from before it was recorded.
    duration_ms: List[float] = field(default_factory=list)
    response_bytes: Optional[float] = None  # Median answer body (egress, load balancer bytes).
    log_bytes: Optional[float] = None  # Log written per request (the runtime's START/END/REPORT lines...).
    # The profile in repeats, in the order measured: [{"cold": n, "warm": m}, ...] samples each. The
    # model's intervals come from running it on each repeat alone.
    repeats: List[Dict[str, int]] = field(default_factory=list)

    def repeat_slices(self, default: int = 3) -> List["SurfaceProfile"]:
        """One SurfaceProfile per repeat (or, for a profile without repeats, its samples cut into
        `default` consecutive parts in the order measured)."""
        reps = self.repeats or [
            {"cold": len(self.cold_ms) * (k + 1) // default - len(self.cold_ms) * k // default,
             "warm": len(self.warm_ms) * (k + 1) // default - len(self.warm_ms) * k // default}
            for k in range(default)]
        out, c0, w0 = [], 0, 0
        for r in reps:
            c1, w1 = c0 + r["cold"], w0 + r["warm"]
            if c1 > c0 and w1 > w0:
                out.append(dataclasses.replace(
                    self, cold_ms=self.cold_ms[c0:c1], warm_ms=self.warm_ms[w0:w1], cpu_ms=self.cpu_ms[w0:w1],
                    duration_ms=self.duration_ms[w0:w1] if self.duration_ms else [], repeats=[]))
            c0, w0 = c1, w1
        return out or [self]

    def summary(self) -> Dict[str, float]:
        return {"cold_p50_ms": percentile(self.cold_ms, 50), "warm_p50_ms": percentile(self.warm_ms, 50),
                "warm_p99_ms": percentile(self.warm_ms, 99), "cpu_p50_ms": percentile(self.cpu_ms, 50),
                "cpu_p99_ms": percentile(self.cpu_ms, 99), "cpu_mean_ms": statistics.fmean(self.cpu_ms)}


@dataclass
class Profile:
    surfaces: Dict[str, SurfaceProfile]
    date: str = ""
    machine: Dict[str, Any] = field(default_factory=dict)
    index: Dict[str, Any] = field(default_factory=dict)
    method: str = ""
    # The update side's measured costs (libsearch_advisor.updates.UpdateCosts as a dict), if measured.
    updates: Dict[str, Any] = field(default_factory=dict)

    def load_warning(self) -> Optional[str]:
        """A warning if the machine was busy while this profile was measured (the 1-minute load
        average above LOADED_PER_CORE x cores at any point recorded), else None."""
        cores = self.machine.get("cores") or 1
        loads = list(self.machine.get("loadavg_1min") or [])
        start = self.machine.get("loadavg_at_start")
        if start:
            loads.append(start[0])
        if not loads:
            return None
        worst = max(loads)
        if worst <= LOADED_PER_CORE * cores:
            return None
        return (f"The profile was measured on a busy machine: the load average reached {worst:.1f} on {cores} "
                f"core(s) (more than {LOADED_PER_CORE:g} per core). Other work competed for the CPUs, so its "
                f"latencies (and the durations billed from them) are likely overstated; measure again on a quiet "
                f"machine before relying on the latency figures.")

    def surface(self, name: str, needed_by: str = "") -> SurfaceProfile:
        if name not in self.surfaces:
            raise ProfileError(f"the profile has no measurements of surface '{name}'"
                               f"{' (needed by option ' + needed_by + ')' if needed_by else ''}; it has "
                               f"{', '.join(sorted(self.surfaces)) or 'none'}. Re-run `libsearch-advisor profile` where "
                               f"that surface is built, or leave the option out with --options")
        return self.surfaces[name]

    def to_json(self) -> Dict[str, Any]:
        d = asdict(self)
        for s in d["surfaces"].values():
            for k in ("cold_ms", "warm_ms", "cpu_ms", "duration_ms"):
                s[k] = [round(x, 4) for x in s[k]]
        return {"format": FORMAT, **d}

    def save(self, path: Union[str, pathlib.Path]) -> None:
        pathlib.Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n")

    @staticmethod
    def from_json(raw: Any, where: str = "profile") -> "Profile":
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ProfileError(f"{where}: not a libsearch profile (expected \"format\": \"{FORMAT}\"); "
                               f"create one with `libsearch-advisor profile INDEX --out P.json ...`")
        surfaces: Dict[str, SurfaceProfile] = {}
        for name, s in (raw.get("surfaces") or {}).items():
            if name not in SURFACES:
                raise ProfileError(f"{where}: unknown surface '{name}'; known: {', '.join(SURFACES)}")
            try:
                sp = SurfaceProfile(**s)
            except TypeError as e:
                raise ProfileError(f"{where}: surface '{name}': {e}") from None
            for k in ("cold_ms", "warm_ms", "cpu_ms"):
                xs = getattr(sp, k)
                if not xs or any(not isinstance(x, (int, float)) or x < 0 for x in xs):
                    raise ProfileError(f"{where}: surface '{name}': '{k}' must be a non-empty list of "
                                       f"non-negative milliseconds")
            if len(sp.warm_ms) != len(sp.cpu_ms) or (sp.duration_ms and len(sp.duration_ms) != len(sp.warm_ms)):
                raise ProfileError(f"{where}: surface '{name}': warm_ms, cpu_ms (and duration_ms if given) must "
                                   f"pair up (same length)")
            if sp.repeats and (sum(r.get("cold", 0) for r in sp.repeats) != len(sp.cold_ms)
                               or sum(r.get("warm", 0) for r in sp.repeats) != len(sp.warm_ms)):
                raise ProfileError(f"{where}: surface '{name}': 'repeats' must add up to the cold_ms and warm_ms "
                                   f"sample counts")
            surfaces[name] = sp
        return Profile(surfaces, str(raw.get("date", "")), dict(raw.get("machine") or {}),
                       dict(raw.get("index") or {}), str(raw.get("method", "")), dict(raw.get("updates") or {}))


def load_profile(path: Union[str, pathlib.Path]) -> Profile:
    try:
        raw = json.loads(pathlib.Path(path).read_text())
    except OSError as e:
        raise ProfileError(f"cannot read profile {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise ProfileError(f"{path}:{e.lineno}:{e.colno}: not valid JSON ({e.msg})") from None
    return Profile.from_json(raw, str(path))


def read_queries(path: Union[str, pathlib.Path]) -> List[str]:
    """A JSON Lines file of {"query": ...} (the CLI's batch format) or plain lines."""
    out = []
    for n, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                q = json.loads(line)["query"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise ProfileError(f"{path}:{n}: expected {{\"query\": ...}} or a plain query line") from None
            out.append(str(q))
        else:
            out.append(line)
    if not out:
        raise ProfileError(f"{path}: no queries")
    return out


def profile(index: Union[str, pathlib.Path], artefacts: Artefacts,
            queries: Optional[Union[str, pathlib.Path]] = None, surfaces: Optional[Sequence[str]] = None,
            cold_runs: int = 10, warm: int = 300, gap_ms: float = 100.0,
            repeats: int = 3, log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
            catalogue: Optional[Union[str, pathlib.Path]] = None,
            schema: Optional[Union[str, pathlib.Path]] = None) -> Profile:
    """Measures each surface on this machine (see the module docstring).

    Requests and cold starts are `gap_ms` apart: an isolated request (an idle moment before it, as
    at the low rates where functions compete) takes about twice as long here as one sent right
    after another (idle CPUs and cold caches), and the model should see the former.

    Surfaces whose `artefacts` are not given or not there are skipped with a message; none
    runnable is an error. With `catalogue` (JSON Lines, plain or .gz) and its `schema`, the update
    side's costs are measured too (libsearch_advisor.update_profile).
    """
    index = pathlib.Path(index).resolve()
    if repeats < 1 or cold_runs < repeats or warm < repeats:
        raise ProfileError(f"repeats = {repeats}: need 1 <= repeats <= cold_runs ({cold_runs}) and warm ({warm})")
    if not index.exists():
        raise ProfileError(f"index {index} does not exist; build one with `libsearch index ...`")
    qs = read_queries(queries) if queries else QUERIES
    wanted = list(surfaces or SURFACES)
    for name in wanted:
        if name not in SURFACES:
            raise ProfileError(f"unknown surface '{name}'; known: {', '.join(SURFACES)}")
    artefacts = artefacts.absolute()
    all_surfaces = artefacts.surfaces()
    runnable = []
    for name in wanted:
        why = artefacts.missing(name)
        if why:
            log(f"profile: skipping {name}: {why}")
        else:
            runnable.append(name)
    if not runnable:
        raise ProfileError("no surface could run: give the paths of the programs to measure "
                           "(--bootstrap, --rie, --lambda-handler-dir, --gcf-source, --service)")
    try:
        import libsearch  # The engine itself: index open time, measured in-process with the page cache warm.
    except ImportError as e:
        raise ProfileError(f"the libsearch Python package is needed to time the index open ({e}); "
                           f"install it into {sys.executable} (pip install . in the libsearch tree)") from e

    opens = []
    for _ in range(20):
        t0 = time.perf_counter()
        libsearch.Index.open(index).close()
        opens.append((time.perf_counter() - t0) * 1000.0)
    index_open = statistics.median(opens)
    out: Dict[str, SurfaceProfile] = {}
    # Repeats: rounds over every surface, each with its share of the cold starts and warm requests,
    # so that a changing load on the machine shows as a spread between repeats (the model's
    # intervals) rather than biasing one surface.
    cold_per = [cold_runs * (k + 1) // repeats - cold_runs * k // repeats for k in range(repeats)]
    warm_per = [warm * (k + 1) // repeats - warm * k // repeats for k in range(repeats)]
    loads: List[float] = [os.getloadavg()[0]]
    samples: Dict[str, Dict[str, Any]] = {n: {"runs": [], "w": [], "reps": []} for n in runnable}
    for k in range(repeats):
        for name in runnable:
            s = all_surfaces[name]
            acc = samples[name]
            log(f"profile: {name}: repeat {k + 1}/{repeats}: {cold_per[k]} cold starts, {warm_per[k]} warm requests")
            runs = cold_starts(s, index, max(1, cold_per[k]), qs[0], gap_ms)
            with tempfile.TemporaryDirectory() as tmp:
                w = warm_samples(s, index, max(1, warm_per[k]), pathlib.Path(tmp), qs, gap_ms)
            acc["runs"] += runs
            acc["w"].append(w)
            acc["reps"].append({"cold": len(runs), "warm": len(w.wall_ms)})
            loads.append(os.getloadavg()[0])
    for name in runnable:
        runs, ws = samples[name]["runs"], samples[name]["w"]
        comp: Dict[str, float] = {"index_open": index_open}
        faults: Dict[str, float] = {}
        if name in ("lambda-cpp", "lambda-python"):
            # The emulator listens before it starts the runtime, so the split comes from the runtime
            # alone against a minimal Runtime API; what is left of the cold start is the emulator's.
            with tempfile.TemporaryDirectory() as tmp:
                cmd = artefacts.bootstrap_command(name, pathlib.Path(tmp))
                env = {} if name == "lambda-cpp" else {"PYTHONPATH": artefacts.pythonpath()}
                b = bootstrap_startup(cmd, index, max(3, cold_runs // 2), env)
            comp["process_start"] = max(0.0, statistics.median(b["exec_to_next_ms"]) - index_open)
            comp["first_query"] = statistics.median(b["next_to_response_ms"])
            comp["emulator_overhead"] = max(0.0, statistics.median(r.answer_ms for r in runs)
                                            - statistics.median(b["exec_to_next_ms"]) - comp["first_query"])
            faults = {"minor": statistics.median(b["first_query_minor_faults"]),
                      "major": statistics.median(b["first_query_major_faults"])}
        else:
            comp["process_start"] = max(0.0, statistics.median(r.listen_ms for r in runs) - index_open)
            comp["first_query"] = statistics.median(r.answer_ms - r.listen_ms for r in runs)
        pkg = artefacts.package(name)
        durations = [d for w in ws for d in w.duration_ms] if all(w.duration_ms for w in ws) else []
        logs = [w.log_bytes for w in ws if w.log_bytes is not None]
        out[name] = SurfaceProfile(
            [r.answer_ms for r in runs], [x for w in ws for x in w.wall_ms], [x for w in ws for x in w.cpu_ms],
            comp, max((w.peak_rss_mib for w in ws if w.peak_rss_mib is not None), default=None),
            pkg.stat().st_size if pkg is not None and pkg.is_file() else None, faults, durations,
            statistics.median(w.response_bytes for w in ws if w.response_bytes is not None),
            statistics.fmean(logs) if logs else None, samples[name]["reps"])
    updates: Dict[str, Any] = {}
    if catalogue is not None:
        if schema is None:
            raise ProfileError("measuring the update costs needs the catalogue's schema as well (--schema)")
        from .update_profile import measure_update_costs

        log(f"profile: update costs: batches of change events and rebuilds of {pathlib.Path(catalogue).name}")
        updates = measure_update_costs(catalogue, schema).to_json()
    return Profile(out, datetime.date.today().isoformat(),
                   {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "kernel": platform.release(),
                    "loadavg_at_start": list(os.getloadavg()), "loadavg_1min": [round(x, 2) for x in loads]},
                   {"path": str(index), "bytes": index.stat().st_size},
                   f"libsearch_advisor.profile: {repeats} repeats of {cold_runs} cold starts (spawn to first answer) "
                   f"and {warm} warm sequential requests in all (client round trip; runtime CPU from /proc "
                   f"schedstat; Lambda: the runtime's REPORT Duration), {gap_ms:g} ms of idle before each",
                   updates)
