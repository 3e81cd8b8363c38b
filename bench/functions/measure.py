#!/usr/bin/env python3
"""Measures the deployment surfaces of functions/ on this machine.

For each surface (the C++ bootstrap under the AWS Runtime Interface Emulator,
an empty bootstrap under the emulator as the baseline, the Python handler
under awslambdaric, the Cloud Run function under functions-framework, the HTTP
service):

* cold start: from spawning the process (the emulator, or the server) to the
  first search answer received, median of --cold-runs fresh starts;
* warm latency: p50/p99 of --warm sequential requests over one connection-less
  client (a fresh HTTP request each), cycling through a query list, after a
  warm-up, for the bundled index and the 818k Open Food Facts index;
* peak RSS of the runtime process (VmHWM; for the emulator surfaces, the
  bootstrap or Python process, not the emulator);
* artefact sizes (build/package, if `make package` ran).

Writes bench/results/functions-<date>.{json,md}. Not a test: numbers depend
on the machine. Usage: bench/functions/run.sh (or this script directly).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Tuple

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "functions" / "tests")]

from conftest import (  # noqa: E402  (the test fixtures' process helpers)
    INVOKE_PATH, PYTHONPATH, Process, _descendants, base_env, free_port, http, python_bootstrap, wait_for_port,
)

QUERIES = [
    "peanut butter", "chocolate", "dark chocolate", "organic juice", "olive oil", "green tea", "cheese",
    "greek yogurt", "almond milk", "whole wheat bread", "chicken", "salmon", "vanilla ice cream", "granola",
    "potato chips", "sugar -salt", '"dark chocolate" -milk', "tea coffee", "rice", "pasta sauce",
]


def percentile(xs: List[float], p: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def vm_hwm_kib(pid: int) -> Optional[int]:
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Surface:
    """Starts one surface and sends it one search (a request dict)."""

    name = ""

    def start(self, index: pathlib.Path, workdir: pathlib.Path) -> Process:
        raise NotImplementedError

    def ready(self, proc: Process) -> None:
        """Waits until the surface accepts connections."""

    def search(self, request: Dict[str, Any]) -> bytes:
        raise NotImplementedError

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
        status, _, body = http("POST", f"http://127.0.0.1:{self.port}{INVOKE_PATH}", json.dumps(request).encode())
        return body

    def runtime_pids(self, proc: Process) -> List[int]:
        return _descendants(proc.proc.pid)


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
        return [proc.proc.pid] + _descendants(proc.proc.pid)


def cold_start(surface: Surface, index: pathlib.Path, runs: int) -> Dict[str, Any]:
    """Spawn -> first answer, `runs` times; the first search waits for the port."""
    times = []
    empty = 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            proc = surface.start(index, pathlib.Path(tmp))
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        body = surface.search({"query": "peanut butter", "k": 10})
                        if body.startswith(b"{"):
                            break
                        empty += 1  # The emulator answered before the runtime could: ask again.
                    except OSError:
                        pass
                    if time.monotonic() > deadline or proc.proc.poll() is not None:
                        raise RuntimeError(f"{surface.name} did not answer: {proc.log()}")
                    time.sleep(0.001)
                times.append((time.perf_counter() - t0) * 1000.0)
            finally:
                proc.stop()
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times), "runs": runs,
            "empty_answers_retried": empty}


def bootstrap_startup(binary: pathlib.Path, index: pathlib.Path, runs: int) -> Dict[str, Any]:
    """The bootstrap alone, without the emulator: exec -> its first GET /next
    (process start + index open) and exec -> its first response posted, against
    a minimal Runtime API served here (a timing harness only; the emulator is
    what the tests use)."""
    import http.server
    import threading

    marks: Dict[str, float] = {}
    done = threading.Event()

    class Api(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if "next" in marks:  # Later polls: hold them until the run ends.
                done.wait(10)
                return
            marks["next"] = time.perf_counter()
            body = json.dumps({"query": "peanut butter", "k": 10}).encode()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "r1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            marks.setdefault("response", time.perf_counter())
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            done.set()

    ready, first = [], []
    for _ in range(runs):
        marks.clear()
        done.clear()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        env = base_env(AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}", LIBSEARCH_INDEX=str(index))
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = done.wait(30)
        proc.kill()
        proc.wait()
        server.shutdown()
        server.server_close()
        if not ok:
            raise RuntimeError(f"{binary} did not answer")
        ready.append((marks["next"] - t0) * 1000.0)
        first.append((marks["response"] - t0) * 1000.0)
    return {"exec_to_next_median_ms": statistics.median(ready), "exec_to_response_median_ms": statistics.median(first),
            "exec_to_response_min_ms": min(first), "runs": runs}


def warm(surface: Surface, index: pathlib.Path, n: int, workdir: pathlib.Path) -> Dict[str, Any]:
    proc = surface.start(index, workdir)
    try:
        surface.ready(proc)
        for q in QUERIES * 3:  # Warm-up: page cache, interpreter, connection pools.
            surface.search({"query": q, "k": 10})
        lat = []
        for i in range(n):
            t0 = time.perf_counter()
            body = surface.search({"query": QUERIES[i % len(QUERIES)], "k": 10})
            lat.append((time.perf_counter() - t0) * 1000.0)
            if i == 0:
                assert b'"hits"' in body, body[:300]
        rss = [vm_hwm_kib(p) for p in surface.runtime_pids(proc)]
        rss_kib = max([r for r in rss if r is not None], default=None)
        return {"p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99), "mean_ms": statistics.mean(lat),
                "requests": n, "peak_rss_mib": None if rss_kib is None else round(rss_kib / 1024.0, 1)}
    finally:
        proc.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--small", help="bundled index (built if missing)")
    ap.add_argument("--big", default=str(ROOT / "build/eval/coldopen/products-818k.idx"))
    ap.add_argument("--cold-runs", type=int, default=10)
    ap.add_argument("--warm", type=int, default=500)
    ap.add_argument("--out", default=str(ROOT / "bench/results"))
    ap.add_argument("--only", help="comma-separated substrings of surface names to run")
    args = ap.parse_args()
    build = pathlib.Path(args.build).resolve()
    rie = build / "go/bin/aws-lambda-rie"
    cli = build / "tools/libsearch"
    work = build / "bench-functions"
    work.mkdir(parents=True, exist_ok=True)

    small = pathlib.Path(args.small) if args.small else work / "products-10k.idx"
    if not small.exists():
        subprocess.run([str(cli), "index", "--schema", str(ROOT / "examples/products/schema.json"), "--input",
                        str(ROOT / "examples/products/products.jsonl.gz"), "--output", str(small)], check=True)
    indexes = {"10k (bundled)": small}
    big = pathlib.Path(args.big)
    if big.exists() and subprocess.run([str(cli), "info", str(big)], capture_output=True).returncode == 0:
        indexes["818k (Open Food Facts)"] = big
    else:
        print(f"measure: no usable 818k index at {big} (bench/coldopen/coldopen.sh builds it); skipped")

    surfaces: List[Surface] = [
        LambdaSurface("lambda-cpp (RIE)", rie, lambda w: [str(build / "functions/aws_lambda/bootstrap")], {}),
        LambdaSurface("lambda-cpp packaged, static (RIE)", rie,
                      lambda w: [str(build / "package/stage/provided.al2023/bootstrap")], {}),
        LambdaSurface("lambda-empty (RIE baseline)", rie,
                      lambda w: [str(build / "functions/aws_lambda/empty_bootstrap")], {}),
        LambdaSurface("lambda-python (RIE+awslambdaric)", rie, lambda w: [str(python_bootstrap(w))],
                      {"PYTHONPATH": PYTHONPATH}),
        HttpServerSurface("service (libsearch-service)",
                          lambda i, p: [str(build / "functions/http_service/libsearch-service"), "--index", str(i),
                                        "--host", "127.0.0.1", "--port", str(p)], {}, "/search"),
        HttpServerSurface("gcf (functions-framework)",
                          lambda i, p: [sys.executable, "-m", "functions_framework", "--target", "search", "--source",
                                        str(ROOT / "functions/gcp/main.py"), "--host", "127.0.0.1", "--port", str(p)],
                          {"PYTHONPATH": PYTHONPATH}, "/"),
    ]
    results: Dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "kernel": platform.release(),
                    "loadavg_at_start": os.getloadavg()},
        "method": __doc__,
        "cold_start": {}, "warm": {}, "sizes": {},
    }
    surfaces = [s for s in surfaces if "packaged" not in s.name
                or (build / "package/stage/provided.al2023/bootstrap").exists()]
    if args.only:
        surfaces = [s for s in surfaces if any(o in s.name for o in args.only.split(","))]
    for s in surfaces:
        for label, idx in indexes.items():
            key = f"{s.name} / {label}"
            print(f"measure: cold start {key}", flush=True)
            results["cold_start"][key] = cold_start(s, idx, args.cold_runs)
            if "empty" in s.name:
                continue
            print(f"measure: warm {key}", flush=True)
            with tempfile.TemporaryDirectory() as tmp:
                results["warm"][key] = warm(s, idx, args.warm, pathlib.Path(tmp))
    results["bootstrap_alone"] = {}
    binaries = {"bootstrap (GCC 12, dynamic)": build / "functions/aws_lambda/bootstrap",
                "bootstrap (packaged, static)": build / "package/stage/provided.al2023/bootstrap",
                "empty_bootstrap (baseline)": build / "functions/aws_lambda/empty_bootstrap"}
    for name, binary in binaries.items():
        if not binary.exists() or (args.only and "alone" not in args.only):
            continue
        for label, idx in indexes.items():
            print(f"measure: bootstrap alone {name} / {label}", flush=True)
            results["bootstrap_alone"][f"{name} / {label}"] = bootstrap_startup(binary, idx, args.cold_runs)
    for label, idx in indexes.items():
        results["sizes"][f"index {label}"] = idx.stat().st_size
    for f in [build / "functions/aws_lambda/bootstrap", build / "functions/http_service/libsearch-service"]:
        if f.exists():
            results["sizes"][str(f.relative_to(build))] = f.stat().st_size
    pkg = build / "package"
    for f in sorted(pkg.glob("*.zip")) + sorted((pkg / "stage/provided.al2023").glob("bootstrap")):
        results["sizes"][str(f.relative_to(build))] = f.stat().st_size

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"functions-{results['date']}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# functions/ measurements, {results['date']}", "",
             f"Machine: {results['machine']['cores']} cores, {results['machine']['cpu']}, "
             f"Python {results['machine']['python']}, load average at start "
             f"{results['machine']['loadavg_at_start'][0]:.2f}. Method: bench/functions/measure.py (docstring).", "",
             "## Cold start (spawn to first answer, ms)", "", "| surface / index | median | min | max |",
             "|---|---:|---:|---:|"]
    for k, v in results["cold_start"].items():
        lines.append(f"| {k} | {v['median_ms']:.1f} | {v['min_ms']:.1f} | {v['max_ms']:.1f} |")
    base = {k.split(" / ")[1]: v["median_ms"] for k, v in results["cold_start"].items() if "empty" in k}
    lines += ["", "C++ bootstrap minus the empty bootstrap (both under the emulator; the issue's "
              "target is <= 5 ms):", ""]
    for k, v in results["cold_start"].items():
        if k.startswith("lambda-cpp"):  # The dynamic and the packaged static bootstrap.
            label = k.split(" / ")[1]
            lines.append(f"- {k}: {v['median_ms'] - base.get(label, float('nan')):+.1f} ms")
    lines += ["", "On a shared 2-core VM the medians of one surface move by about 5 ms from run to run, "
              "so differences that small are noise; the bootstrap-alone table isolates the bootstrap's own cost."]
    lines += ["", "## The bootstrap alone (no emulator; a minimal Runtime API in the harness, ms)", "",
              "exec -> first GET /next is process start + index open; exec -> response adds one search.", "",
              "| binary / index | exec to /next | exec to response | min to response |", "|---|---:|---:|---:|"]
    for k, v in results["bootstrap_alone"].items():
        lines.append(f"| {k} | {v['exec_to_next_median_ms']:.2f} | {v['exec_to_response_median_ms']:.2f} | "
                     f"{v['exec_to_response_min_ms']:.2f} |")
    lines += ["", "## Warm latency (client round trip, sequential, ms) and peak RSS", "",
              "| surface / index | p50 | p99 | mean | peak RSS MiB |", "|---|---:|---:|---:|---:|"]
    for k, v in results["warm"].items():
        lines.append(f"| {k} | {v['p50_ms']:.3f} | {v['p99_ms']:.3f} | {v['mean_ms']:.3f} | {v['peak_rss_mib']} |")
    lines += ["", "## Sizes (bytes)", "", "| artefact | bytes |", "|---|---:|"]
    for k, v in results["sizes"].items():
        lines.append(f"| {k} | {v:,} |")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"measure: wrote {stem}.md and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
