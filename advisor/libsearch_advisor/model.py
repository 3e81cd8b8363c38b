"""From a measured profile, a traffic description, options and prices to per-option results.

A month of events at high QPS is too many to simulate one by one, so the
simulator runs representative windows and scales them (deterministic: one
seeded generator):

* daily profiles with at most `cap` requests a day: the whole day, after a one-hour
  warm-up (the previous evening), scaled x 30.4 (730 h / 24 h);
* busier daily profiles: the day is cut into segments of near-constant rate
  (consecutive minutes whose rates stay within 25 % of each other); each segment is
  simulated for a window of at most cap * length / day (at least cap / 50) requests
  at the segment's mean rate, after a warm-up of a quarter window, and scaled up by
  length / window. Each service segment starts with the fleet its rate needs: the
  autoscaler's lag acts inside segments, not across their boundaries;
* traces: the whole trace once, scaled by month / trace duration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .options import FunctionOption, Option, Usage, monthly_cost, required_prices
from .prices import MONTH_HOURS, Prices
from .profile import Profile, SurfaceProfile
from .simulate import Autoscale, simulate_fleet, simulate_pool
from .traffic import DAY, Trace, Traffic

DEFAULT_CAP = 200_000


@dataclass
class Window:
    arrivals: np.ndarray
    start: float
    end: float
    weight: float  # Month totals = weight x window totals.
    rate: float  # Mean request rate of the window (for the service's starting fleet).
    steady: bool = False  # A cut out of steady traffic: start with the pool/fleet that rate needs.


@dataclass
class OptionResult:
    option: Option
    cost: Dict[str, float]
    usage: Usage
    p50_ms: float
    p99_ms: float
    cold_share: float
    latency_ms: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    cold_start_ms: float = 0.0  # Median latency of a request that starts an instance (functions).

    @property
    def monthly_cost(self) -> float:
        return sum(self.cost.values())


def windows(traffic: Traffic, rng: np.random.Generator, cap: int = DEFAULT_CAP) -> List[Window]:
    if isinstance(traffic, Trace):
        d = traffic.duration
        return [Window(traffic.times, 0.0, d + 1e-6, MONTH_HOURS * 3600.0 / d, traffic.avg_qps)]
    per_day = MONTH_HOURS / 24.0
    if traffic.avg_qps * DAY <= cap:
        return [Window(traffic.arrivals(-3600.0, DAY, rng), 0.0, DAY, per_day, traffic.avg_qps)]
    minutes = traffic.rate_at(np.arange(1440) * 60.0 + 30.0)
    out: List[Window] = []
    i = 0
    while i < 1440:
        j, lo, hi = i + 1, minutes[i], minutes[i]
        while j < 1440 and max(hi, minutes[j]) <= 1.25 * min(lo, minutes[j]) + 1e-12:
            lo, hi = min(lo, minutes[j]), max(hi, minutes[j])
            j += 1
        length, rate = (j - i) * 60.0, float(minutes[i:j].mean())
        if rate <= 0:
            out.append(Window(np.empty(0), 0.0, length, per_day, 0.0))
        else:
            w = min(length, max(cap * length / DAY, cap / 50) / rate)
            warm = w / 4
            arr = traffic.arrivals(-warm, w, rng, step=w + warm, rate=rate)
            out.append(Window(arr, 0.0, w, per_day * length / w, rate, True))
        i = j
    return out


def _wquantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    if len(x) == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    xs, cw = x[order], np.cumsum(w[order])
    return float(xs[min(len(xs) - 1, int(np.searchsorted(cw, q * cw[-1])))])


def samples(o: Option, s: SurfaceProfile) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(warm latency, CPU occupancy, cold latency) samples in ms, scaled to the option's CPU.

    A function below one vCPU runs its CPU part 1/share times slower (Lambda: memory / 1,769 MB);
    more than one vCPU does not speed up one single-threaded query.
    """
    wall, cpu, cold = np.array(s.warm_ms), np.array(s.cpu_ms), np.array(s.cold_ms)
    if isinstance(o, FunctionOption):
        f = max(1.0, 1.0 / o.cpu_share())
        return wall + cpu * (f - 1), cpu * f, cold * f + o.platform_cold_ms
    return wall, cpu, cold


