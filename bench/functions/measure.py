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
from typing import Any, Dict, List

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The harness lives in the advisor's package (`pip install ./advisor`): `libsearch-advisor profile` uses it too.
from libsearch_advisor.profile import (  # noqa: E402
    HttpServerSurface,
    LambdaSurface,
    Surface,
    bootstrap_startup as _bootstrap_startup,
    cold_starts,
    percentile,
    python_bootstrap,
    warm_samples,
)

PYTHONPATH = os.pathsep.join([str(ROOT / "functions/common"), str(ROOT / "functions/aws_lambda/python")])


def cold_start(surface: Surface, index: pathlib.Path, runs: int) -> Dict[str, Any]:
    """Spawn -> first answer, `runs` times; the first search waits for the port."""
    times = [r.answer_ms for r in cold_starts(surface, index, runs)]
    return {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times), "runs": runs}


def bootstrap_startup(binary: pathlib.Path, index: pathlib.Path, runs: int) -> Dict[str, Any]:
    """The bootstrap alone, without the emulator: exec -> its first GET /next
    (process start + index open) and exec -> its first response posted."""
    b = _bootstrap_startup([str(binary)], index, runs)
    first = [a + c for a, c in zip(b["exec_to_next_ms"], b["next_to_response_ms"])]
    return {"exec_to_next_median_ms": statistics.median(b["exec_to_next_ms"]),
            "exec_to_response_median_ms": statistics.median(first), "exec_to_response_min_ms": min(first),
            "runs": runs}


def warm(surface: Surface, index: pathlib.Path, n: int, workdir: pathlib.Path) -> Dict[str, Any]:
    w = warm_samples(surface, index, n, workdir)
    return {"p50_ms": percentile(w.wall_ms, 50), "p99_ms": percentile(w.wall_ms, 99),
            "mean_ms": statistics.mean(w.wall_ms), "cpu_p50_ms": percentile(w.cpu_ms, 50), "requests": n,
            "peak_rss_mib": w.peak_rss_mib}


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
