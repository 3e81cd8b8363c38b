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
from dataclasses import dataclass
from typing import Deque, List, Optional, Tuple

import numpy as np


@dataclass
class PoolResult:
    latency_ms: np.ndarray  # per request counted (arrival in [start, end))
    cold: np.ndarray  # bool per counted request
    instance_seconds: float  # lifetimes clipped to [start, end)
    peak_instances: int  # Most instances busy at once (the concurrency the platform must allow).


def simulate_pool(arrivals: np.ndarray, warm_ms: np.ndarray, cold_ms: np.ndarray, keep_alive_s: float,
                  rng: np.random.Generator, start: float = -math.inf, end: float = math.inf,
                  prewarm: int = 0) -> PoolResult:
    """`arrivals` sorted (seconds); warm_ms / cold_ms are samples to draw from. `prewarm` instances
    start idle and warm at the first arrival (a window cut out of steady traffic)."""
    n = len(arrivals)
    warm = warm_ms[rng.integers(0, len(warm_ms), n)] if n else np.empty(0)
    cold = cold_ms[rng.integers(0, len(cold_ms), n)] if n else np.empty(0)
    lat = np.empty(n)
    is_cold = np.zeros(n, dtype=bool)
    busy: List[Tuple[float, int, float]] = []  # (free at, tie-breaker, spawn time)
    idle: Deque[Tuple[float, float]] = deque()  # (idle since, spawn time), oldest first
    t_first = float(arrivals[0]) if n else 0.0
    for _ in range(prewarm):
        idle.append((t_first, t_first))
    peak = 0
    lives = 0.0
    seq = 0

    def life(spawn: float, stop: float) -> float:
        return max(0.0, min(stop, end) - max(spawn, start))

    for i in range(n):
        t = float(arrivals[i])
        while busy and busy[0][0] <= t:
            f, _, spawn = heapq.heappop(busy)
            idle.append((f, spawn))
        while idle and t - idle[0][0] > keep_alive_s:
            since, spawn = idle.popleft()
            lives += life(spawn, since + keep_alive_s)
        if idle:
            _, spawn = idle.pop()  # Most recently used: keeps the fewest instances warm.
            d = warm[i]
        else:
            spawn = t
            d = cold[i]
            is_cold[i] = True
        lat[i] = d
        seq += 1
        heapq.heappush(busy, (t + d / 1000.0, seq, spawn))
        if len(busy) > peak:
            peak = len(busy)
    for f, _, spawn in busy:
        idle.append((f, spawn))
    for since, spawn in idle:
        lives += life(spawn, since + keep_alive_s)
    keep = (arrivals >= start) & (arrivals < end)
    return PoolResult(lat[keep], is_cold[keep], lives, peak)


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


def simulate_fleet(arrivals: np.ndarray, wall_ms: np.ndarray, occ_ms: np.ndarray, slots: int, instances: int,
                   rng: np.random.Generator, autoscale: Optional[Autoscale] = None, start: float = -math.inf,
                   end: float = math.inf) -> FleetResult:
    """`wall_ms` and `occ_ms` pair up (same request): round trip and CPU occupancy."""
    n = len(arrivals)
    pick = rng.integers(0, len(wall_ms), n) if n else np.empty(0, dtype=np.int64)
    wall, occ = wall_ms[pick], occ_ms[pick]
    lat = np.empty(n)
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

    for i in range(n):
        t = float(arrivals[i])
        while next_b <= t:
            boundary(next_b)
            next_b += autoscale.interval_s  # type: ignore[union-attr]
        f = heapq.heappop(servers)
        s = f if f > t else t
        heapq.heappush(servers, s + occ[i] / 1000.0)
        lat[i] = (s - t) * 1000.0 + wall[i]
        busy_acc += occ[i]
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
    return FleetResult(lat[keep], secs, peak, float(occ[keep].sum()))
