"""bench/peers: running the engines' driver processes.

Index builds (timed, with GNU time's peak RSS), the serve process and its
pipe protocol (Server: `MODE<TAB>query` in, `count<TAB>ns` out), the query
rounds (warm-up, timed passes, CHECK) and the cold-start runs. See peers.py
and README.md.
"""

import functools
import json
import os
import random
import shutil
import statistics
import subprocess
import time

from corpus import log

MODES = ["TOP_10", "COUNT", "TOP_10_COUNT"]
COLD_QUERY = "chocolate"


# --------------------------------------------------------------------------
# Processes


def run_measured(cmd, stdout_path):
    """Runs cmd to completion; -> (wall s, CPU s, peak RSS bytes, stdout text).

    The peak RSS comes from GNU time (its child is forked from a small
    process): ru_maxrss of a child that Python spawns directly starts at
    Python's own peak, because the kernel carries the spawning process's
    high-water mark across exec."""
    rss_file = stdout_path + ".rss"
    t0 = time.perf_counter()
    with open(stdout_path, "w") as out, open(stdout_path + ".err", "w") as err:
        p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + cmd,
                           stdout=out, stderr=err)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({p.returncode}); see {stdout_path}.err")
    rss_kb, user, sys_ = open(rss_file).read().split()[-3:]
    return wall, float(user) + float(sys_), int(rss_kb) * 1024, open(stdout_path).read()


