"""The report: report.md (recommendation, reasons, tables, inputs) and two PNG charts."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import List, Optional, Sequence

import numpy as np

from .model import BreakEven, OptionResult, Sweep
from .options import FunctionOption
from .prices import MONTH_HOURS, Prices
from .profile import Profile, percentile
from .traffic import Trace, Traffic

COST_FLOOR = 0.01  # Free tiers make bills $0; a log axis draws them at one cent.


def _usd(x: float) -> str:
    return f"${x:,.2f}" if x >= 0.995 or x == 0 else f"${x:.3f}"


def _ms(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _qps(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def traffic_text(t: Traffic) -> str:
    if isinstance(t, Trace):
        return (f"trace '{t.name}': {len(t.times):,} requests over {t.duration:,.0f} s (average {_qps(t.avg_qps)} "
                f"QPS, busiest second {_qps(t.peak_qps)}), repeated to fill a month")
    extra = f", {t.spikes_per_day} spikes/day of {t.spike_minutes:g} min" if t.shape == "spiky" else ""
    return (f"'{t.name}': average {_qps(t.avg_qps)} QPS, peak {_qps(t.peak_qps)} QPS, shape {t.shape}{extra}, "
            f"burstiness {t.burstiness:g} (mean extra requests arriving together)")


def cost_chart(path: pathlib.Path, sw: Sweep, results: Sequence[OptionResult], bes: Sequence[BreakEven],
               traffic: Traffic) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.6), dpi=110)
    for r in results:
        o = r.option
        ax.plot(sw.qps, np.maximum(sw.costs[o.name], COST_FLOOR), marker=".", linewidth=1.6,
                linestyle="-" if o.kind == "function" else "--", label=o.label)
    for b in bes:
        ax.plot([b.qps], [max(b.cost, COST_FLOOR)], marker="o", markersize=11, markerfacecolor="none",
                markeredgecolor="black", markeredgewidth=1.8, zorder=5)
        ax.annotate(f"break-even\n{_qps(b.qps)} QPS, {_usd(b.cost)}/month", (b.qps, max(b.cost, COST_FLOOR)),
                    textcoords="offset points", xytext=(12, -30), fontsize=9,
                    arrowprops={"arrowstyle": "-", "color": "black"})
    ax.axvline(traffic.avg_qps, color="grey", linestyle=":", linewidth=1.2)
    ax.text(traffic.avg_qps, 1.0, f" this traffic\n ({_qps(traffic.avg_qps)} QPS)",
            transform=ax.get_xaxis_transform(), va="top", fontsize=9, color="dimgrey")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("average load (queries per second, log scale)")
    ax.set_ylabel("monthly cost (USD, log scale)")
    shape = "trace pattern" if isinstance(traffic, Trace) else f"{traffic.shape} shape"
    ax.set_title(f"Monthly cost vs average load ({shape}; free tiers included; under \\$0.01 drawn at \\$0.01)",
                 fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8.5, loc="upper left", title="solid: functions, dashed: services", title_fontsize=8.5)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def latency_chart(path: pathlib.Path, results: Sequence[OptionResult], traffic: Traffic) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 7.0), dpi=110)
    for r in results:
        if len(r.latency_ms) == 0:
            continue
        order = np.argsort(r.latency_ms)
        x, w = r.latency_ms[order], r.weights[order]
        slower = 1.0 - np.cumsum(w) / w.sum()
        keep = slower > 0
        ax.step(x[keep], slower[keep], where="post", linewidth=1.5,
                linestyle="-" if r.option.kind == "function" else "--",
                label=f"{r.option.label}: p50 {_ms(r.p50_ms)}, p99 {_ms(r.p99_ms)} ms")
    for q, name in ((0.5, "p50"), (0.01, "p99")):
        ax.axhline(q, color="grey", linestyle=":", linewidth=1)
        ax.text(1.0, q, f" {name}", transform=ax.get_yaxis_transform(), va="center", fontsize=9, color="dimgrey")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-5, 1.5)  # 1 request in 100,000: below that the tail is a handful of samples.
    ax.set_xlabel("latency per request, client round trip incl. cold starts (ms, log scale)")
    ax.set_ylabel("share of requests slower than x (log scale)")
    ax.set_title(f"Latency distribution per option, traffic {traffic.name} at {_qps(traffic.avg_qps)} QPS average",
                 fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)  # Below: the tails stay visible.
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def markdown(results: Sequence[OptionResult], rec: OptionResult, reasons: List[str], sw: Sweep,
             bes: Sequence[BreakEven], traffic: Traffic, profile: Profile, prices: Prices,
             p99_target_ms: Optional[float], seed: int, charts: Sequence[str]) -> str:
    L: List[str] = [f"# libsearch advisor: {traffic.name}", ""]
    L += [f"**Recommendation: {rec.option.label}** — {_usd(rec.monthly_cost)} per month, p50 {_ms(rec.p50_ms)} ms, "
          f"p99 {_ms(rec.p99_ms)} ms, {rec.cold_share:.2%} of requests hit a cold start.", "", "Why:", ""]
    L += [f"- {r}" for r in reasons]
    L += ["", "## Options", "",
          f"Traffic: {traffic_text(traffic)}. Each figure is per month (730 h) unless stated; latency is the client "
          f"round trip, cold starts included. Instances needed: the most requests in flight at once (functions) or "
          f"the most instances running (services); a clump of simultaneous requests needs one function instance "
          f"each.", "",
          "| option | monthly cost | bill | p50 ms | p99 ms | cold starts | one cold start, ms | "
          "instances needed (peak) | instance-hours | requests |", "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(results, key=lambda r: r.monthly_cost):
        bill = ", ".join(f"{k} {_usd(v)}" for k, v in r.cost.items())
        L.append(f"| {r.option.label} | {_usd(r.monthly_cost)} | {bill} | {_ms(r.p50_ms)} | {_ms(r.p99_ms)} | "
                 f"{r.cold_share:.2%} | {_ms(r.cold_start_ms) if r.option.kind == 'function' else '-'} | "
                 f"{r.usage.peak_instances} | {r.usage.instance_seconds / 3600:,.0f} | "
                 f"{r.usage.requests:,.0f} |")
    L += ["", "## Break-even", ""]
    if bes:
        for b in bes:
            L.append(f"- At **{_qps(b.qps)} QPS** average ({b.qps * MONTH_HOURS * 3600 / 1e6:,.1f} M requests/month) "
                     f"the cheapest function option ({b.function_option}) and the cheapest service option "
                     f"({b.service_option}) both cost about {_usd(b.cost)}/month; {b.direction}.")
    elif {r.option.kind for r in results} == {"function", "service"}:
        L.append(f"- No crossing between {_qps(sw.qps[0])} and {_qps(sw.qps[-1])} QPS: one side is cheaper over "
                 f"the whole range.")
    else:
        L.append("- Not computed: it needs at least one function option and one service option.")
    L += ["", "Same traffic shape and peak/average ratio at other averages (the cost chart):", "",
          "| average QPS | " + " | ".join(r.option.name for r in results) + " |",
          "|---:|" + "---:|" * len(results)]
    for i, q in enumerate(sw.qps):
        L.append(f"| {_qps(q)} | " + " | ".join(_usd(sw.costs[r.option.name][i]) for r in results) + " |")
    L += ["", "## Charts", ""] + [f"![{c}]({c})" for c in charts]
    L += ["", "## Inputs (every number above comes from these)", "", "### Measured profile", "",
          f"Measured {profile.date} on {profile.machine.get('cores', '?')} cores ({profile.machine.get('cpu', '?')}), "
          f"index {profile.index.get('path', '?')} ({profile.index.get('bytes', 0):,} bytes). {profile.method}.", "",
          "| surface | cold start p50 ms (runs) | process start / index open / first query ms | first query page "
          "faults, minor / major | warm p50 / p99 ms | CPU per query p50 / p99 ms | peak RSS MiB |",
          "|---|---:|---|---|---|---|---:|"]
    for name, s in profile.surfaces.items():
        c = s.cold_components_ms
        comp = " / ".join(_ms(c[k]) if k in c else "-" for k in ("process_start", "index_open", "first_query"))
        f = s.first_query_page_faults
        pf = f"{f['minor']:g} / {f['major']:g}" if f else "-"
        L.append(f"| {name} | {_ms(percentile(s.cold_ms, 50))} ({len(s.cold_ms)}) | {comp} | {pf} | "
                 f"{_ms(percentile(s.warm_ms, 50))} / {_ms(percentile(s.warm_ms, 99))} | "
                 f"{percentile(s.cpu_ms, 50):.3f} / {percentile(s.cpu_ms, 99):.3f} | {s.peak_rss_mib} |")
    L += ["", "### Options", "", "| option | surface | parameters | where defaults come from |", "|---|---|---|---|"]
    for r in results:
        o = r.option
        skip = {"name", "label", "surface", "notes", "kind"}
        params = ", ".join(f"{f.name}={getattr(o, f.name)}" for f in dataclasses.fields(o) if f.name not in skip)
        if isinstance(o, FunctionOption):
            params += f" (CPU share {o.cpu_share():.2f} vCPU)"
        notes = "; ".join(f"{k}: {v}" for k, v in o.notes.items()) or "-"
        L.append(f"| {o.name} | {o.surface} | {params} | {notes} |")
    L += ["", "### Prices", "", f"From {prices.origin}.", "", "| price | value | unit | source | date |",
          "|---|---:|---|---|---|"]
    for name, p in prices.entries.items():
        if p is not None:
            L.append(f"| {name} | {p.value:g} | {p.unit} | {p.source} | {p.date} |")
    L += ["", "### Method", "",
          "Discrete-event simulation (libsearch_advisor.simulate; seed "
          f"{seed}): functions serve one request per instance, start a new instance (a cold start) when no warm "
          "one is idle and reclaim an instance after its keep-alive; services queue requests FIFO over "
          "instances x vCPUs, autoscale on CPU busy time with a lag, or are sized for the peak. Warm latency and "
          "CPU time are drawn from the measured samples, scaled by the option's CPU share (Lambda: memory / "
          "1,769 MB); cold starts are the measured local spawn-to-first-answer plus the option's platform_cold_ms. "
          "Windows and their scaling to a month: libsearch_advisor.model (docstring). Not modelled: tiered "
          "discounts beyond the first tier, data transfer, logging, Savings Plans, multi-AZ redundancy "
          "(set min_instances=2 for it)."]
    if p99_target_ms is not None:
        L.insert(3, f"Latency target: p99 <= {p99_target_ms:g} ms.")
    return "\n".join(L) + "\n"
