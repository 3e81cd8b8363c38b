"""Replays a trace against the real local surfaces, to check the simulator.

Functions: RIE-hosted instances (the C++ bootstrap under the emulator) are
started and stopped by the same rules as simulate.simulate_pool: a request
takes the most recently freed idle instance, a new instance starts when none
is idle (the request then waits for that cold start), and an instance idle for
longer than the keep-alive is stopped. Requests are sent open-loop at their
trace times (a pooled thread each); latency runs from the send to the answer,
like the profile's samples, and the dispatcher's lateness is reported apart.

Service: one libsearch-service process gets the same open-loop requests.
"""

from __future__ import annotations

import pathlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, List, Optional

import numpy as np

from .procs import Process
from .profile import QUERIES, Surface, start_cold


@dataclass
class ReplayResult:
    latency_ms: np.ndarray
    cold: np.ndarray
    instance_seconds: float  # Process lifetimes: spawn to stopped.
    peak_instances: int  # Most instances busy at once.
    late_ms_max: float  # The dispatcher's worst lateness (a sanity check of the replay itself).


class _Instance:
    def __init__(self) -> None:
        self.surface: Optional[Surface] = None
        self.proc: Optional[Process] = None
        self.spawn = 0.0
        self.idle_since = 0.0


def _sleep_until(t: float) -> float:
    while True:
        d = t - time.perf_counter()
        if d <= 0:
            return -d
        time.sleep(d if d < 0.002 else d - 0.001)


def replay_pool(times: np.ndarray, make_surface: Callable[[], Surface], index: pathlib.Path, keep_alive_s: float,
                workdir: pathlib.Path) -> ReplayResult:
    n = len(times)
    lat, cold = np.zeros(n), np.zeros(n, dtype=bool)
    lock = threading.Lock()
    idle: List[_Instance] = []  # Most recently freed last.
    lives: List[float] = []
    busy = [0, 0]  # now, peak
    errors: List[BaseException] = []
    stop_reaper = threading.Event()
    changed = threading.Event()  # An instance became idle: the next expiry may be earlier.

    def stop(inst: _Instance) -> None:
        assert inst.proc is not None
        inst.proc.stop()
        with lock:
            lives.append(time.perf_counter() - inst.spawn)

    def expired(now: float) -> List[_Instance]:  # Under the lock.
        out = [x for x in idle if now - x.idle_since > keep_alive_s]
        for x in out:
            idle.remove(x)
        return out

    def reaper() -> None:
        # Sleeps until the next expiry instead of polling: a thread waking every few ms would
        # compete for the GIL with the request threads and slow the measured round trips.
        while not stop_reaper.is_set():
            with lock:
                now = time.perf_counter()
                gone = expired(now)
                nxt = min((x.idle_since + keep_alive_s for x in idle), default=now + 0.5)
            for x in gone:
                stop(x)
            changed.wait(max(0.0005, nxt - time.perf_counter() + 0.0005))
            changed.clear()

    def work(i: int, inst: _Instance, new: bool, target: float) -> None:
        sent = time.perf_counter()  # Latency from here: the model's samples are round trips too.
        try:
            req = {"query": QUERIES[i % len(QUERIES)], "k": 10}
            if new:
                inst.surface = make_surface()
                inst.spawn = time.perf_counter()
                d = workdir / f"i{i}"
                d.mkdir()
                inst.proc, _ = start_cold(inst.surface, index, d, req)
            else:
                assert inst.surface is not None
                body = inst.surface.search(req)
                if not body.startswith(b"{"):
                    raise RuntimeError(f"request {i}: unexpected answer {body[:200]!r}")
            done = time.perf_counter()
            lat[i] = (done - sent) * 1000.0
            with lock:
                busy[0] -= 1
                inst.idle_since = done
                idle.append(inst)
            changed.set()
        except BaseException as e:  # reported after the run
            errors.append(e)

    reap = threading.Thread(target=reaper, daemon=True)
    reap.start()
    late = 0.0
    t0 = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=32) as pool:
        for i, t in enumerate(times):
            target = t0 + float(t)
            late = max(late, _sleep_until(target))
            with lock:
                gone = expired(time.perf_counter())
                if idle:
                    inst, new = idle.pop(), False
                else:
                    inst, new = _Instance(), True
                    cold[i] = True
                busy[0] += 1
                busy[1] = max(busy[1], busy[0])
            for x in gone:
                pool.submit(stop, x)
            pool.submit(work, i, inst, new, target)
    deadline = time.perf_counter() + keep_alive_s + 10
    while time.perf_counter() < deadline:
        with lock:
            if not idle:
                break
        time.sleep(0.01)
    stop_reaper.set()
    changed.set()
    reap.join()
    with lock:
        left = list(idle)
    for x in left:
        stop(x)
    if errors:
        raise errors[0]
    return ReplayResult(lat, cold, float(sum(lives)), busy[1], late * 1000.0)


