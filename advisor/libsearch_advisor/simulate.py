"""Discrete-event simulation of a function pool and of a service fleet.

Function pool (Lambda, Cloud Run functions): every instance serves one request
at a time. A request takes the most recently freed idle instance; if none is
idle, a new instance starts (a cold start: the request's latency is a cold
sample). An instance idle for longer than the keep-alive window is reclaimed.
Instance-seconds run from spawn to reclaim (last release + keep-alive).

Service fleet (containers, VMs): n instances x `slots` servers (vCPUs) behind
one FIFO queue (a load balancer that sends work to the first free server: the
M/G/c discipline). A request waits for the earliest free server, holds it for
its CPU time, and its latency is the wait plus its measured round trip. An
optional autoscaler looks at the CPU busy time every `interval_s`, wants
ceil(busy / (interval * slots * target_util)) instances (within min..max), and
new instances serve `lag_s` later; it scales in after `scale_in_intervals`
intervals below the current count.

Both are deterministic given the numpy Generator that draws the samples.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Deque, List, Optional, Tuple

import numpy as np


@dataclass
class PoolResult:
    latency_ms: np.ndarray  # per request counted (arrival in [start, end))
    cold: np.ndarray  # bool per counted request
    instance_seconds: float  # lifetimes clipped to [start, end)
    peak_instances: int  # Most instances busy at once (the concurrency the platform must allow).
    on_always_warm: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))  # per request counted
    billed_ms: np.ndarray = field(default_factory=lambda: np.empty(0))  # per request counted, before rounding


def simulate_pool(arrivals: np.ndarray, warm_ms: np.ndarray, cold_ms: np.ndarray, keep_alive_s: float,
                  rng: np.random.Generator, start: float = -math.inf, end: float = math.inf,
                  prewarm: int = 0, always_warm: int = 0, warm_billed_ms: Optional[np.ndarray] = None) -> PoolResult:
    """`arrivals` sorted (seconds); warm_ms / cold_ms are samples to draw from. `prewarm` instances
    start idle and warm at the first arrival (a window cut out of steady traffic). `always_warm`
    instances (provisioned concurrency, minimum instances) are warm from the start, never
    reclaimed and taken first; their lifetimes are not in instance_seconds (billed apart).
    `warm_billed_ms` pairs with `warm_ms` (the runtime's own duration of the same request): the
    billed time of a warm request; a cold one bills its whole cold sample."""
    n = len(arrivals)
    wi = rng.integers(0, len(warm_ms), n) if n else np.empty(0, dtype=np.int64)
    warm = warm_ms[wi] if n else np.empty(0)
    billed_w = (warm_billed_ms[wi] if warm_billed_ms is not None else warm) if n else np.empty(0)
    cold = cold_ms[rng.integers(0, len(cold_ms), n)] if n else np.empty(0)
    # Plain Python lists in the loop: indexing numpy arrays one element at a time is several times slower.
    arr_l, warm_l, cold_l = arrivals.tolist(), warm.tolist(), cold.tolist()
    lat_l = [0.0] * n
    cold_idx: List[int] = []
    warm_idx: List[int] = []
    free_warm = always_warm  # Always-warm instances idle now.
    busy: List[Tuple[float, int, float]] = []  # (free at, tie-breaker, spawn time; -inf: always warm)
    idle: Deque[Tuple[float, float]] = deque()  # (idle since, spawn time), oldest first
    t_first = float(arrivals[0]) if n else 0.0
    for _ in range(prewarm):
        idle.append((t_first, t_first))
    peak = 0
    lives = 0.0
    seq = 0

    def life(spawn: float, stop: float) -> float:
        return max(0.0, min(stop, end) - max(spawn, start))

    inf = -math.inf
    for i in range(n):
        t = arr_l[i]
        while busy and busy[0][0] <= t:
            f, _, spawn = heapq.heappop(busy)
            if spawn == inf:
                free_warm += 1
            else:
                idle.append((f, spawn))
        while idle and t - idle[0][0] > keep_alive_s:
            since, spawn = idle.popleft()
            lives += life(spawn, since + keep_alive_s)
        if free_warm:
            free_warm -= 1
            spawn = inf
            d = warm_l[i]
            warm_idx.append(i)
        elif idle:
            _, spawn = idle.pop()  # Most recently used: keeps the fewest instances warm.
            d = warm_l[i]
        else:
            spawn = t
            d = cold_l[i]
            cold_idx.append(i)
        lat_l[i] = d
        seq += 1
        heapq.heappush(busy, (t + d / 1000.0, seq, spawn))
        if len(busy) > peak:
            peak = len(busy)
    for f, _, spawn in busy:
        if spawn != -math.inf:
            idle.append((f, spawn))
    for since, spawn in idle:
        lives += life(spawn, since + keep_alive_s)
    lat = np.array(lat_l, dtype=float)
    is_cold = np.zeros(n, dtype=bool)
    is_cold[cold_idx] = True
    on_warm = np.zeros(n, dtype=bool)
    on_warm[warm_idx] = True
    keep = (arrivals >= start) & (arrivals < end)
    billed = np.where(is_cold, lat, billed_w) if n else np.empty(0)
    return PoolResult(lat[keep], is_cold[keep], lives, peak, on_warm[keep], billed[keep])


@dataclass(frozen=True)
class Autoscale:
    target_util: float = 0.6
    interval_s: float = 60.0
    lag_s: float = 180.0
    min_instances: int = 1
    max_instances: int = 1000
    scale_in_intervals: int = 5


@dataclass
class FleetResult:
    latency_ms: np.ndarray
    instance_seconds: float
    peak_instances: int
    busy_ms: float  # CPU occupancy of the counted requests
    overflow: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))  # per request (all, not only counted)


def simulate_fleet(arrivals: np.ndarray, wall_ms: np.ndarray, occ_ms: np.ndarray, slots: int, instances: int,
                   rng: np.random.Generator, autoscale: Optional[Autoscale] = None, start: float = -math.inf,
                   end: float = math.inf, overflow_wait_ms: Optional[float] = None) -> FleetResult:
    """`wall_ms` and `occ_ms` pair up (same request): round trip and CPU occupancy. With
    `overflow_wait_ms`, a request that would wait longer than that for a server is not queued: it
    is marked in `overflow` (for another option to serve) and its latency here is NaN."""
    n = len(arrivals)
    pick = rng.integers(0, len(wall_ms), n) if n else np.empty(0, dtype=np.int64)
    wall, occ = wall_ms[pick], occ_ms[pick]
    over = np.zeros(n, dtype=bool)
    t_first = float(arrivals[0]) if n else 0.0
    servers: List[float] = [t_first] * (slots * instances)  # Free-at times (a heap).
    count = instances
    # The instance count over time: ("set", t, n) from scale-in decisions, ("add", t, k) when new
    # instances become ready.
    changes: List[Tuple[str, float, int]] = [("set", -math.inf, instances)]
    peak = instances
    pending: List[Tuple[float, int]] = []  # (ready at, instances)
    below = 0
    busy_acc = 0.0
    next_b = t_first + autoscale.interval_s if autoscale else math.inf
    last_t = float(arrivals[-1]) if n else 0.0

    def boundary(b: float) -> None:
        nonlocal busy_acc, below, count, servers, peak
        a = autoscale
        assert a is not None
        while pending and pending[0][0] <= b:
            count += pending.pop(0)[1]
        want = math.ceil(busy_acc / 1000.0 / (a.interval_s * slots * a.target_util) - 1e-9)
        want = max(a.min_instances, min(a.max_instances, want))
        busy_acc = 0.0
        coming = count + sum(k for _, k in pending)
        if want > coming:
            k, ready = want - coming, b + a.lag_s
            pending.append((ready, k))
            for _ in range(k * slots):
                heapq.heappush(servers, ready)
            changes.append(("add", ready, k))
            below = 0
        elif want < count and not pending:
            below += 1
            if below >= a.scale_in_intervals:
                drop = (count - want) * slots  # Drain the servers that are free soonest.
                servers = sorted(servers)[drop:]
                heapq.heapify(servers)
                count = want
                changes.append(("set", b, count))
                below = 0
        else:
            below = 0

    arr_l, occ_l, wall_l = arrivals.tolist(), occ.tolist(), wall.tolist()  # Lists: fast in the loop.
    lat_l = [math.nan] * n
    over_idx: List[int] = []
    limit = math.inf if overflow_wait_ms is None else overflow_wait_ms / 1000.0
    for i in range(n):
        t = arr_l[i]
        while next_b <= t:
            boundary(next_b)
            next_b += autoscale.interval_s  # type: ignore[union-attr]
        if servers[0] - t > limit:
            over_idx.append(i)
            continue
        f = heapq.heappop(servers)
        s = f if f > t else t
        o = occ_l[i]
        heapq.heappush(servers, s + o / 1000.0)
        lat_l[i] = (s - t) * 1000.0 + wall_l[i]
        busy_acc += o
    lat = np.array(lat_l, dtype=float)
    over[over_idx] = True
    # Autoscaler decisions after the last arrival, up to the end of the window.
    if autoscale and math.isfinite(end):
        while next_b <= end:
            boundary(next_b)
            next_b += autoscale.interval_s

    stop = end if math.isfinite(end) else last_t
    t0 = start if math.isfinite(start) else t_first
    # Scale-in only happens with no addition pending, so applying the log in time order is exact.
    cur, secs, prev = 0, 0.0, t0
    for kind, tm, v in sorted(changes, key=lambda c: c[1]):
        tm_c = min(max(tm, t0), stop)
        secs += cur * (tm_c - prev)
        prev = tm_c
        cur = cur + v if kind == "add" else v
        peak = max(peak, cur)
    secs += cur * (stop - prev)
    keep = (arrivals >= start) & (arrivals < end)
    return FleetResult(lat[keep], secs, peak, float(occ[keep & ~over].sum()), over)
