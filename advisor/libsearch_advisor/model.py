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

Intervals (`evaluate_with_intervals`): the model is run again on each repeat of the
profile alone (the profiler measures in repeats, spread over its run; an older profile is
cut into three in the order measured), each with other random draws, and the function
options once more with half their keep-alive (an unpublished assumption). Each figure's
interval is the range of those runs. Two options tie when their cost difference changes sign
between runs, or is under a cent in one (`ties_with`); `recommend` breaks ties by the time of
one cold start, then by operational simplicity (options.SIMPLICITY).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .options import (
    SIMPLICITY,
    FunctionOption,
    HybridOption,
    Option,
    ServiceOption,
    Usage,
    monthly_cost,
    required_prices,
)
from .prices import MONTH_HOURS, Prices
from .profile import Profile, SurfaceProfile
from .simulate import Autoscale, simulate_fleet, simulate_pool
from .traffic import DAY, Trace, Traffic
from .updates import (
    DEFAULT_COSTS,
    PRICES_AWS,
    PRICES_GCP,
    Replicas,
    UpdateCosts,
    UpdateUsage,
    bill as update_bill,
    replicas_of_function,
    replicas_of_service,
)

DEFAULT_CAP = 200_000
INTERVAL_CAP = 50_000  # Requests a day per interval run (each repeat is a few times fewer samples anyway).
TIE_USD = 0.01
P99_SHARE = 0.01  # A cold-start share at or above this puts cold starts into the p99.
DEFAULT_RESPONSE_BYTES = 5000.0  # For profiles without measured answer sizes (k = 10 answers: 3.8-7.1 KB).
LAMBDA_LOG_BYTES = 260.0  # START, END and REPORT lines per invocation, for profiles without a measurement.


@dataclass
class Window:
    arrivals: np.ndarray
    start: float
    end: float
    weight: float  # Month totals = weight x window totals.
    rate: float  # Mean request rate of the window (for the service's starting fleet).
    steady: bool = False  # A cut out of steady traffic: start with the pool/fleet that rate needs.


Range = Tuple[float, float]


@dataclass
class OptionResult:
    option: Option
    cost: Dict[str, float]  # The bill, itemised, with free tiers only if asked for.
    usage: Usage
    p50_ms: float
    p99_ms: float
    cold_share: float
    latency_ms: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    cold_start_ms: float = 0.0  # Median latency of a request that starts an instance (functions).
    cost_free_tier: Dict[str, float] = field(default_factory=dict)  # The same bill with every free tier.
    billed_from: str = ""  # Where billed durations come from (functions).
    # Intervals (evaluate_with_intervals); until then, the point values.
    cost_range: Range = (math.nan, math.nan)
    p50_range: Range = (math.nan, math.nan)
    p99_range: Range = (math.nan, math.nan)
    cold_range: Range = (math.nan, math.nan)
    cost_runs: List[float] = field(default_factory=list)  # The monthly cost in each run (main first).
    updates: Optional[UpdateUsage] = None  # The update side's counts (traffic with "updates").

    def __post_init__(self) -> None:
        if math.isnan(self.cost_range[0]):
            self.cost_range = (self.monthly_cost, self.monthly_cost)
            self.p50_range = (self.p50_ms, self.p50_ms)
            self.p99_range = (self.p99_ms, self.p99_ms)
            self.cold_range = (self.cold_share, self.cold_share)

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
    minutes = np.array([traffic.mean_rate(m * 60.0, m * 60.0 + 60.0) for m in range(1440)])
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


def billed_samples(o: FunctionOption, s: SurfaceProfile) -> Tuple[Optional[np.ndarray], str]:
    """What a warm request bills, paired with warm_ms: the Lambda runtime's own REPORT Duration when
    the profile has it (scaled like the latency), else the client round trip (which overstates it)."""
    if o.platform == "lambda" and s.duration_ms:
        f = max(1.0, 1.0 / o.cpu_share())
        return np.array(s.duration_ms) + np.array(s.cpu_ms) * (f - 1), "the runtime's REPORT Duration"
    if o.platform == "lambda":
        return None, "the client round trip (this profile has no REPORT durations: overstated)"
    return None, "the request's round trip (Cloud Run bills the instance while it handles a request)"


