#!/usr/bin/env python3
"""Exec -> first answer of Lambda bootstraps, from a dropped page cache.

Usage:
    bootstrap_cold.py --bootstrap NAME=PATH [--bootstrap NAME=PATH ...]
                      [--pipe NAME=COMMAND ...] --index PATH [--runs 15]
                      [--query JSON] [--warm] [--json OUT.json]

Serves the Lambda Runtime API itself (one event per process: the request
JSON), so the time is the bootstrap's alone, without the emulator: wall time
from just before fork/exec to the moment the bootstrap POSTs its response.
Before every run, `sync; echo 3 > /proc/sys/vm/drop_caches` (root only; the
script stops if it cannot), which also evicts the bootstrap's own pages and
the index; --warm skips the drop. The bootstraps run interleaved (A B C A B C
...), so machine noise falls on all alike; prints median, p90 and min in ms,
and the load average before and after.

--pipe adds a process of the bench/peers driver protocol to the same
interleaved runs (Tantivy's has no Lambda runtime): COMMAND (split on spaces)
is started, sent "TOP_10<TAB>text of the query" on stdin, and timed from just
before exec to its answer line, e.g. `tantivy_peer serve INDEX_DIR` against
`libsearch_peer serve INDEX` on the same catalogue's two indexes.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import threading
import time
from typing import Callable, Dict, List, Tuple


class Runtime(http.server.ThreadingHTTPServer):
    """A Runtime API that hands out one event and records the response time."""

    def __init__(self, event: bytes) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.event = event
        self.served = False
        self.answered = threading.Event()
        self.answer_time = 0.0
        self.answer = b""


class Handler(http.server.BaseHTTPRequestHandler):
    server: Runtime

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.endswith("/runtime/invocation/next") and not self.server.served:
            self.server.served = True
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:0:function:f")
            self.send_header("Content-Length", str(len(self.server.event)))
            self.end_headers()
            self.wfile.write(self.server.event)
        else:  # The next event never comes: the run is over.
            time.sleep(30)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.endswith("/response") or self.path.endswith("/error"):
            self.server.answer_time = time.perf_counter()
            self.server.answer = body
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.answered.set()


def drop_caches() -> None:
    subprocess.run(["sync"], check=True)
    pathlib.Path("/proc/sys/vm/drop_caches").write_text("3\n")


def run_once(bootstrap: str, index: str, event: bytes) -> Tuple[float, bytes]:
    runtime = Runtime(event)
    thread = threading.Thread(target=runtime.serve_forever, daemon=True)
    thread.start()
    env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime.server_address[1]}",
           "LIBSEARCH_INDEX": index, "LAMBDA_TASK_ROOT": str(pathlib.Path(index).parent)}
    start = time.perf_counter()
    proc = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = runtime.answered.wait(timeout=60)
    proc.kill()
    proc.wait()
    runtime.shutdown()
    runtime.server_close()
    if not ok:
        sys.exit(f"{bootstrap} did not answer")
    return (runtime.answer_time - start) * 1e3, runtime.answer


def run_pipe(command: List[str], query_text: str) -> Tuple[float, bytes]:
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(("TOP_10\t" + query_text + "\n").encode())
    proc.stdin.flush()
    answer = proc.stdout.readline()
    elapsed = (time.perf_counter() - start) * 1e3
    proc.kill()
    proc.wait()
    if not answer or answer.startswith(b"ERROR"):
        sys.exit(f"{command[0]} did not answer: {answer!r}")
    return elapsed, answer


def percentile(samples: List[float], p: float) -> float:
    s = sorted(samples)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", action="append", required=True, metavar="NAME=PATH")
    ap.add_argument("--index", required=True)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--query", default='{"query":"crème brûlée","k":10}',
                    help="the request (default: non-ASCII text, so the analyzer's ICU path runs)")
    ap.add_argument("--warm", action="store_true", help="do not drop the page cache")
    ap.add_argument("--pipe", action="append", default=[], metavar="NAME=COMMAND",
                    help="a bench/peers driver (`serve INDEX`) timed to its first answer")
    ap.add_argument("--json", help="also write the samples and load averages here")
    args = ap.parse_args()
    query_text = json.loads(args.query)["query"]
    runners: List[Tuple[str, Callable[[], Tuple[float, bytes]]]] = []
    for spec in args.bootstrap:
        name, path = spec.split("=", 1)
        runners.append((name, functools.partial(run_once, path, args.index, args.query.encode())))
        print(f"# {name}: {path}, {os.path.getsize(path)} bytes")
    for spec in args.pipe:
        name, command = spec.split("=", 1)
        runners.append((name, functools.partial(run_pipe, command.split(), query_text)))
        print(f"# {name}: {command}")
    load_before = os.getloadavg()
    print(f"# load average before: {load_before}")
    for name, run in runners:
        print(f"# {name} answers: {run()[1][:80]!r}")
    samples: Dict[str, List[float]] = {name: [] for name, _ in runners}
    for _ in range(args.runs):
        for name, run in runners:
            if not args.warm:
                drop_caches()
            samples[name].append(run()[0])
    load_after = os.getloadavg()
    print(f"# load average after: {load_after}")
    print(f"{'bootstrap':<24} {'n':>3} {'median':>8} {'p90':>8} {'min':>8}  ({'warm' if args.warm else 'cold'})")
    for name, s in samples.items():
        print(f"{name:<24} {len(s):>3} {statistics.median(s):>8.2f} {percentile(s, 90):>8.2f} {min(s):>8.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(query=args.query, cold=not args.warm, load_before=load_before,
                           load_after=load_after, samples_ms=samples,
                           median_ms={n: statistics.median(s) for n, s in samples.items()}), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
