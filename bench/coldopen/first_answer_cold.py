#!/usr/bin/env python3
"""Cold first answer of several `libsearch search` set-ups, interleaved.

Usage:
    first_answer_cold.py --setup NAME=BIN,INDEX[,EXTRA ARGS...] [--setup ...]
                         [--query 'peanut butter'] [--runs 9] [--mode cold-index|cold-all|warm]

Each run evicts the index file from the page cache (cold-index:
posix_fadvise(DONTNEED), unprivileged; the binary and its libraries stay
cached) or drops the whole page cache (cold-all, root), then times one
`BIN search INDEX QUERY --k 10 --json EXTRA...` from just before exec to
its first stdout byte and to its exit, and reads its major page faults
(wait4's ru_majflt: each one a read from disk). Set-ups take turns, so
machine noise falls on all alike. Prints median, min and max per set-up.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from coldopen_time import drop_all_caches, evict_file


def run_once(argv):
    """-> (ms to first stdout byte, ms to exit, major faults, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    first = proc.stdout.read(1)
    t_first = time.perf_counter()
    rest = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    t_exit = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return (t_first - start) * 1e3, (t_exit - start) * 1e3, usage.ru_majflt, first + rest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--setup", action="append", required=True, metavar="NAME=BIN,INDEX[,ARG...]")
    ap.add_argument("--query", default="peanut butter")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--mode", default="cold-index", choices=["cold-index", "cold-all", "warm"])
    args = ap.parse_args()
    setups = []
    for spec in args.setup:
        name, rest = spec.split("=", 1)
        binary, index, *extra = rest.split(",")
        argv = [binary, "search", index, args.query, "--k", "10", "--json", *extra]
        setups.append((name, index, argv))
    outputs = {}
    for name, _, argv in setups:  # Warm the binaries; check the answers agree.
        out = run_once(argv)[3].decode()
        outputs[name] = out.split('"took_us"', 1)[0]
    if len(set(outputs.values())) != 1:
        print("# WARNING: the set-ups answer differently")
    samples = {name: [] for name, _, _ in setups}
    for i in range(args.runs):
        order = setups if i % 2 == 0 else setups[::-1]
        for name, index, argv in order:
            if args.mode == "cold-index":
                evict_file(index)
            elif args.mode == "cold-all":
                drop_all_caches()
            samples[name].append(run_once(argv)[:3])
    print(f"# {args.mode}, query {args.query!r}, {args.runs} runs each, interleaved")
    print(f"{'set-up':<28} {'first ms':>9} {'min':>8} {'max':>8} {'exit ms':>8} {'maj faults':>10}")
    for name, _, _ in setups:
        s = samples[name]
        first = [x[0] for x in s]
        print(f"{name:<28} {statistics.median(first):9.1f} {min(first):8.1f} {max(first):8.1f} "
              f"{statistics.median(x[1] for x in s):8.1f} "
              f"{int(statistics.median(x[2] for x in s)):>10}")


if __name__ == "__main__":
    main()