def _median_rate(traffic: Traffic) -> float:
    if isinstance(traffic, Trace):
        return traffic.avg_qps
    return float(np.median([traffic.mean_rate(m * 60.0, m * 60.0 + 60.0) for m in range(1440)]))


def _bytes(o: Option, s: SurfaceProfile) -> Tuple[float, float]:
    """(answer body, log) bytes per request of the surface `s` serves `o` with."""
    body = s.response_bytes if s.response_bytes is not None else DEFAULT_RESPONSE_BYTES
    lam = isinstance(o, FunctionOption) and o.platform == "lambda"
    log = s.log_bytes if s.log_bytes is not None else (LAMBDA_LOG_BYTES if lam else 0.0)
    return body, log


def evaluate(profile: Profile, traffic: Traffic, options: Sequence[Option], prices: Prices, seed: int = 7,
             cap: int = DEFAULT_CAP, free_tier: bool = False, rtt_ms: float = 0.0) -> List[OptionResult]:
    for o in options:  # Fail before any simulation, naming the missing input.
        profile.surface(o.surface, o.name)
        if isinstance(o, HybridOption):
            profile.surface(o.fn_surface, o.name)
        for name in required_prices(o):
            prices[name]
        if traffic.updates is not None:
            for name in PRICES_GCP if cloud_of(o) == "gcp" else PRICES_AWS:
                prices[name]
    out = []
    # Every option sees the same arrivals (common random numbers), so differences between
    # options are the options', not sampling noise; each draws its service times separately.
    wins = windows(traffic, np.random.default_rng(seed), cap)
    burst = getattr(traffic, "burstiness", 0.0)
    for k, o in enumerate(options):
        rng = np.random.default_rng([seed, k])
        sp = profile.surface(o.surface)
        warm, occ, cold = samples(o, sp)
        body, log = _bytes(o, sp)
        lats, ws = [], []
        req = billed = warm_billed = isec = colds = fn_req = fn_billed = 0.0
        peak = 0
        billed_from = ""
        if isinstance(o, FunctionOption):
            bw, billed_from = billed_samples(o, sp)
        if isinstance(o, HybridOption):
            fo = o.function_part()
            fsp = profile.surface(o.fn_surface)
            fwarm, _, fcold = samples(fo, fsp)
            fbw, billed_from = billed_samples(fo, fsp)
            _, fn_log_bytes = _bytes(fo, fsp)
            occ_mean = float(occ.mean()) / 1000.0
            base = o.base_instances or max(1, math.ceil(_median_rate(traffic) * occ_mean / (o.vcpu * o.target_util)
                                                        - 1e-9))
        for win in wins:
            if isinstance(o, FunctionOption):
                prewarm = 0
                if win.steady:  # Busy instances at that rate: mean + 5 sigma + clumps.
                    busy = win.rate * float(warm.mean()) / 1000.0 * (1 + burst)
                    prewarm = math.ceil(busy + 5 * math.sqrt(busy) + 5)
                r = simulate_pool(win.arrivals, warm, cold, o.keep_alive_s, rng, win.start,
                                  math.inf if isinstance(traffic, Trace) else win.end, prewarm, o.always_warm, bw)
                b = np.ceil(r.billed_ms / o.billing_ms - 1e-9) * o.billing_ms
                billed += win.weight * float(b.sum())
                warm_billed += win.weight * float(b[r.on_always_warm].sum())
                colds += win.weight * float(r.cold.sum())
                isec += win.weight * r.instance_seconds
                peak = max(peak, r.peak_instances)
                lat = r.latency_ms
            elif isinstance(o, HybridOption):
                fl = simulate_fleet(win.arrivals, warm, occ, o.vcpu, base, rng, None, win.start, win.end,
                                    o.overflow_wait_ms)
                over = win.arrivals[fl.overflow]
                lat_s = fl.latency_ms[~np.isnan(fl.latency_ms)]
                lat_f = np.empty(0)
                if len(over):
                    r = simulate_pool(over, fwarm, fcold, o.keep_alive_s, rng, win.start,
                                      math.inf if isinstance(traffic, Trace) else win.end, 0, 0, fbw)
                    b = np.ceil(r.billed_ms - 1e-9)
                    fn_billed += win.weight * float(b.sum())
                    fn_req += win.weight * len(r.latency_ms)
                    colds += win.weight * float(r.cold.sum())
                    peak = max(peak, base + r.peak_instances)
                    lat_f = r.latency_ms + o.reject_ms
                isec += win.weight * fl.instance_seconds
                peak = max(peak, base)
                lat = np.concatenate([lat_s, lat_f])
            else:
                occ_mean = float(occ.mean()) / 1000.0
                floor = o.floor_instances()
                need = max(floor, math.ceil(win.rate * occ_mean / (o.vcpu * o.target_util) - 1e-9))
                if not o.autoscale:
                    need = max(floor, math.ceil(traffic.peak_qps * occ_mean / (o.vcpu * o.target_util) - 1e-9))
                auto = Autoscale(o.target_util, o.interval_s, o.lag_s, floor, o.max_instances,
                                 o.scale_in_intervals) if o.autoscale else None
                r2 = simulate_fleet(win.arrivals, warm, occ, o.vcpu, min(need, o.max_instances), rng, auto,
                                    win.start, win.end)
                isec += win.weight * r2.instance_seconds
                peak = max(peak, r2.peak_instances)
                lat = r2.latency_ms
            req += win.weight * len(lat)
            lats.append(lat)
            ws.append(np.full(len(lat), win.weight))
        lat_all = (np.concatenate(lats) if lats else np.empty(0)) + rtt_ms
        w_all = np.concatenate(ws) if ws else np.empty(0)
        if isinstance(o, HybridOption) and req:
            log = (log * (req - fn_req) + fn_log_bytes * fn_req) / req
        u = Usage(req, billed, warm_billed, isec, peak, req / (MONTH_HOURS * 3600.0), fn_req, fn_billed, body, log,
                  (req - fn_req) * float(occ.mean()) / 1000.0)
        is_fn = isinstance(o, FunctionOption) or isinstance(o, HybridOption)
        one_cold = (float(np.median(cold if isinstance(o, FunctionOption) else fcold)) + rtt_ms) if is_fn else 0.0
        bill, bill_free = monthly_cost(o, u, prices, free_tier), monthly_cost(o, u, prices, True)
        upd_use = None
        if traffic.updates is not None:
            rep = replicas(o, u, colds, traffic.updates.refresh_seconds)
            costs, idx = update_costs(profile), float(profile.index.get("bytes") or 0) or None
            items, upd_use = update_bill(cloud_of(o), traffic.updates, costs, rep, prices, free_tier, idx)
            bill.update(items)
            bill_free.update(update_bill(cloud_of(o), traffic.updates, costs, rep, prices, True, idx)[0])
        out.append(OptionResult(o, bill, u, _wquantile(lat_all, w_all, 0.5),
                                _wquantile(lat_all, w_all, 0.99), colds / req if req else 0.0, lat_all, w_all,
                                one_cold, bill_free, billed_from, updates=upd_use))
    return out


