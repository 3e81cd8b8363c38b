#!/usr/bin/env python3
"""Fresh-process latency of `libsearch` against two indexes, interleaved.

Usage:
    coldopen_time.py --libsearch BIN --index NAME=PATH --index NAME=PATH
                     [--runs 30] [--cold-runs 15] [--barcode B]

For every case (open only, rare-term lookup, common-term query) and cache
state, runs the two indexes alternately (A B A B ...) so that machine noise
(another build, CPU frequency, ...) falls on both alike, and prints median
and p90 in ms per index plus the ratio of the medians (second / first).

Each sample is wall time from just before fork/exec to the first byte the
process writes on stdout ("first answer"); the time to process exit is
reported as well. hyperfine is not used because it runs all samples of one
command before the next instead of interleaving them.

Cache states:
  warm        the index pages are in the page cache (one untimed run first);
  cold-index  before each run, the index file's pages are evicted with
              posix_fadvise(DONTNEED) (unprivileged; the binary and shared
              libraries stay cached), so only index I/O is cold;
  cold-all    before each run, `sync; echo 1 > /proc/sys/vm/drop_caches`
              (root only; skipped with a note when not permitted). This also
              evicts the binary, ICU's 30 MB data library, etc.
"""

import argparse
import math
import os
import statistics
import subprocess
import sys
import time


def evict_file(path):
    """Drops `path` from the page cache; only clean, unmapped pages go."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def drop_all_caches():
    subprocess.run(["sync"], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("1\n")


def can_drop_caches():
    try:
        drop_all_caches()
        return True
    except OSError:
        return False


def run_once(argv):
    """Returns (ms to first stdout byte, ms to exit, stdout)."""
    start = time.perf_counter()
    # Unbuffered: read(1) must not pull bytes that communicate() then misses.
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    first = proc.stdout.read(1)
    t_first = time.perf_counter()
    rest, err = proc.communicate()
    t_exit = time.perf_counter()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return (t_first - start) * 1e3, (t_exit - start) * 1e3, first + rest


def percentile(samples, p):
    """Nearest-rank percentile."""
    s = sorted(samples)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--libsearch", required=True)
    ap.add_argument("--index", action="append", required=True, metavar="NAME=PATH",
                    help="exactly two; the ratio is second / first")
    ap.add_argument("--runs", type=int, default=30, help="warm samples per index and case")
    ap.add_argument("--cold-runs", type=int, default=15, help="cold samples per index and case")
    ap.add_argument("--barcode", required=True, help="a barcode present in both indexes")
    ap.add_argument("--modes", default="warm,cold-index,cold-all")
    args = ap.parse_args()
    if len(args.index) != 2:
        ap.error("give exactly two --index NAME=PATH")
    indexes = [tuple(spec.split("=", 1)) for spec in args.index]
    bin_ = args.libsearch

    cases = [
        ("info (open only)", lambda idx: [bin_, "info", idx]),
        (f"search barcode:{args.barcode}",
         lambda idx: [bin_, "search", idx, f"barcode:{args.barcode}", "--k", "10", "--json"]),
        ("search chocolate", lambda idx: [bin_, "search", idx, "chocolate", "--k", "10", "--json"]),
    ]

    # Show what each case does per index, so the numbers can be interpreted
    # (e.g. "chocolate" scores every matching doc: far more in the big index).
    for label, argv in cases[1:]:
        for name, idx in indexes:
            out = run_once(argv(idx))[2].decode()
            total = out.split('"total":', 1)[1].split(",", 1)[0] if '"total":' in out else "?"
            print(f"# {label:<32} {name:>6}: {total} matching docs")
    run_once([bin_, "--help"])  # Warm-up.
    exec_samples = [run_once([bin_, "--help"])[0] for _ in range(args.runs)]
    print(f"# bare process start (`libsearch --help`, no index): median "
          f"{statistics.median(exec_samples):.2f} ms")

    modes = [m for m in args.modes.split(",") if m]
    if "cold-all" in modes and not can_drop_caches():
        print("# cold-all: skipped, /proc/sys/vm/drop_caches is not writable here")
        modes.remove("cold-all")

    header = (f"{'cache':<10} {'case':<32} {'index':>6} {'n':>3} {'median':>8} {'p90':>8} "
              f"{'min':>8} {'exit med':>8}  ratio")
    print(header)
    print("-" * len(header))
    for mode in modes:
        runs = args.runs if mode == "warm" else args.cold_runs
        for label, argv in cases:
            first = {name: [] for name, _ in indexes}
            exited = {name: [] for name, _ in indexes}
            if mode == "warm":
                for _, idx in indexes:
                    run_once(argv(idx))  # Warm-up: fault the pages in.
            for i in range(runs):
                # Alternate which index goes first, too, so neither always
                # follows the other's cache eviction or CPU burst.
                order = indexes if i % 2 == 0 else indexes[::-1]
                for name, idx in order:
                    if mode == "cold-index":
                        evict_file(idx)
                    elif mode == "cold-all":
                        drop_all_caches()
                    t_first, t_exit, _ = run_once(argv(idx))
                    first[name].append(t_first)
                    exited[name].append(t_exit)
            medians = []
            for name, _ in indexes:
                med = statistics.median(first[name])
                medians.append(med)
                ratio = f"{medians[1] / medians[0]:.2f}x" if len(medians) == 2 else ""
                print(f"{mode:<10} {label:<32} {name:>6} {runs:>3} {med:8.2f} "
                      f"{percentile(first[name], 90):8.2f} {min(first[name]):8.2f} "
                      f"{statistics.median(exited[name]):8.2f}  {ratio}")
    print("(ms; median/p90/min: exec to first stdout byte; exit med: exec to process exit; "
          "ratio: median of second index / first)")


if __name__ == "__main__":
    main()
