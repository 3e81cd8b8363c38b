#!/usr/bin/env python3
"""The Spark build against the single-process build (issue 23, acceptance 3), side by
side in one run: `libsearch index` (one process, its default threads) and
tools/spark/build_shards.py in Spark's local mode with 2 executor threads
(`local[2]`), on the same catalogue, each timed from start to finish (the JVM's start
included), with the peak RSS of the process tree's largest process (GNU time's
maximum resident set of the parent; Spark's Python workers are its children, so the
figure is the driver's). Writes a Markdown file (date, commit, machine, load).

    python bench/spark/build_compare.py --build build \\
        --catalogue ../main/build/eval/product/products-818k.jsonl --shards 4 \\
        --out bench/results/DATE-spark-build-COMMIT.md
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List, Tuple

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load() -> str:
    return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])


def timed(cmd: List[str], env: dict) -> Tuple[float, str, float]:
    """(seconds, output, peak RSS MiB of the top process) of `cmd` under GNU time."""
    t0 = time.monotonic()
    out = subprocess.run(["/usr/bin/time", "-f", "TIME_RSS_KB %M", *cmd], env=env, capture_output=True,
                         text=True, timeout=7200)
    took = time.monotonic() - t0
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr[-4000:]}")
    m = re.search(r"TIME_RSS_KB (\d+)", out.stderr)
    return took, out.stdout, int(m.group(1)) / 1024 if m else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=pathlib.Path, default=ROOT / "build")
    ap.add_argument("--catalogue", type=pathlib.Path, required=True)
    ap.add_argument("--schema", type=pathlib.Path, default=ROOT / "examples/products/schema.json")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--keep", type=pathlib.Path, help="keep the Spark-built shards here")
    ap.add_argument("--out", type=pathlib.Path, required=True)
    args = ap.parse_args()
    cli = args.build.resolve() / "tools/libsearch"
    work = pathlib.Path(tempfile.mkdtemp(prefix="spark-build-"))
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1"}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    try:
        before = load()
        single_s, single_out, single_rss = timed(
            [str(cli), "index", "--schema", str(args.schema), "--input", str(args.catalogue),
             "--output", str(work / "one.idx")], env)
        mid = load()
        shards = args.keep or work / "products.shards"
        spark_s, spark_out, spark_rss = timed(
            [sys.executable, str(ROOT / "tools/spark/build_shards.py"), "--master", "local[2]",
             "--schema", str(args.schema), "--input", str(args.catalogue), "--shards", str(args.shards),
             "--output", str(shards)], env)
        after = load()
        size_one = (work / "one.idx").stat().st_size
        size_shards = sum(p.stat().st_size for p in pathlib.Path(shards).rglob("*") if p.is_file())
        size_stats = sum(p.stat().st_size for p in (pathlib.Path(shards) / "stats").rglob("*") if p.is_file())
        lines = [
            f"# Spark local build against the single-process build (issue 23), {datetime.date.today()}, "
            f"commit {commit}",
            "",
            f"Machine: {os.cpu_count()} CPUs; load average before {before}, between {mid}, after {after} "
            "(other work shared the machine: compare within the run only).",
            f"Catalogue: {args.catalogue.name}; schema {args.schema.name}.",
            "",
            "| build | wall | peak RSS (top process) | output |",
            "|---|---|---|---|",
            f"| `libsearch index` (one process, threads: one per core) | {single_s:.1f} s | {single_rss:,.0f} MiB "
            f"| {size_one / 1e6:,.1f} MB |",
            f"| `build_shards.py --master local[2] --shards {args.shards}` (JVM start included) | {spark_s:.1f} s "
            f"| {spark_rss:,.0f} MiB (driver) | {size_shards / 1e6:,.1f} MB, of which statistics "
            f"{size_stats / 1e6:,.1f} MB |",
            "",
            "Output:",
            "",
            "```",
            single_out.strip(),
            spark_out.strip(),
            "```",
        ]
        args.out.write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