def replay_service(times: np.ndarray, surface: Surface, proc: Process) -> ReplayResult:
    """Open-loop requests at the trace times against one running service."""
    n = len(times)
    lat = np.zeros(n)
    errors: List[BaseException] = []

    def work(i: int, target: float) -> None:
        sent = time.perf_counter()
        try:
            body = surface.search({"query": QUERIES[i % len(QUERIES)], "k": 10})
            lat[i] = (time.perf_counter() - sent) * 1000.0
            if not body.startswith(b"{"):
                raise RuntimeError(f"request {i}: unexpected answer {body[:200]!r}")
        except BaseException as e:  # reported after the run
            errors.append(e)

    late = 0.0
    t0 = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=32) as pool:
        for i, t in enumerate(times):
            target = t0 + float(t)
            late = max(late, _sleep_until(target))
            pool.submit(work, i, target)
    if errors:
        raise errors[0]
    return ReplayResult(lat, np.zeros(n, dtype=bool), float(times[-1] - times[0]), 0, late * 1000.0)


COLD_ROOM_S = 0.3  # After a request that may start an instance: a cold start takes ~20 ms here.


def synthetic_trace(seconds: float = 80.0, seed: int = 2026, keep_alive_s: float = 1.0) -> np.ndarray:
    """A deterministic trace for the replay, built so that p99 latency can be compared.

    Sessions of 8-12 s: a lone request (it starts the session's first instance cold), then lone
    requests 80-160 ms apart (always served by the same, most recently used instance) and now and
    then a pair of simultaneous requests (a page and its facet query): one goes to the warm
    instance, the other to the second instance, or starts one. Pairs follow each other after
    0.3-0.7 x the keep-alive (the second instance is still warm) or 1.4-2 x (it was reclaimed: the
    pair starts it again). A quiet gap of 1.5-2.5 x the keep-alive ends each session, so every
    instance is reclaimed and the next session starts cold.

    Why this shape:
    * Cold starts are common enough that p99 falls inside the cold-start distribution rather than
      on its last sample, so a few minutes of replay estimate it (the measured share: see
      docs/design-notes.md, "The advisor's measurements").
    * No two cold starts overlap. The local machine has 2 cores shared by every instance, where
      a cloud gives each instance its own; overlapping starts would measure that, not the model.
    * Every lifecycle decision has a wide margin: >= 0.3 x the keep-alive for reclaims, 300 ms
      after a request that may start an instance, 80 ms after a 2 ms warm search. Which requests
      start cold then follows from the rules, not from timing noise."""
    rng = np.random.default_rng(seed)
    out: List[float] = []
    t = 0.0
    while t < seconds:
        end = t + rng.uniform(8.0, 12.0)
        out.append(t)
        next_pair = t + rng.uniform(0.5, 1.2)
        t += COLD_ROOM_S
        while t < end:
            if t >= next_pair:
                out += [t, t]
                # The next pair comes after the next lone request at or past next_pair: up to 160 ms
                # later, so the "still warm" gaps stay <= 0.71 x the keep-alive.
                warm_gap = rng.random() < 0.6
                next_pair = t + (rng.uniform(0.3, 0.55) if warm_gap else rng.uniform(1.4, 2.0)) * keep_alive_s
                t += COLD_ROOM_S
            else:
                out.append(t)
                t += rng.uniform(0.08, 0.16)
        t += rng.uniform(1.5, 2.5) * keep_alive_s
    return np.array(out)
