"""The serverless-vs-service advisor: measured profiles, a cost and latency model, a report.

    from pathlib import Path
    import libsearch_advisor as advisor

    p = advisor.profile("products.idx", advisor.Artefacts(service=Path("libsearch-service")))  # measures here
    advice = advisor.advise(p, "examples/advisor/small-shop.json", out="report/")
    print(advice.recommendation.option.label, advice.break_even)

Files written with `out`: report.md, report.html, cost_vs_qps.png, latency.png.

Pure Python (numpy; matplotlib for the charts); profiling also needs the libsearch
package. The command line is `libsearch-advisor profile|advise` (`python -m
libsearch_advisor`).
"""

from __future__ import annotations

import math
import pathlib
from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence, Union

from .errors import AdvisorInputError, OptionError, PriceError, ProfileError, TrafficError
from .model import (
    DEFAULT_CAP,
    BreakEven,
    Decision,
    OptionResult,
    Sweep,
    break_even,
    evaluate_with_intervals,
    recommend,
    sweep,
)
from .options import FunctionOption, Option, default_options, select_options
from .prices import Prices, load_prices
from .profile import Artefacts, Profile, load_profile, profile
from .traffic import Trace, Traffic, TrafficProfile, load_trace, load_traffic, traffic_from_json

__all__ = ["advise", "profile", "Advice", "Artefacts", "Profile", "Option", "load_profile", "load_traffic",
           "load_trace", "load_prices",
           "TrafficProfile", "Trace", "select_options", "default_options", "AdvisorInputError", "TrafficError",
           "PriceError", "ProfileError", "OptionError"]


@dataclass
class Advice:
    recommendation: OptionResult
    reasons: List[str]
    results: List[OptionResult]
    sweep: Sweep
    break_even: List[BreakEven]
    files: List[pathlib.Path] = field(default_factory=list)
    ties: List[OptionResult] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)


def _bill_text(r: OptionResult) -> str:
    from .report import _usd

    return ", ".join(f"{k} {_usd(v)}" for k, v in r.cost.items())


