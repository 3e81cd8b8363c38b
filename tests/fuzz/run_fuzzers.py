#!/usr/bin/env python3
"""Runs libsearch's fuzzers (tests/fuzz) for a set time each and reports
executions, speed, coverage and findings; exits 1 if any fuzzer found a
crash, a leak, a timeout or ran out of memory.

Each fuzzer starts from its committed corpus (tests/fuzz/corpus/NAME) and
writes what it finds to OUT/corpus/NAME, never into the committed one;
crashing inputs go to OUT/artifacts/NAME/. With --merge, the seeds and the
new inputs are then minimised together into OUT/merged/NAME (what to copy
into the committed corpus, if anything is worth keeping).

  run_fuzzers.py --build build-asan --out build-asan/fuzz --seconds 600 [--jobs 2] [--merge] [NAME...]
"""
import argparse
import concurrent.futures
import pathlib
import re
import subprocess
import sys

SOURCE = pathlib.Path(__file__).resolve().parent
FUZZERS = ["query_parser", "ingest", "schema", "index_reader", "request_json", "lambda_event"]
DICTS = {"query_parser": "query.dict", "ingest": "json.dict", "schema": "json.dict",
         "request_json": "json.dict", "lambda_event": "json.dict"}
# A single input slower than this is a hang; more memory than this a leak or
# a blow-up. Both fail the run.
TIMEOUT_SECONDS = 20
RSS_LIMIT_MB = 2048


def run_one(name, args):
    exe = pathlib.Path(args.build) / "tests" / "fuzz" / f"{name}_fuzzer"
    out = pathlib.Path(args.out)
    corpus, artifacts = out / "corpus" / name, out / "artifacts" / name
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    known = set(artifacts.iterdir())  # Crashes of earlier runs are not this run's.
    log = out / f"{name}.log"
    cmd = [str(exe), f"-max_total_time={args.seconds}", f"-timeout={TIMEOUT_SECONDS}", f"-seed={args.seed}",
           f"-rss_limit_mb={RSS_LIMIT_MB}", "-print_final_stats=1", f"-artifact_prefix={artifacts}/"]
    if name in DICTS:
        cmd.append(f"-dict={SOURCE / 'dict' / DICTS[name]}")
    cmd += [str(corpus), str(SOURCE / "corpus" / name)]
    with open(log, "w", encoding="utf-8") as f:
        rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT)
    text = log.read_text(encoding="utf-8", errors="replace")
    stats = dict(re.findall(r"^stat::(\w+):\s*(\d+)", text, re.M))
    cov = re.findall(r"cov: (\d+) ft: (\d+)", text)
    result = {"name": name, "rc": rc, "log": str(log),
              "execs": int(stats.get("number_of_executed_units", 0)),
              "per_sec": int(stats.get("average_exec_per_sec", 0)),
              "cov": int(cov[-1][0]) if cov else 0, "ft": int(cov[-1][1]) if cov else 0,
              "crashes": sorted(p.name for p in set(artifacts.iterdir()) - known
                                 if not p.name.startswith("slow-unit-"))}
    if args.merge and rc == 0:
        merged = out / "merged" / name
        merged.mkdir(parents=True, exist_ok=True)
        subprocess.call([str(exe), "-merge=1", f"-timeout={TIMEOUT_SECONDS}", str(merged),
                         str(SOURCE / "corpus" / name), str(corpus)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result["merged"] = len(list(merged.iterdir()))
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True, help="the build directory (LIBSEARCH_FUZZ=ON)")
    p.add_argument("--out", required=True, help="scratch directory for corpora, crashes, logs")
    p.add_argument("--seconds", type=int, default=600, help="per fuzzer")
    p.add_argument("--jobs", type=int, default=1, help="fuzzers run at once")
    p.add_argument("--seed", type=int, default=0, help="libFuzzer's -seed (0: a new one each run)")
    p.add_argument("--merge", action="store_true", help="minimise seeds + finds into OUT/merged")
    p.add_argument("names", nargs="*", default=FUZZERS)
    args = p.parse_args()
    unknown = set(args.names) - set(FUZZERS)
    if unknown:
        p.error(f"unknown fuzzers: {sorted(unknown)}; known: {FUZZERS}")
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda n: run_one(n, args), args.names))
    print(f"{'fuzzer':<14} {'execs':>11} {'exec/s':>8} {'cov':>6} {'ft':>7}  result")
    failed = False
    for r in results:
        ok = r["rc"] == 0 and not r["crashes"]
        failed |= not ok
        verdict = "ok" if ok else f"FAILED (exit {r['rc']}): {', '.join(r['crashes'])}; log {r['log']}"
        if "merged" in r:
            verdict += f"; {r['merged']} inputs in the merged corpus"
        print(f"{r['name']:<14} {r['execs']:>11} {r['per_sec']:>8} {r['cov']:>6} {r['ft']:>7}  {verdict}")
        if not ok:
            tail = pathlib.Path(r["log"]).read_text(encoding="utf-8", errors="replace").splitlines()[-60:]
            print("\n".join("    " + line for line in tail))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