def du_bytes(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    return total


def build_index(ctx, corpus, engine, tsv, force=False):
    out = ctx.index_path(corpus, engine)
    info_path = out + ".build.json"
    binary = ctx.bins[engine]
    if not force and (corpus, engine) in ctx.built:  # REBUILD=1 rebuilds once per run, not per use
        return json.load(open(info_path))
    ctx.built.add((corpus, engine))
    if not force and not ctx.args.rebuild and os.path.exists(info_path) and os.path.exists(out):
        info = json.load(open(info_path))
        if os.path.getmtime(info_path) >= max(os.path.getmtime(tsv), os.path.getmtime(binary)):
            return info
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if os.path.isdir(out):
        shutil.rmtree(out)
    elif os.path.exists(out):
        os.remove(out)
    log(f"building {engine} index for {corpus}")
    wall, cpu, rss, stdout = run_measured(ctx.index_cmd(engine, tsv, out), out + ".log")
    reported = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            reported = json.loads(line)
    info = dict(engine=engine, corpus=corpus, build_seconds=round(wall, 3),
                build_cpu_seconds=round(cpu, 2), peak_rss_bytes=rss,
                index_bytes=du_bytes(out), engine_reported=reported)
    log(f"  {wall:.1f} s ({cpu:.1f} s CPU), {info['index_bytes'] / 1e6:.1f} MB, "
        f"peak RSS {rss / 1e6:.0f} MB")
    with open(info_path, "w") as f:
        json.dump(info, f)
    return info


def build_indexes(ctx, corpus, engines, tsv):
    """Builds every engine's index. The engines in BUILD_TIMED (the build-time
    target compares libsearch with Tantivy) are rebuilt in every run, BUILD_ROUNDS
    times, interleaved with the engine order rotating, and keep their fastest
    build: on a shared VM one build is one sample of the machine's mood (two
    back-to-back builds of the same binary differ by up to 1.4x), and timing two
    engines in different runs compares two moods. The others are built once and
    reused while their driver and corpus are unchanged."""
    timed = [e for e in engines if e in ctx.args.build_timed.split(",")]
    builds = {e: build_index(ctx, corpus, e, tsv) for e in engines if e not in timed}
    walls = {e: [] for e in timed}
    for r in range(ctx.args.build_rounds if timed else 0):
        wait_for_quiet(ctx)
        order = timed[r % len(timed):] + timed[:r % len(timed)]
        for e in order:
            info = build_index(ctx, corpus, e, tsv, force=True)
            walls[e].append(info)
    for e in timed:
        best = min(walls[e], key=lambda b: b["build_seconds"])
        best = dict(best, build_seconds_all=[b["build_seconds"] for b in walls[e]],
                    build_cpu_seconds_all=[b["build_cpu_seconds"] for b in walls[e]],
                    build_cpu_seconds=min(b["build_cpu_seconds"] for b in walls[e]),
                    index_bytes=walls[e][-1]["index_bytes"])
        with open(ctx.index_path(corpus, e) + ".build.json", "w") as f:
            json.dump(best, f)
        builds[e] = best
    return {e: builds[e] for e in engines}


class Server:
    def __init__(self, cmd, stderr_path):
        self.err = open(stderr_path, "w")
        self.t_exec = time.perf_counter_ns()
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err)

    def ask(self, mode, query):
        """-> (round-trip ns, [fields of the reply])"""
        line = (mode + "\t" + query + "\n").encode("utf-8")
        t0 = time.perf_counter_ns()
        self.p.stdin.write(line)
        self.p.stdin.flush()
        reply = self.p.stdout.readline()
        t1 = time.perf_counter_ns()
        if not reply:
            raise SystemExit(f"engine exited; see {self.err.name}")
        return t1 - t0, reply.decode("utf-8").rstrip("\n").split("\t")

    def peak_rss(self):
        """VmHWM of the live process (see run_measured for why not ru_maxrss)."""
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return None

    def major_faults(self):
        with open(f"/proc/{self.p.pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[9])  # field 12, majflt

    def close(self):
        """-> peak RSS bytes of the process."""
        rss = self.peak_rss()
        self.p.stdin.close()
        self.p.wait()
        self.p.stdout.close()
        self.err.close()
        return rss


def percentile(sorted_vals, q):
    if not sorted_vals:
        return float("nan")
    pos = (len(sorted_vals) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def summary_us(values_ns):
    v = sorted(x / 1000.0 for x in values_ns)
    return dict(mean=statistics.fmean(v) if v else float("nan"), p50=percentile(v, 0.5),
                p90=percentile(v, 0.9), p99=percentile(v, 0.99), n=len(v))


def wait_for_quiet(ctx):
    """On a shared machine, waits (at most QUIET_WAIT s) for the 1-minute load
    average to fall below QUIET_LOAD before timing an engine. -> seconds waited."""
    t0 = time.time()
    while os.getloadavg()[0] > ctx.args.quiet_load and time.time() - t0 < ctx.args.quiet_wait:
        time.sleep(5)
    waited = time.time() - t0
    if waited >= 5:
        log(f"  waited {waited:.0f} s for load {os.getloadavg()[0]:.2f} (limit {ctx.args.quiet_load})")
    return round(waited)


def warm_until_stable(one_pass, seconds):
    """Time-based warm-up (issue 22; the search-benchmark-game warms each
    engine for 60 s): runs one_pass() (returning its mean in-engine µs) until
    at least `seconds` have passed and the last three pass means are within
    10 % of each other, or 3x `seconds` at most. A JVM keeps speeding up for
    tens of seconds, so a fixed pass count under-warms it, the more so on a
    loaded machine. Returns (seconds spent, passes run, the curve of pass
    means in µs: every pass, or 200 evenly spaced ones ending with the last,
    since a fast engine runs tens of thousands of short passes)."""
    curve, t0 = [], time.time()
    while True:
        curve.append(round(one_pass(), 1))
        el = time.time() - t0
        stable = len(curve) >= 3 and max(curve[-3:]) <= 1.1 * min(curve[-3:])
        if (el >= seconds and stable) or el >= 3 * seconds:
            n = len(curve)
            kept = curve if n <= 200 else [curve[(n - 1) * i // 199] for i in range(200)]
            return round(time.time() - t0, 1), n, kept


def start_server(ctx, corpus, engine, n_queries, log_name):
    """Waits for a quiet machine, then starts `engine`'s driver on its index
    of `corpus` (stderr to logs/<log_name>.err). Returns the server, the
    seconds waited, and the order to ask the n queries in (fixed seed)."""
    waited = wait_for_quiet(ctx)
    logdir = os.path.join(ctx.work, "logs")
    os.makedirs(logdir, exist_ok=True)
    srv = Server(ctx.serve_cmd(engine, ctx.index_path(corpus, engine)),
                 os.path.join(logdir, f"{log_name}.err"))
    order = list(range(n_queries))
    random.Random(2).shuffle(order)
    return srv, waited, order


def run_queries(ctx, corpus, engine, queries):
    log(f"querying {engine} on {corpus} ({len(queries)} queries)")
    srv, waited, order = start_server(ctx, corpus, engine, len(queries), f"serve-{corpus}-{engine}")
    res = dict(modes={}, errors=[], loadavg_before=list(os.getloadavg()), quiet_wait_s=waited)
    # Pipe overhead: empty requests after a short warm-up.
    for _ in range(200):
        srv.ask("PING", "")
    res["ping_rt_us"] = summary_us([srv.ask("PING", "")[0] for _ in range(2000)])
    # Warm-up per mode, time-based (warm_until_stable): JIT, caches, page cache.
    res["warmup_seconds"], res["warmup_curve_us"], res["warmup_passes"] = 0.0, {}, {}

    def mode_pass(mode):
        svc = []
        for i in order:
            _, fields = srv.ask(mode, queries[i]["norm"])
            if fields[0] != "ERROR":
                svc.append(int(fields[1]))
        return statistics.fmean(svc) / 1e3 if svc else 0.0

    for mode in MODES:
        spent, passes, curve = warm_until_stable(functools.partial(mode_pass, mode),
                                                 ctx.args.warmup_seconds)
        res["warmup_seconds"] += spent
        res["warmup_curve_us"][mode] = curve
        res["warmup_passes"][mode] = passes
        log(f"  warm-up {mode}: {spent} s, {passes} passes, mean µs {curve[0]} -> {curve[-1]}")
    pings = []
    for mode in MODES:
        rt = [[] for _ in queries]
        svc = [[] for _ in queries]
        counts = [None] * len(queries)
        t_mode = time.time()
        for p in range(ctx.args.passes):
            for i in order:
                ns, fields = srv.ask(mode, queries[i]["norm"])
                # A PING after every query: the pipe's round trip at the same
                # moments as the queries' (README, "Round trip").
                pings.append(srv.ask("PING", "")[0])
                if fields[0] == "ERROR":
                    if p == 0:
                        res["errors"].append([mode, queries[i]["norm"], fields[1:]])
                    continue
                counts[i] = int(fields[0])
                rt[i].append(ns)
                svc[i].append(int(fields[1]))
        res["modes"][mode] = dict(rt_ns=[min(x) if x else None for x in rt],
                                  svc_ns=[min(x) if x else None for x in svc],
                                  rt_median_ns=[int(statistics.median(x)) if x else None for x in rt],
                                  counts=counts, seconds=round(time.time() - t_mode, 1))
        log(f"  {mode}: {time.time() - t_mode:.1f} s")
    res["ping_during_us"] = summary_us(pings)
    check = []
    for q in queries:
        _, fields = srv.ask("CHECK", q["norm"])
        if fields[0] == "ERROR":
            check.append(None)
            continue
        hits = []
        if len(fields) > 2 and fields[2]:
            for h in fields[2].split(" "):
                doc_id, score = h.rsplit(":", 1)
                hits.append([doc_id, float(score)])
        check.append(dict(count=int(fields[0]), hits=hits))
    res["check"] = check
    res["peak_rss_bytes"] = srv.close()
    res["loadavg_after"] = list(os.getloadavg())
    return res


def run_rounds(ctx, corpus, engines, queries):
    """ROUNDS rounds; in each, every engine gets a fresh serve process (the
    engine order rotates by round) that warms up and runs PASSES timed passes.
    A query's latency is its minimum over all rounds' passes. On a shared
    machine one process can land on a slower core or a worse memory layout
    for its whole life (identical libsearch binaries differed by up to 1.3x
    between processes here), and load drifts over minutes: fresh processes
    per round, in alternating order, spread both over every engine alike."""
    per = {e: [] for e in engines}
    for r in range(ctx.args.rounds):
        k = r % len(engines)
        for e in engines[k:] + engines[:k]:
            if ctx.args.rounds > 1:
                log(f"round {r + 1} of {ctx.args.rounds}")
            per[e].append(run_queries(ctx, corpus, e, queries))
    return {e: merge_rounds(rs) for e, rs in per.items()}


def merge_rounds(rounds):
    """One run's result from several rounds of the same engine: per query the
    minimum latency, the median of the rounds' median round trips."""
    first = rounds[0]
    out = dict(first)
    out["modes"] = {}
    for mode, m in first["modes"].items():
        ms = [r["modes"][mode] for r in rounds]
        def elementwise(key, f):
            return [None if any(x[key][i] is None for x in ms) else f([x[key][i] for x in ms])  # noqa: B023
                    for i in range(len(m[key]))]  # noqa: B023
        counts = m["counts"]
        for x in ms[1:]:
            if x["counts"] != counts:
                first["errors"].append([mode, "counts differ between rounds", []])
        out["modes"][mode] = dict(rt_ns=elementwise("rt_ns", min), svc_ns=elementwise("svc_ns", min),
                                  rt_median_ns=elementwise("rt_median_ns", lambda v: int(statistics.median(v))),
                                  counts=counts, seconds=round(sum(x["seconds"] for x in ms), 1))
    out["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in rounds)
    out["loadavg_after"] = rounds[-1]["loadavg_after"]
    out["warmup_seconds"] = round(sum(r["warmup_seconds"] for r in rounds), 1)
    out["warmup_curves_us"] = [r["warmup_curve_us"] for r in rounds]  # Per round: per mode.
    out["warmup_passes"] = [r["warmup_passes"] for r in rounds]
    out["quiet_wait_s"] = sum(r["quiet_wait_s"] for r in rounds)
    out["ping_during_us"] = [r["ping_during_us"] for r in rounds]
    out["rounds"] = len(rounds)
    return out


def drop_caches():
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def cold_start(ctx, corpus, engine, runs, cold, binary=None):
    """binary: another driver for the engine's index (the static libsearch one)."""
    times, faults = [], []
    logdir = os.path.join(ctx.work, "logs")
    cmd = ctx.serve_cmd(engine, ctx.index_path(corpus, engine))
    if binary:
        cmd = [binary] + cmd[1:]
    for _ in range(runs):
        if cold and not drop_caches():
            return None
        srv = Server(cmd, os.path.join(logdir, f"cold-{corpus}-{engine}{'-static' if binary else ''}.err"))
        _, fields = srv.ask("TOP_10", COLD_QUERY)
        t = time.perf_counter_ns() - srv.t_exec
        faults.append(srv.major_faults())
        srv.close()
        if fields[0] == "ERROR":
            raise SystemExit(f"{engine}: cold query failed: {fields}")
        times.append(t / 1e6)
    return dict(median_ms=statistics.median(times), min_ms=min(times), max_ms=max(times),
                runs=runs, major_faults=int(statistics.median(faults)))