def cloud_of(o: Option) -> str:
    """Where an option's update side runs: its own cloud's queue, functions and object store."""
    gcp = o.platform in ("cloudrun_request", "cloudrun_instance")
    return "gcp" if gcp else "aws"


def update_costs(profile: Profile) -> UpdateCosts:
    """The profile's measured update costs, else the committed defaults (updates.DEFAULT_COSTS)."""
    return UpdateCosts.from_json(profile.updates) if profile.updates else DEFAULT_COSTS


def replicas(o: Option, u: Usage, colds: float, refresh_s: float) -> Replicas:
    """How option `o`'s serving instances follow the index (updates.Replicas)."""
    if isinstance(o, FunctionOption):
        return replicas_of_function(u.requests, u.instance_seconds, colds, refresh_s)
    if isinstance(o, ServiceOption):
        return replicas_of_service(u.instance_seconds, u.peak_instances, refresh_s)
    # Hybrid: the base fleet checks in the background; an overflow function at most once a request.
    base = replicas_of_service(u.instance_seconds, 1, refresh_s)
    return Replicas(base.polls + u.fn_requests, refresh_s, colds + 1.0, base.mean_instances,
                    "the base fleet checks every refresh_seconds; an overflow function at most once a request")


def _with_surfaces(profile: Profile, pick: Callable[[str, SurfaceProfile], SurfaceProfile]) -> Profile:
    return dataclasses.replace(profile, surfaces={n: pick(n, s) for n, s in profile.surfaces.items()})


