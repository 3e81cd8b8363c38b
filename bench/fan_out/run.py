#!/usr/bin/env python3
"""Fan-out across functions on loopback (issue 23, acceptance 3): the
coordinator's latency over its slowest shard.

Builds (unless present) a sharded index of the catalogue with the CLI, starts
one shard function per shard, as plain processes on 127.0.0.1:

* service: libsearch-service --shard i (POST /shard);
* lambda: the C++ bootstrap with LIBSEARCH_SHARD=i under the AWS Runtime
  Interface Emulator (its invocation URL);

then runs libsearch_fan_out_bench (bench/fan_out_bench.cc) against them: per
request, the coordinator's time (FanOutIndex::Search over HTTP, on one
thread) minus the sum, over its rounds, of the slowest shard's own time.
Writes a Markdown file (date, commit, machine, load before and after).

    python bench/fan_out/run.py --build build --catalogue examples/products/products.jsonl.gz \\
        --out bench/results/DATE-fan-out-COMMIT.md
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List

ROOT = pathlib.Path(__file__).resolve().parents[2]

from libsearch_advisor.procs import INVOKE_PATH, Process, base_env, free_port, wait_for_port  # noqa: E402


def load() -> str:
    return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])


def cpu_model() -> str:
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def start_services(service: pathlib.Path, index: pathlib.Path, shards: int, work: pathlib.Path) -> List[Process]:
    out = []
    for i in range(shards):
        port = free_port()
        d = work / f"service-{i}"
        d.mkdir(exist_ok=True)
        p = Process([str(service), "--index", str(index), "--shard", str(i), "--host", "127.0.0.1",
                     "--port", str(port), "--refresh-seconds", "0", "--threads", "4"],
                    base_env(LIBSEARCH_REQUEST_LOG="0"), d, d / "log")
        wait_for_port(port, p.proc)
        p.url = f"http://127.0.0.1:{port}/shard"  # type: ignore[attr-defined]
        out.append(p)
    return out


def start_lambdas(bootstrap: pathlib.Path, rie: pathlib.Path, index: pathlib.Path, shards: int,
                  work: pathlib.Path) -> List[Process]:
    out = []
    for i in range(shards):
        invoke, api = free_port(), free_port()
        d = work / f"lambda-{i}"
        d.mkdir(exist_ok=True)
        p = Process([str(rie), "--runtime-interface-emulator-address", f"127.0.0.1:{invoke}",
                     "--runtime-api-address", f"127.0.0.1:{api}", "--log-level", "error", str(bootstrap)],
                    base_env(LIBSEARCH_INDEX=str(index), LIBSEARCH_SHARD=str(i), LIBSEARCH_REFRESH_SECONDS="0",
                             LIBSEARCH_REQUEST_LOG="0", AWS_LAMBDA_FUNCTION_TIMEOUT="30",
                             AWS_LAMBDA_FUNCTION_NAME=f"shard-{i}"),
                    d, d / "log")
        wait_for_port(invoke, p.proc)
        p.url = f"http://127.0.0.1:{invoke}{INVOKE_PATH}"  # type: ignore[attr-defined]
        out.append(p)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=pathlib.Path, default=ROOT / "build")
    ap.add_argument("--rie", type=pathlib.Path, default=None)
    ap.add_argument("--catalogue", type=pathlib.Path, default=ROOT / "examples/products/products.jsonl.gz")
    ap.add_argument("--schema", type=pathlib.Path, default=ROOT / "examples/products/schema.json")
    ap.add_argument("--index", type=pathlib.Path, default=None, help="a sharded index to use (else built)")
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--surfaces", default="service,lambda")
    ap.add_argument("--out", type=pathlib.Path, required=True)
    args = ap.parse_args()
    build = args.build.resolve()
    cli, bench = build / "tools/libsearch", build / "bench/libsearch_fan_out_bench"
    rie = args.rie or build / "go/bin/aws-lambda-rie"
    work = pathlib.Path(tempfile.mkdtemp(prefix="fan-out-bench-"))
    try:
        words = work / "catalogue.jsonl"
        opener = gzip.open if args.catalogue.suffix == ".gz" else open
        with opener(args.catalogue, "rb") as src, open(words, "wb") as dst:  # type: ignore[operator]
            shutil.copyfileobj(src, dst)
        index = args.index
        if index is None:
            index = work / "index.shards"
            subprocess.run([str(cli), "shard", "--schema", str(args.schema), "--input", str(args.catalogue),
                            "--shards", str(args.shards), "--output", str(index)], check=True,
                           stdout=subprocess.DEVNULL)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        lines = [f"# Fan-out across functions on loopback (issue 23), {datetime.date.today()}, commit {commit}",
                 "",
                 f"Machine: {cpu_model()}, {os.cpu_count()} CPUs; load average before: {load()}.",
                 f"Catalogue: {args.catalogue.name}; {args.shards} shards; {args.requests} requests "
                 "(bench_requests.h: 1-2 words of product names, AND or OR, a third with a country facet, "
                 "a fifth sorted by sugars, a fifth with typos; no stored docs), each first page and, when "
                 "it has hits, its next page by cursor twice, side by side (alternating which goes first): "
                 "from the coordinator that gave out the cursor (its cursor cache: one round) and from "
                 "one without the cache (a locate round, then the search). Coordinator: FanOutIndex over "
                 "HttpShardTransport, one search at a time; rounds = mean rounds per search. "
                 "Overhead = coordinator time minus, per round, the slowest shard's "
                 "own time (the took_us of its reply).",
                 ""]
        for surface in args.surfaces.split(","):
            procs = (start_services(build / "functions/http_service/libsearch-service", index, args.shards, work)
                     if surface == "service" else
                     start_lambdas(build / "functions/aws_lambda/bootstrap", rie, index, args.shards, work))
            try:
                time.sleep(0.2)
                urls = ",".join(p.url for p in procs)  # type: ignore[attr-defined]
                out = subprocess.run([str(bench), str(words), urls, str(args.requests)], capture_output=True,
                                     text=True, timeout=3600)
                if out.returncode != 0:
                    print(out.stdout, out.stderr, file=sys.stderr)
                    return 1
                table = out.stdout.split("\n", 2)[2]
                lines += [f"## {'libsearch-service --shard i' if surface == 'service' else 'Lambda bootstrap under the emulator, LIBSEARCH_SHARD=i'}",
                          "", table.strip(), ""]
            finally:
                for p in procs:
                    p.stop()
        lines.append(f"Load average after: {load()}.")
        args.out.write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
