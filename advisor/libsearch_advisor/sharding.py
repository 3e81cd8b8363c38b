"""Pricing a sharded catalogue served by fan-out across functions (issue 23; README "When one
machine is not enough"), against one larger instance that holds the whole index.

A catalogue whose index does not fit one function is split into N shards, one Lambda function
per shard and a coordinator function (libsearch/fan_out.h). Each search is then N + 1
invocations (a next page: N more, to find where its cursor's document ranks; a "did you mean":
N more, to count the suggestion), and the coordinator is billed for its whole wait: the slowest
of the N shards, the invocation round trip and the merge. The model, per shard count N:

* a shard function maps its shard (index / N) and the statistics of the others, the
  dictionary extracts published with each commit (`stats_share` of the index: 0.17 to 0.22
  measured on the bundled catalogue, docs/design-notes.md "Fan-out across functions"), so it
  needs index * (stats_share + (1 - stats_share) / N) of memory, over `fill` of its memory
  (the rest for the runtime and the heap). As N grows this tends to stats_share * index: past
  10,240 MB * fill / stats_share no shard count fits Lambda;
* a search over one shard takes setup_ms + (the whole index's search time - setup_ms) *
  N ** -size_exponent: a search does not shrink in proportion to its index (block-max pruning
  skips more of longer postings). 0.35 is measured: on the 818k catalogue one index answers in
  139 us p50 and the slowest of 7 shards in 71 us (bench/results/2026-12-07-xeon-2c-sharded-
  417ffe6.md; 7 ** -0.35 = 0.51). Below 1,769 MB a function is slower (Lambda's CPU share,
  options.LAMBDA_MB_PER_VCPU). Shard times are lognormal with the whole index's p90 / p50,
  and the coordinator waits for the slowest: the median of N draws' maximum is the
  0.5 ** (1 / N) quantile;
* the coordinator's billed time is that, plus `invoke_ms` (a synchronous Invoke round trip
  inside a region: an assumption, providers publish none) and `merge_ms` (the fan-out's
  overhead over its slowest shard, measured on loopback by bench/fan_out).

One larger instance: the smallest EC2 r7i (memory-optimised, 8 GiB per vCPU) whose memory
holds the whole index at `fill`, as many as the peak load needs at `target_util` (each search
occupying one vCPU for the whole index's search time), at least two for high availability,
behind a load balancer. It is billed by the hour whatever the traffic, so it wins above a
request rate: the break-even.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .errors import AdvisorInputError
from .options import LAMBDA_MB_PER_VCPU, _alb
from .prices import MONTH_HOURS, Prices

LAMBDA_MAX_MB = 10240.0  # docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
MONTH_S = MONTH_HOURS * 3600.0
# EC2 r7i sizes (vCPU, GiB); the on-demand price is linear in the size: r7i.large's per 2 vCPU.
R7I_SIZES = [("large", 2, 16), ("xlarge", 4, 32), ("2xlarge", 8, 64), ("4xlarge", 16, 128),
             ("8xlarge", 32, 256), ("12xlarge", 48, 384), ("16xlarge", 64, 512), ("24xlarge", 96, 768)]


@dataclass
class ShardingInputs:
    """What the model needs; README "When one machine is not enough" says where each comes from."""

    index_bytes: float  # One index of the whole catalogue (libsearch info: size).
    search_ms: float  # One search over the whole index, p50, one thread (billed duration).
    search_p90_ms: float  # Its p90.
    avg_qps: float
    peak_qps: float
    stats_share: float = 0.2  # Dictionary extracts / index bytes.
    fill: float = 0.7  # Share of a function's or instance's memory the index may take.
    base_mb: float = 64.0  # The runtime and heap besides the mapped index.
    setup_ms: float = 0.05  # Per search and shard, whatever the shard's size (parse, plan, scorers).
    size_exponent: float = 0.35  # Search time ~ index size ** this (measured; see the module's notes).
    invoke_ms: float = 8.0  # A synchronous Lambda Invoke round trip inside a region (assumption).
    merge_ms: float = 1.0  # The coordinator's overhead over its slowest shard (bench/fan_out).
    next_page_share: float = 0.1  # Searches that are next pages (a cursor: one more round).
    suggest_share: float = 0.02  # Searches that check a "did you mean" (one more round).
    response_bytes: float = 5000.0
    coordinator_mb: float = 512.0  # The coordinator function's memory (it waits; a merge needs little).
    target_util: float = 0.6  # The instance fleet's CPU target.
    front_door: str = "apigw_http"  # The coordinator's: function_url | apigw_http | apigw_rest.

    def check(self) -> None:
        for name in ("index_bytes", "search_ms", "search_p90_ms", "avg_qps", "peak_qps"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise AdvisorInputError(f"sharding: {name} must be a number > 0, got {v!r}")
        if self.search_p90_ms < self.search_ms:
            raise AdvisorInputError("sharding: search_p90_ms must be at least search_ms")
        if self.peak_qps < self.avg_qps:
            raise AdvisorInputError("sharding: peak_qps must be at least avg_qps")
        for name in ("stats_share", "fill", "target_util", "size_exponent"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise AdvisorInputError(f"sharding: {name} must be in (0, 1], got {v!r}")
        if self.coordinator_mb <= 0:
            raise AdvisorInputError("sharding: coordinator_mb must be > 0")
        for name in ("base_mb", "setup_ms", "invoke_ms", "merge_ms", "next_page_share", "suggest_share",
                     "response_bytes"):
            if getattr(self, name) < 0:
                raise AdvisorInputError(f"sharding: {name} must be >= 0")


@dataclass
class ShardPlan:
    shards: int
    shard_mb: float  # Memory a shard function needs (its shard, the extracts, the runtime).
    memory_mb: float  # What it is given (at least 1,769 MB: one vCPU, same GB-s price per search).
    fits: bool  # memory_mb <= Lambda's 10,240 MB.
    shard_ms: float  # One shard's search, p50 (billed).
    coordinator_ms: float  # The coordinator's billed time per search, p50.
    latency_ms: float  # What a client waits, p50, in the region (front door excluded).
    invocations_per_search: float  # Mean over first pages, next pages and suggestion counts.
    monthly: Dict[str, float] = field(default_factory=dict)

    @property
    def monthly_cost(self) -> float:
        return sum(self.monthly.values())


@dataclass
class InstancePlan:
    instance: str
    vcpu: int
    memory_gib: int
    instances: int
    latency_ms: float
    monthly: Dict[str, float] = field(default_factory=dict)

    @property
    def monthly_cost(self) -> float:
        return sum(self.monthly.values())


@dataclass
class ShardingAdvice:
    inputs: ShardingInputs
    plans: List[ShardPlan]  # N = 1 .. max_shards.
    best: Optional[ShardPlan]  # The cheapest that fits (fewest shards on a tie); None if none fits.
    instance: Optional[InstancePlan]  # None if no r7i size holds the index.
    break_even_qps: Optional[float]  # Average QPS above which the instance costs less; None: never/always.
    reasons: List[str]


def _lognormal_quantile(p50: float, p90: float, q: float) -> float:
    sigma = math.log(p90 / p50) / statistics.NormalDist().inv_cdf(0.9) if p90 > p50 else 0.0
    return p50 * math.exp(sigma * statistics.NormalDist().inv_cdf(q))


def plan(inp: ShardingInputs, n: int, prices: Prices) -> ShardPlan:
    """The fan-out across functions with n shards (n = 1: one function, no coordinator)."""
    index_mb = inp.index_bytes / 1024.0 ** 2
    data_mb = index_mb / n + (inp.stats_share * index_mb * (n - 1) / n if n > 1 else 0.0)
    shard_mb = data_mb / inp.fill + inp.base_mb
    memory_mb = max(shard_mb, LAMBDA_MB_PER_VCPU)
    slow = max(1.0, LAMBDA_MB_PER_VCPU / memory_mb)
    work = max(inp.search_ms - inp.setup_ms, 0.0)
    shrink = n ** -inp.size_exponent
    shard_p50 = (inp.setup_ms + work * shrink) * slow
    shard_p90 = (inp.setup_ms + work * (inp.search_p90_ms / inp.search_ms) * shrink) * slow
    rounds = 1.0 + inp.next_page_share + inp.suggest_share  # Shard invocations per search, per shard.
    if n == 1:
        coordinator_ms, latency = 0.0, shard_p50
        invocations = 1.0
    else:
        slowest = _lognormal_quantile(shard_p50, shard_p90, 0.5 ** (1.0 / n))
        merge = inp.merge_ms * max(1.0, LAMBDA_MB_PER_VCPU / inp.coordinator_mb)  # Its CPU share.
        coordinator_ms = rounds * (inp.invoke_ms + slowest) + merge
        latency = coordinator_ms
        invocations = 1.0 + n * rounds
    requests = inp.avg_qps * MONTH_S
    gb_s = requests * (n * rounds * shard_p50 * memory_mb + coordinator_ms * inp.coordinator_mb) / 1024.0 / 1000.0
    monthly = {"compute": gb_s * prices["lambda_x86_gb_s"],
               "requests": requests * invocations / 1e6 * prices["lambda_requests_per_million"]}
    if inp.front_door != "function_url":
        monthly["front door"] = requests / 1e6 * prices[f"{inp.front_door}_per_million"]
    monthly["egress"] = requests * (inp.response_bytes + 300.0) / 1e9 * prices["aws_egress_gb"]
    return ShardPlan(n, shard_mb, memory_mb, memory_mb <= LAMBDA_MAX_MB, shard_p50, coordinator_ms, latency,
                     invocations, monthly)


def one_instance(inp: ShardingInputs, prices: Prices, avg_qps: Optional[float] = None,
                 peak_qps: Optional[float] = None) -> Optional[InstancePlan]:
    """The smallest r7i holding the whole index, as many as the peak needs (2 or more)."""
    avg = inp.avg_qps if avg_qps is None else avg_qps
    peak = inp.peak_qps if peak_qps is None else peak_qps
    need_gib = (inp.index_bytes / 1024.0 ** 3) / inp.fill + inp.base_mb / 1024.0
    for size, vcpu, mem in R7I_SIZES:
        if mem < need_gib:
            continue
        busy = peak * inp.search_ms / 1000.0  # vCPUs busy at the peak.
        instances = max(2, math.ceil(busy / (vcpu * inp.target_util)))
        hourly = prices["ec2_r7i_large_hour"] * vcpu / 2
        requests = avg * MONTH_S
        monthly = {"compute": instances * hourly * MONTH_HOURS,
                   "load balancer": _alb(prices, requests, inp.response_bytes, 10.0, 60.0, False),
                   "egress": requests * (inp.response_bytes + 300.0) / 1e9 * prices["aws_egress_gb"]}
        return InstancePlan(f"r7i.{size}", vcpu, mem, instances, inp.search_ms, monthly)
    return None


def advise_sharding(inp: ShardingInputs, prices: Prices, max_shards: int = 64) -> ShardingAdvice:
    inp.check()
    plans = [plan(inp, n, prices) for n in range(1, max_shards + 1)]
    fitting = [p for p in plans if p.fits]
    best = min(fitting, key=lambda p: (round(p.monthly_cost, 2), p.shards)) if fitting else None
    inst = one_instance(inp, prices)
    reasons: List[str] = []
    index_gb = inp.index_bytes / 1e9
    if best is None:
        bound = LAMBDA_MAX_MB * inp.fill / inp.stats_share / 1024.0
        reasons.append(f"No shard count up to {max_shards} fits a Lambda function: each shard function maps "
                       f"its shard and the other shards' statistics ({inp.stats_share:.0%} of the index, "
                       f"whatever N), which stay above {LAMBDA_MAX_MB:,.0f} MB x {inp.fill:g} for an index over "
                       f"about {bound:,.0f} GiB. Serve it from instances (the service, in-process sharding).")
    elif best.shards == 1:
        reasons.append(f"The {index_gb:,.2f} GB index fits one function ({best.memory_mb:,.0f} MB): no sharding "
                       f"needed.")
    else:
        stats_mb = inp.stats_share * inp.index_bytes / 1024 ** 2 * (best.shards - 1) / best.shards
        fewest = next(p.shards for p in fitting)
        why = "the fewest that fit" if best.shards == fewest else f"cheaper than the fewest that fit, {fewest},"
        reasons.append(f"{best.shards} shards ({why} a function: {best.memory_mb:,.0f} MB each, of which the other "
                       f"shards' statistics {stats_mb:,.0f} MB); each search is {best.invocations_per_search:.2f} "
                       f"invocations on average, and the coordinator is billed {best.coordinator_ms:.1f} ms, "
                       f"mostly waiting for the slowest shard.")
    break_even = None
    if best is not None and inst is not None:
        per_request = best.monthly_cost / (inp.avg_qps * MONTH_S)
        ratio = inp.peak_qps / inp.avg_qps

        def gap(q: float) -> float:
            i = one_instance(inp, prices, q, q * ratio)
            return per_request * q * MONTH_S - (i.monthly_cost if i else math.inf)

        if gap(1e-6) < 0:
            lo, hi = 1e-6, max(inp.avg_qps, 1.0)
            while gap(hi) < 0 and hi < 1e7:
                lo, hi = hi, hi * 2
            if gap(hi) >= 0:
                for _ in range(60):
                    mid = (lo + hi) / 2
                    lo, hi = (mid, hi) if gap(mid) < 0 else (lo, mid)
                break_even = hi
        if inst.monthly_cost < best.monthly_cost:
            reasons.append(f"One larger instance beats sharding here: {inst.instances} x {inst.instance} "
                           f"({inst.memory_gib} GiB) cost ${inst.monthly_cost:,.2f}/month against "
                           f"${best.monthly_cost:,.2f} for {best.shards} shard functions"
                           + (f"; functions cost less below {break_even:.3g} QPS on average." if break_even else "."))
        else:
            reasons.append(f"Sharding across functions costs ${best.monthly_cost:,.2f}/month against "
                           f"${inst.monthly_cost:,.2f} for {inst.instances} x {inst.instance} holding the whole "
                           f"index" + (f"; above {break_even:.3g} QPS on average the instances cost less."
                                       if break_even else "."))
    return ShardingAdvice(inp, plans, best, inst, break_even, reasons)


def report(adv: ShardingAdvice, prices: Prices, title: str = "sharding") -> str:
    """A Markdown report: the inputs, the shard counts around the best, the instance, the verdict."""
    inp = adv.inputs
    lines = [f"# libsearch advisor: {title}", ""]
    lines += [f"- {r}" for r in adv.reasons]
    lines += ["", "## Shard counts", "",
              "| shards | memory per shard function | fits Lambda | shard p50 | coordinator billed p50 | "
              "latency p50 | invocations per search | $/month |",
              "|---|---|---|---|---|---|---|---|"]
    first = adv.best.shards if adv.best else 1
    shown = [p for p in adv.plans if p.shards in {1, 2, first - 1, first, first + 1, 2 * first, 4 * first}
             or p.shards == adv.plans[-1].shards]
    for p in shown:
        mark = " **(best)**" if adv.best is p else ""
        lines.append(f"| {p.shards}{mark} | {p.memory_mb:,.0f} MB | {'yes' if p.fits else 'no'} | "
                     f"{p.shard_ms:.2f} ms | {p.coordinator_ms:.2f} ms | {p.latency_ms:.2f} ms | "
                     f"{p.invocations_per_search:.2f} | {p.monthly_cost:,.2f} |")
    if adv.instance:
        i = adv.instance
        lines += ["", "## One larger instance", "",
                  f"{i.instances} x EC2 {i.instance} ({i.vcpu} vCPU, {i.memory_gib} GiB) holding the whole index: "
                  f"${i.monthly_cost:,.2f}/month ({', '.join(f'{k} ${v:,.2f}' for k, v in i.monthly.items())}), "
                  f"a search {i.latency_ms:.2f} ms p50 on one thread (a sharded index in the service searches its "
                  f"shards on threads: less)."]
        if adv.break_even_qps:
            lines.append(f"\nBreak-even: {adv.break_even_qps:.3g} QPS on average (the traffic's peak-to-average "
                         f"ratio kept); above it the instances cost less.")
    lines += ["", "## Inputs", "", "| input | value |", "|---|---|"]
    for k, v in vars(inp).items():
        lines.append(f"| {k} | {v:g} |" if isinstance(v, (int, float)) else f"| {k} | {v} |")
    lines += ["", "| price | value | unit | source |", "|---|---|---|---|"]
    for name in ("lambda_x86_gb_s", "lambda_requests_per_million", f"{inp.front_door}_per_million",
                 "ec2_r7i_large_hour", "alb_hour", "alb_lcu_hour", "aws_egress_gb"):
        if name in prices.entries and prices.entries[name] is not None:
            pr = prices.get(name)
            lines.append(f"| {name} | {pr.value:g} | {pr.unit} | {pr.source} |")
    return "\n".join(lines) + "\n"
