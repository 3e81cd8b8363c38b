"""The serverless-vs-service advisor: measured profiles, a cost and latency model, a report.

    from pathlib import Path
    import libsearch_advisor as advisor

    p = advisor.profile("products.idx", advisor.Artefacts(service=Path("libsearch-service")))  # measures here
    advice = advisor.advise(p, "examples/advisor/small-shop.json", out="report/")
    print(advice.recommendation.option.label, advice.break_even)

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
from .model import BreakEven, OptionResult, Sweep, break_even, evaluate, sweep
from .options import Option, default_options, select_options
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


def _reasons(rec: OptionResult, results: Sequence[OptionResult], bes: Sequence[BreakEven], traffic: Traffic,
             target: Optional[float]) -> List[str]:
    from .report import _ms, _qps, _usd

    out = []
    others = sorted((r for r in results if r is not rec), key=lambda r: r.monthly_cost)
    tied = [r for r in others if round(r.monthly_cost, 2) == round(rec.monthly_cost, 2)]
    if tied:
        out.append(f"It ties on cost with {', '.join(r.option.label for r in tied)} at {_usd(rec.monthly_cost)}/month "
                   f"(free tiers cover this traffic) and has the lowest p99 of them.")
    elif others:
        nxt = others[0]
        out.append(f"It is the cheapest{' option meeting the latency target' if target is not None else ''}: "
                   f"{_usd(rec.monthly_cost)}/month ({', '.join(f'{k} {_usd(v)}' for k, v in rec.cost.items())}) "
                   f"vs {_usd(nxt.monthly_cost)} for the next cheapest, {nxt.option.label}.")
    if rec.option.kind == "function":
        out.append(f"It needs at most {rec.usage.peak_instances} concurrent instance(s) and bills only "
                   f"{rec.usage.requests:,.0f} requests/month of work; {rec.cold_share:.2%} of requests hit a "
                   f"cold start (keep-alive {rec.option.keep_alive_s:g} s).")  # type: ignore[union-attr]
    else:
        out.append(f"It runs {rec.usage.instance_seconds / 3600 / 730:.2f} instances on average "
                   f"(at most {rec.usage.peak_instances}); no request waits for a cold start.")
    fastest = min(results, key=lambda r: r.p99_ms)
    out.append(f"Its p99 is {_ms(rec.p99_ms)} ms" + (f" (target {target:g} ms)" if target is not None else "")
               + (f"; the fastest option, {fastest.option.label}, has {_ms(fastest.p99_ms)} ms."
                  if fastest is not rec else "; no option is faster at p99."))
    for b in bes:
        side = "below" if traffic.avg_qps < b.qps else "above"
        out.append(f"This traffic averages {_qps(traffic.avg_qps)} QPS, {side} the break-even of {_qps(b.qps)} QPS "
                   f"between {b.function_option} and {b.service_option} ({b.direction}).")
    return out


def advise(profile: Union[Profile, str, pathlib.Path], traffic: Union[Traffic, str, pathlib.Path, Mapping[str, Any]],
           prices: Union[str, pathlib.Path, Mapping[str, Any], Prices, None] = None,
           out: Union[str, pathlib.Path, None] = None, options: Optional[Sequence[str]] = None,
           overrides: Optional[Mapping[str, Mapping[str, Any]]] = None, p99_target_ms: Optional[float] = None,
           seed: int = 7, sweep_qps: Optional[Sequence[float]] = None) -> Advice:
    """Simulates every option for `traffic` with `profile`'s measurements and recommends one.

    With `out`, writes out/report.md, out/cost_vs_qps.png and out/latency.png.
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
    opts = select_options(options, overrides)
    results = evaluate(prof, tr, opts, pr, seed)
    sw = sweep(prof, tr, opts, pr, seed, sweep_qps)
    bes = break_even(sw, opts)
    ok = [r for r in results if p99_target_ms is None or r.p99_ms <= p99_target_ms]
    # Cheapest to the cent; among equal bills (free tiers), the lower p99.
    rec = min(ok or results, key=lambda r: (round(r.monthly_cost, 2), r.p99_ms))
    reasons = _reasons(rec, results, bes, tr, p99_target_ms)
    if not ok:
        reasons.insert(0, f"No option meets p99 <= {p99_target_ms:g} ms; this is the cheapest one regardless.")
    advice = Advice(rec, reasons, results, sw, bes)
    if out is not None:
        from . import report

        d = pathlib.Path(out)
        d.mkdir(parents=True, exist_ok=True)
        report.cost_chart(d / "cost_vs_qps.png", sw, results, bes, tr)
        report.latency_chart(d / "latency.png", results, tr)
        (d / "report.md").write_text(report.markdown(results, rec, reasons, sw, bes, tr, prof, pr, p99_target_ms,
                                                     seed, ["cost_vs_qps.png", "latency.png"]))
        advice.files = [d / "report.md", d / "cost_vs_qps.png", d / "latency.png"]
    return advice