def _reasons(d: Decision, results: Sequence[OptionResult], bes: Sequence[BreakEven], traffic: Traffic,
             target: Optional[float], free_tier: bool) -> List[str]:
    from .model import P99_SHARE
    from .options import SIMPLICITY
    from .report import _ms, _qps, _usd

    rec = d.recommendation
    out = []
    if target is not None and not d.meets:
        out.append(f"No shipped option meets p99 <= {target:g} ms over its whole interval; this is the cheapest "
                   f"one regardless.")
    others = sorted((r for r in results if r is not rec and r.option.shipped), key=lambda r: r.monthly_cost)
    if d.ties:
        names = ", ".join(f"{r.option.label} ({_usd(r.monthly_cost)}, one cold start "
                          f"{_ms(r.cold_start_ms) + ' ms' if r.cold_start_ms else 'none'})" for r in d.ties)
        out.append(f"It ties on cost with {names}: their monthly costs are equal within the model's uncertainty "
                   f"(run on each repeat of the profile and with half the keep-alive, the cost difference changes "
                   f"sign or stays under a cent). The tie is "
                   f"broken by the stated rule: the faster cold start first "
                   f"({_ms(rec.cold_start_ms) + ' ms' if rec.cold_start_ms else 'none: no request waits for one'}"
                   f" here), then operational simplicity (rank {SIMPLICITY[rec.option.platform]}: "
                   f"functions 1, Cloud Run service 2, Fargate 3, VMs 4, hybrids 5).")
    elif others:
        nxt = others[0]
        out.append(f"It is the cheapest{' option meeting the latency target' if target is not None else ''}: "
                   f"{_usd(rec.monthly_cost)}/month ({_bill_text(rec)}) vs {_usd(nxt.monthly_cost)} for the next "
                   f"cheapest, {nxt.option.label}, in every run of the model.")
    if isinstance(rec.option, FunctionOption):
        out.append(f"It needs at most {rec.usage.peak_instances} concurrent instance(s) and bills "
                   f"{rec.usage.requests:,.0f} requests/month; {rec.cold_share:.2%} of requests hit a cold start "
                   f"(interval {rec.cold_range[0]:.2%}-{rec.cold_range[1]:.2%}; keep-alive "
                   f"{rec.option.keep_alive_s:g} s).")
    elif rec.option.kind == "hybrid":
        out.append(f"Its base fleet serves {1 - rec.usage.fn_requests / max(rec.usage.requests, 1):.1%} of the "
                   f"requests; the functions absorb the rest ({rec.usage.fn_requests:,.0f} a month).")
    else:
        out.append(f"It runs {rec.usage.instance_seconds / 3600 / 730:.2f} instances on average "
                   f"(at most {rec.usage.peak_instances}); no request waits for a cold start.")
    fastest = min(results, key=lambda r: r.p99_ms)
    out.append(f"Its p99 is {_ms(rec.p99_ms)} ms (interval {_ms(rec.p99_range[0])}-{_ms(rec.p99_range[1])})"
               + (f", target {target:g} ms" if target is not None else "")
               + (f"; the fastest option, {fastest.option.label}, has {_ms(fastest.p99_ms)} ms."
                  if fastest is not rec else "; no option is faster at p99."))
    if target is not None:
        out_cold = [r for r in results if r.option.shipped and r.cold_range[1] >= P99_SHARE
                    and r.cold_start_ms > target]
        if out_cold:
            out.append("Ruled out by the target because cold starts reach the p99 (their share's interval reaches "
                       f"{P99_SHARE:.0%} and one cold start exceeds {target:g} ms): "
                       + ", ".join(f"{r.option.label} ({r.cold_range[1]:.2%}, {_ms(r.cold_start_ms)} ms)"
                                   for r in out_cold) + ".")
    for r in d.cheaper_unshipped:
        out.append(f"{r.option.label} would cost {_usd(r.monthly_cost)}, but the project does not ship it "
                   f"(it builds x86_64 only), so it is not recommended.")
    hy = [r for r in results if r.option.kind == "hybrid"]
    for h in hy:
        pure_s = [r for r in results if r.option.kind == "service" and r.option.shipped]
        pure_f = [r for r in results if r.option.kind == "function" and r.option.shipped]
        bs = min(pure_s, key=lambda r: r.monthly_cost, default=None)
        bf = min(pure_f, key=lambda r: r.monthly_cost, default=None)
        if bs is None or bf is None:
            continue
        if h.monthly_cost < min(bs.monthly_cost, bf.monthly_cost):
            out.append(f"The hybrid ({h.option.label}) wins here: {_usd(h.monthly_cost)} vs {_usd(bs.monthly_cost)} "
                       f"for the cheapest service and {_usd(bf.monthly_cost)} for the cheapest function. One always-on "
                       f"instance carries the base load at service prices, the functions take the "
                       f"{h.usage.fn_requests / max(h.usage.requests, 1):.1%} of requests above it and stand in if "
                       f"it fails, so it needs no second instance for availability.")
        else:
            out.append(f"The hybrid ({h.option.label}, {_usd(h.monthly_cost)}) does not win here: a hybrid wins when "
                       f"the traffic is too steady for functions alone (request fees and duration above a service's "
                       f"price) but the peaks or the availability pair would make a service idle most of the time.")
    for b in bes:
        side = "below" if traffic.avg_qps < b.qps else "above"
        out.append(f"This traffic averages {_qps(traffic.avg_qps)} QPS, {side} the break-even of {_qps(b.qps)} QPS "
                   f"between {b.function_option} and {b.service_option} ({b.direction}).")
    if rec.updates is not None:
        from .updates import ITEMS

        upd = {k: rec.cost.get(k, 0.0) for k in ITEMS}
        polls = [r for r in results if r.updates is not None]
        most = max(polls, key=lambda r: r.cost.get("refresh polls", 0.0))
        out.append(f"Keeping the index fresh adds {_usd(sum(upd.values()))} a month to it ("
                   + ", ".join(f"{k} {_usd(v)}" for k, v in upd.items()) + "; the section \"Keeping the index "
                   f"fresh\" explains each). Its refresh polls grow with its instances and 1 / refresh_seconds: "
                   f"{most.option.label} pays the most for them, {_usd(most.cost.get('refresh polls', 0.0))}.")
    if not free_tier:
        out.append("Costs exclude free tiers (--free-tier counts them; see the note under the cost table).")
    return out