def evaluate(profile: Profile, traffic: Traffic, options: Sequence[Option], prices: Prices, seed: int = 7,
             cap: int = DEFAULT_CAP) -> List[OptionResult]:
    for o in options:  # Fail before any simulation, naming the missing input.
        profile.surface(o.surface, o.name)
        for name in required_prices(o):
            prices[name]
    out = []
    # Every option sees the same arrivals (common random numbers), so differences between
    # options are the options', not sampling noise; each draws its service times separately.
    wins = windows(traffic, np.random.default_rng(seed), cap)
    for k, o in enumerate(options):
        rng = np.random.default_rng([seed, k])
        warm, occ, cold = samples(o, profile.surface(o.surface))
        lats, ws = [], []
        req = billed = isec = colds = 0.0
        peak = 0
        for win in wins:
            if isinstance(o, FunctionOption):
                prewarm = 0
                if win.steady:  # Busy instances at that rate: mean + 5 sigma + clumps.
                    busy = win.rate * float(warm.mean()) / 1000.0 * (1 + getattr(traffic, "burstiness", 0.0))
                    prewarm = math.ceil(busy + 5 * math.sqrt(busy) + 5)
                r = simulate_pool(win.arrivals, warm, cold, o.keep_alive_s, rng, win.start,
                                  math.inf if isinstance(traffic, Trace) else win.end, prewarm)
                b = np.ceil(r.latency_ms / o.billing_ms - 1e-9) * o.billing_ms
                billed += win.weight * float(b.sum())
                colds += win.weight * float(r.cold.sum())
                isec += win.weight * r.instance_seconds
                peak = max(peak, r.peak_instances)
                lat = r.latency_ms
            else:
                occ_mean = float(occ.mean()) / 1000.0
                need = max(o.min_instances, math.ceil(win.rate * occ_mean / (o.vcpu * o.target_util) - 1e-9))
                if not o.autoscale:
                    need = max(o.min_instances, math.ceil(traffic.peak_qps * occ_mean / (o.vcpu * o.target_util) - 1e-9))
                auto = Autoscale(o.target_util, o.interval_s, o.lag_s, o.min_instances, o.max_instances,
                                 o.scale_in_intervals) if o.autoscale else None
                r2 = simulate_fleet(win.arrivals, warm, occ, o.vcpu, min(need, o.max_instances), rng, auto,
                                    win.start, win.end)
                isec += win.weight * r2.instance_seconds
                peak = max(peak, r2.peak_instances)
                lat = r2.latency_ms
            req += win.weight * len(lat)
            lats.append(lat)
            ws.append(np.full(len(lat), win.weight))
        lat_all = np.concatenate(lats) if lats else np.empty(0)
        w_all = np.concatenate(ws) if ws else np.empty(0)
        u = Usage(req, billed, isec, peak, req / (MONTH_HOURS * 3600.0))
        out.append(OptionResult(o, monthly_cost(o, u, prices), u, _wquantile(lat_all, w_all, 0.5),
                                _wquantile(lat_all, w_all, 0.99), colds / req if req else 0.0, lat_all, w_all,
                                float(np.median(cold)) if isinstance(o, FunctionOption) else 0.0))
    return out


def scaled(traffic: Traffic, avg_qps: float) -> Traffic:
    if isinstance(traffic, Trace):
        return Trace(traffic.name, traffic.times * (traffic.avg_qps / avg_qps))  # Same pattern, faster.
    return traffic.scaled(avg_qps)


@dataclass
class Sweep:
    qps: np.ndarray
    costs: Dict[str, np.ndarray]  # option name -> monthly cost at each qps


def sweep(profile: Profile, traffic: Traffic, options: Sequence[Option], prices: Prices, seed: int = 7,
          qps: Optional[Sequence[float]] = None, cap: int = 20_000) -> Sweep:
    """Monthly cost vs average QPS with the same shape (and peak/average ratio)."""
    grid = np.array(sorted(set(list(qps if qps is not None else np.logspace(-2, 3, 16)) + [traffic.avg_qps])))
    costs = {o.name: np.empty(len(grid)) for o in options}
    for i, q in enumerate(grid):
        for r in evaluate(profile, scaled(traffic, float(q)), options, prices, seed, cap):
            costs[r.option.name][i] = r.monthly_cost
    return Sweep(grid, costs)


@dataclass
class BreakEven:
    qps: float
    cost: float
    function_option: str
    service_option: str
    direction: str  # "service cheaper above" | "function cheaper above"


def break_even(sw: Sweep, options: Sequence[Option]) -> List[BreakEven]:
    """Where the cheapest function option and the cheapest service option cost the same
    (log-log interpolation between grid points)."""
    fn = [o.name for o in options if o.kind == "function"]
    sv = [o.name for o in options if o.kind == "service"]
    if not fn or not sv:
        return []
    f = np.min([sw.costs[n] for n in fn], axis=0)
    s = np.min([sw.costs[n] for n in sv], axis=0)
    eps = 1e-6  # Free tiers make costs 0; keep logs finite.
    d = np.log(f + eps) - np.log(s + eps)
    out = []
    for i in range(len(sw.qps) - 1):
        if d[i] == 0 or np.sign(d[i]) == np.sign(d[i + 1]):
            continue
        a = d[i] / (d[i] - d[i + 1])
        lq = math.log(sw.qps[i]) + a * (math.log(sw.qps[i + 1]) - math.log(sw.qps[i]))
        lc = math.log(s[i] + eps) + a * (math.log(s[i + 1] + eps) - math.log(s[i] + eps))
        j = i if a < 0.5 else i + 1
        out.append(BreakEven(math.exp(lq), math.exp(lc), min(fn, key=lambda n: sw.costs[n][j]),
                             min(sv, key=lambda n: sw.costs[n][j]),
                             "service cheaper above" if d[i] < 0 else "function cheaper above"))
    return out