def _half_keep_alive(o: Option) -> Option:
    if isinstance(o, (FunctionOption, HybridOption)):
        return dataclasses.replace(o, keep_alive_s=o.keep_alive_s / 2)
    return o


def evaluate_with_intervals(profile: Profile, traffic: Traffic, options: Sequence[Option], prices: Prices,
                            seed: int = 7, cap: int = DEFAULT_CAP, free_tier: bool = False, rtt_ms: float = 0.0,
                            interval_cap: int = INTERVAL_CAP) -> List[OptionResult]:
    """evaluate(), with each result's intervals filled in (module docstring)."""
    main = evaluate(profile, traffic, options, prices, seed, cap, free_tier, rtt_ms)
    slices = {n: s.repeat_slices() for n, s in profile.surfaces.items()}
    runs = max(len(v) for v in slices.values())

    def repeat(k: int) -> Callable[[str, SurfaceProfile], SurfaceProfile]:
        return lambda n, s: slices[n][k % len(slices[n])]

    variants = [evaluate(_with_surfaces(profile, repeat(k)), traffic, options, prices, seed + 1 + k,
                         min(cap, interval_cap), free_tier, rtt_ms) for k in range(runs)]
    variants.append(evaluate(profile, traffic, [_half_keep_alive(o) for o in options], prices, seed,
                             min(cap, interval_cap), free_tier, rtt_ms))
    for i, r in enumerate(main):
        every = [r] + [v[i] for v in variants]
        r.cost_runs = [x.monthly_cost for x in every]
        r.cost_range = (min(r.cost_runs), max(r.cost_runs))
        r.p50_range = (min(x.p50_ms for x in every), max(x.p50_ms for x in every))
        r.p99_range = (min(x.p99_ms for x in every), max(x.p99_ms for x in every))
        r.cold_range = (min(x.cold_share for x in every), max(x.cold_share for x in every))
    return main


# --- the decision ---------------------------------------------------------------------------------------


def meets_target(r: OptionResult, target: Optional[float]) -> bool:
    """p99 within `target` over its whole interval, and cold starts not in the p99 unless one cold
    start is itself within the target."""
    if target is None:
        return True
    cold_in_p99 = r.cold_range[1] >= P99_SHARE and r.cold_start_ms > target
    return r.p99_range[1] <= target and not cold_in_p99


def ties_with(a: OptionResult, b: OptionResult) -> bool:
    """Equal monthly cost within the model's uncertainty. Within one run every option sees the same
    arrivals, so the runs are compared pairwise: a tie when the cost difference changes sign between
    runs or stays within a cent in one of them. (Comparing the intervals would count the traffic's
    own sampling noise, which every option shares, as uncertainty between them.) Without runs:
    the intervals overlap."""
    if a.cost_runs and len(a.cost_runs) == len(b.cost_runs):
        d = [x - y for x, y in zip(a.cost_runs, b.cost_runs)]
        return min(d) <= TIE_USD and max(d) >= -TIE_USD
    return a.cost_range[0] <= b.cost_range[1] + TIE_USD and b.cost_range[0] <= a.cost_range[1] + TIE_USD