def advise(profile: Union[Profile, str, pathlib.Path], traffic: Union[Traffic, str, pathlib.Path, Mapping[str, Any]],
           prices: Union[str, pathlib.Path, Mapping[str, Any], Prices, None] = None,
           out: Union[str, pathlib.Path, None] = None, options: Optional[Sequence[str]] = None,
           overrides: Optional[Mapping[str, Mapping[str, Any]]] = None, p99_target_ms: Optional[float] = None,
           seed: int = 7, sweep_qps: Optional[Sequence[float]] = None, free_tier: bool = False,
           rtt_ms: float = 0.0, cap: int = DEFAULT_CAP) -> Advice:
    """Simulates every option for `traffic` with `profile`'s measurements and recommends one.

    Free tiers count only with `free_tier` (they are per account and shared). `rtt_ms` is the
    network round trip between the clients and the region, added to every request's latency (the
    profile measures on loopback). `cap` bounds the requests simulated per day (accuracy vs time).
    With `out`, writes out/report.md, out/report.html, out/cost_vs_qps.png and out/latency.png.
    Bad inputs raise AdvisorInputError subclasses (ValueError) naming the input and the fix.
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    if isinstance(traffic, (TrafficProfile, Trace)):
        tr: Traffic = traffic
    elif isinstance(traffic, Mapping):
        tr = traffic_from_json(dict(traffic), "traffic argument")
    else:
        tr = load_traffic(traffic)
    pr = prices if isinstance(prices, Prices) else load_prices(prices)
    if p99_target_ms is not None and (not math.isfinite(p99_target_ms) or p99_target_ms <= 0):
        raise OptionError(f"p99 target {p99_target_ms} must be a positive number of milliseconds")
    if not math.isfinite(rtt_ms) or rtt_ms < 0:
        raise OptionError(f"network round trip {rtt_ms} must be a number of milliseconds >= 0")
    opts = select_options(options, overrides)
    results = evaluate_with_intervals(prof, tr, opts, pr, seed, cap, free_tier, rtt_ms)
    sw = sweep(prof, tr, opts, pr, seed, sweep_qps, min(cap, 20_000), free_tier)
    bes = break_even(sw, opts)
    d = recommend(results, p99_target_ms)
    reasons = _reasons(d, results, bes, tr, p99_target_ms, free_tier)
    warnings = [w for w in [prof.load_warning()] if w]
    advice = Advice(d.recommendation, reasons, results, sw, bes, ties=d.ties, warnings=warnings)
    if out is not None:
        from . import report

        dd = pathlib.Path(out)
        dd.mkdir(parents=True, exist_ok=True)
        report.cost_chart(dd / "cost_vs_qps.png", sw, results, bes, tr, free_tier)
        report.latency_chart(dd / "latency.png", results, tr, rtt_ms)
        md = report.markdown(advice, tr, prof, pr, p99_target_ms, seed, free_tier, rtt_ms,
                             ["cost_vs_qps.png", "latency.png"])
        (dd / "report.md").write_text(md)
        (dd / "report.html").write_text(report.html(md, f"libsearch advisor: {tr.name}"))
        advice.files = [dd / "report.md", dd / "report.html", dd / "cost_vs_qps.png", dd / "latency.png"]
    return advice