@dataclass
class Decision:
    recommendation: OptionResult
    ties: List[OptionResult]  # Other options tied with it on cost (the tie-break chose among these).
    meets: List[OptionResult]  # Shipped options that meet the latency target (all shipped without one).
    cheaper_unshipped: List[OptionResult]  # Not-shipped options cheaper than the recommendation.


def tie_break_key(r: OptionResult) -> Tuple[float, int, float]:
    """The stated rule: a faster cold start first, then operational simplicity, then cost."""
    return (r.cold_start_ms, SIMPLICITY[r.option.platform], r.monthly_cost)


def recommend(results: Sequence[OptionResult], target: Optional[float]) -> Decision:
    shipped = [r for r in results if r.option.shipped] or list(results)
    ok = [r for r in shipped if meets_target(r, target)]
    pool = ok or shipped
    cheapest = min(pool, key=lambda r: r.monthly_cost)
    tied = [r for r in pool if ties_with(r, cheapest)]
    rec = min(tied, key=tie_break_key)
    unshipped = [r for r in results if not r.option.shipped and meets_target(r, target)
                 and r.monthly_cost < rec.monthly_cost - TIE_USD and not ties_with(r, rec)]
    return Decision(rec, [r for r in tied if r is not rec], ok, unshipped)


def scaled(traffic: Traffic, avg_qps: float) -> Traffic:
    if isinstance(traffic, Trace):
        f = traffic.avg_qps / avg_qps  # The same pattern, faster or slower.
        return Trace(traffic.name, traffic.times * f, traffic.updates, None if traffic.span is None else traffic.span * f)
    return traffic.scaled(avg_qps)


MULTIPLES = (0.5, 1.0, 2.0, 10.0)


@dataclass
class Sweep:
    qps: np.ndarray
    costs: Dict[str, np.ndarray]  # option name -> monthly cost at each qps (free tiers as asked)
    costs_free: Dict[str, np.ndarray] = field(default_factory=dict)  # the same with every free tier
    bills: Dict[str, List[Dict[str, float]]] = field(default_factory=dict)  # itemised, as `costs`

    def at(self, qps: float) -> int:
        return int(np.argmin(np.abs(np.log(self.qps) - math.log(qps))))


def sweep(profile: Profile, traffic: Traffic, options: Sequence[Option], prices: Prices, seed: int = 7,
          qps: Optional[Sequence[float]] = None, cap: int = 20_000, free_tier: bool = False) -> Sweep:
    """Monthly cost vs average QPS with the same shape (and peak/average ratio), at a grid and at
    MULTIPLES of the traffic's average."""
    base = list(qps if qps is not None else np.logspace(-2, 3, 16))
    grid = np.array(sorted(set(base + [traffic.avg_qps * m for m in MULTIPLES])))
    costs = {o.name: np.empty(len(grid)) for o in options}
    free = {o.name: np.empty(len(grid)) for o in options}
    bills: Dict[str, List[Dict[str, float]]] = {o.name: [] for o in options}
    for i, q in enumerate(grid):
        for r in evaluate(profile, scaled(traffic, float(q)), options, prices, seed, cap, free_tier):
            costs[r.option.name][i] = r.monthly_cost
            free[r.option.name][i] = sum(r.cost_free_tier.values())
            bills[r.option.name].append(r.cost)
    return Sweep(grid, costs, free, bills)


@dataclass
class BreakEven:
    qps: float
    cost: float
    function_option: str
    service_option: str
    direction: str  # "service cheaper above" | "function cheaper above"


def break_even(sw: Sweep, options: Sequence[Option]) -> List[BreakEven]:
    """Where the cheapest shipped function option and the cheapest shipped service option cost the
    same (log-log interpolation between grid points)."""
    fn = [o.name for o in options if o.kind == "function" and o.shipped]
    sv = [o.name for o in options if o.kind == "service" and o.shipped]
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
