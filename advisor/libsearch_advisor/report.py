"""The report: report.md and report.html (recommendation, reasons, tables, inputs) and two PNG charts."""

from __future__ import annotations

import dataclasses
import html as html_lib
import math
import pathlib
import re
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .model import MULTIPLES, BreakEven, OptionResult, Sweep
from .options import FREE_TIER_NOTE, FunctionOption
from .prices import MONTH_HOURS, Prices
from .profile import Profile, percentile
from .traffic import Trace, Traffic
from .updates import GC_GRACE_S, ITEMS as UPDATE_ITEMS, S3_MB_S, S3_REQUEST_MS, SQS_IDLE_POLLERS

if TYPE_CHECKING:
    from . import Advice

# The bill's items, in the order of the tables' columns.
ITEMS = ("compute", "requests", "front door", "load balancer", "always warm", "overflow functions", "egress",
         "logs") + UPDATE_ITEMS


def _usd(x: float) -> str:
    if x == 0:
        return "$0"
    return f"${x:,.2f}" if x >= 0.995 else f"${x:.3f}" if x >= 0.0095 else "<$0.01"


def _ms(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _qps(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _range(lo: float, hi: float, fmt: Callable[[float], str] = _ms) -> str:
    a, b = fmt(lo), fmt(hi)
    return a if a == b else f"{a}-{b}"


def _pct(lo: float, hi: float) -> str:
    a, b = f"{lo:.2%}", f"{hi:.2%}"
    return a if a == b else f"{a}-{b}"


def _label(r: OptionResult) -> str:
    return r.option.label + ("" if r.option.shipped else " (not shipped)")


def traffic_text(t: Traffic) -> str:
    if isinstance(t, Trace):
        return (f"trace '{t.name}': {len(t.times):,} requests over {t.duration:,.0f} s (average {_qps(t.avg_qps)} "
                f"QPS, busiest second {_qps(t.peak_qps)}), repeated to fill a month")
    extra = f", {t.spikes_per_day} spikes/day of {t.spike_minutes:g} min" if t.shape == "spiky" else ""
    return (f"'{t.name}': average {_qps(t.avg_qps)} QPS, peak {_qps(t.peak_qps)} QPS, shape {t.shape}{extra}, "
            f"burstiness {t.burstiness:g} (mean extra requests arriving together)")


# --- charts -----------------------------------------------------------------------------------------------

_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
           "#bcbd22"]
_LINES = ["-", "--", "-.", ":"]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<"]


def _style(i: int) -> Dict[str, object]:
    """A distinct colour, dash pattern and marker per option; every other option's markers are hollow
    and larger, so that lines lying on top of each other still show both."""
    c = _COLORS[i % len(_COLORS)]
    hollow = i % 2 == 1
    return {"color": c, "linestyle": _LINES[i % len(_LINES)], "marker": _MARKERS[i % len(_MARKERS)],
            "markersize": 8 if hollow else 4.5, "markerfacecolor": "none" if hollow else c,
            "markeredgewidth": 1.3}


def _spread(ys: List[float], factor: float) -> List[float]:
    """Label positions (log scale) near `ys`, in the same order, at least `factor` apart."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = [0.0] * len(ys)
    prev = -math.inf
    for i in order:
        y = max(math.log(ys[i]), prev + math.log(factor))
        out[i] = y
        prev = y
    shift = (sum(out) - sum(math.log(y) for y in ys)) / len(ys)  # Re-centre on the points.
    return [math.exp(y - shift) for y in out]


def cost_chart(path: pathlib.Path, sw: Sweep, results: Sequence[OptionResult], bes: Sequence[BreakEven],
               traffic: Traffic, free_tier: bool = False) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 6.6), dpi=110)
    zero = False
    here: List[Tuple[float, int, str]] = []
    for i, r in enumerate(results):
        o = r.option
        line = np.array(sw.costs[o.name], dtype=float)
        zero |= bool((line <= 0).any())
        # A $0 bill (a free tier) has no place on a log axis: those points are left out, not
        # drawn at a floor (which would show a false flat stretch).
        ax.plot(sw.qps, np.where(line > 0, line, np.nan), linewidth=1.6, alpha=1.0 if o.shipped else 0.6,
                label=_label(r), **_style(i))  # type: ignore[arg-type]
        if r.monthly_cost > 0:
            here.append((r.monthly_cost, i, o.name))
    q = traffic.avg_qps
    ax.set_xscale("log")
    ax.set_yscale("log")
    for b in bes:
        if b.cost > 0:
            ax.plot([b.qps], [b.cost], marker="o", markersize=12, markerfacecolor="none", markeredgecolor="black",
                    markeredgewidth=1.6, zorder=5)
            ax.annotate(f"break-even\n{_qps(b.qps)} QPS", (b.qps, b.cost), textcoords="offset points",
                        xytext=(10, -28), fontsize=8.5, arrowprops={"arrowstyle": "-", "color": "black"})
    ax.axvline(q, color="black", linestyle=":", linewidth=1.3)
    lo_x, hi_x = float(sw.qps.min()), float(sw.qps.max())
    right = math.log(q / lo_x) > 0.7 * math.log(hi_x / lo_x) if hi_x > lo_x else False
    ax.text(q, 0.99, (f"your traffic: {_qps(q)} QPS " if right else f" your traffic: {_qps(q)} QPS"),
            transform=ax.get_xaxis_transform(), va="top", ha="right" if right else "left", fontsize=9,
            fontweight="bold")
    # Each option's cost at the user's traffic: a point on its line and a label in a column beside it,
    # spaced by at least one line of text (in the axis's own log scale).
    if here:
        fig.tight_layout()
        y0, y1 = ax.get_ylim()
        height_px = ax.get_window_extent().height
        step = 10 ** (math.log10(y1 / y0) * 18.0 / max(height_px, 1.0))
        ys = _spread([c for c, _, _ in here], step)
        for (c, i, name), y in zip(here, ys):
            col = _COLORS[i % len(_COLORS)]
            ax.plot([q], [c], marker="o", markersize=5, color=col, markeredgecolor="black", zorder=6)
            ax.annotate(f"{name} {_usd(c)}", (q, c), xytext=(q / 2.2 if right else q * 2.2, y), textcoords="data",
                        fontsize=7.5, color=col, fontweight="bold", va="center", ha="right" if right else "left",
                        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
                        arrowprops={"arrowstyle": "-", "color": col, "linewidth": 0.7}, zorder=7)
    ax.set_xlabel("average load (queries per second, log scale)")
    ax.set_ylabel("monthly cost (USD, log scale)")
    shape = "trace pattern" if isinstance(traffic, Trace) else f"{traffic.shape} shape"
    ax.set_title(f"Monthly cost vs average load ({shape}; {'with' if free_tier else 'without'} free tiers"
                 + ("; $0 bills not drawn" if zero else "") + ")", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def latency_chart(path: pathlib.Path, results: Sequence[OptionResult], traffic: Traffic, rtt_ms: float = 0.0) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rs = sorted((r for r in results if math.isfinite(r.p99_ms)), key=lambda r: r.p99_ms, reverse=True)
    fig, ax = plt.subplots(figsize=(10, 0.62 * len(rs) + 1.8), dpi=110)
    if not rs:  # No request in the simulated month (cannot happen with a valid traffic file).
        ax.text(0.5, 0.5, "no requests simulated", ha="center", transform=ax.transAxes)
        fig.savefig(path)
        plt.close(fig)
        return
    y = np.arange(len(rs))
    h = 0.38
    p50 = [r.p50_ms for r in rs]
    p99 = [r.p99_ms for r in rs]
    err = np.array([[r.p99_ms - r.p99_range[0] for r in rs], [r.p99_range[1] - r.p99_ms for r in rs]])
    ax.barh(y + h / 2, p50, h, color="#9ecae1", label="p50 (median)")
    ax.barh(y - h / 2, p99, h, color="#08519c", xerr=err, ecolor="black", capsize=3,
            label="p99 (1 request in 100 is slower); whisker: its interval (the profile's repeats, half the "
                  "keep-alive)")
    for k, r in enumerate(rs):
        ax.text(r.p50_ms * 1.08, k + h / 2, f"{_ms(r.p50_ms)} ms", va="center", fontsize=8)
        ax.text(max(r.p99_range[1], r.p99_ms) * 1.08, k - h / 2,
                f"{_ms(r.p99_ms)} ms" + (f"  ({r.cold_share:.2%} cold starts)" if r.cold_share > 0 else ""),
                va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels([_label(r) for r in rs], fontsize=8.5)
    ax.set_xscale("log")
    ax.set_xlim(min(p50) / 1.5, max(max(r.p99_range[1] for r in rs), max(p99)) * 30)  # Room for the labels.
    net = f"loopback + {rtt_ms:g} ms network round trip" if rtt_ms else "measured on loopback, no network"
    ax.set_xlabel(f"latency per request, ms (log scale; {net})")
    ax.set_title(f"Latency per option at {_qps(traffic.avg_qps)} QPS average ({traffic.name})", fontsize=10)
    ax.grid(True, axis="x", which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.06 - 0.5 / max(len(rs), 1)), ncol=1,
              frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# --- text -------------------------------------------------------------------------------------------------


def _items(results: Sequence[OptionResult]) -> List[str]:
    seen = {k for r in results for k, v in r.cost.items() if v > 0}
    return [k for k in ITEMS if k in seen] + sorted(seen - set(ITEMS))


def markdown(advice: "Advice", traffic: Traffic, profile: Profile, prices: Prices, p99_target_ms: Optional[float],
             seed: int, free_tier: bool, rtt_ms: float, charts: Sequence[str]) -> str:
    results, rec, sw, bes = advice.results, advice.recommendation, advice.sweep, advice.break_even
    tied = {id(r) for r in advice.ties}
    L: List[str] = [f"# libsearch advisor: {traffic.name}", ""]
    for w in advice.warnings:
        L += [f"> **Warning:** {w}", ""]
    L += [f"**Recommendation: {rec.option.label}** — {_usd(rec.monthly_cost)} per month "
          f"({_range(*rec.cost_range, fmt=_usd)}), p50 {_ms(rec.p50_ms)} ms, p99 {_ms(rec.p99_ms)} ms "
          f"({_range(*rec.p99_range)}), {rec.cold_share:.2%} of requests hit a cold start "
          f"({_pct(*rec.cold_range)}).", ""]
    if p99_target_ms is not None:
        L += [f"Latency target: p99 <= {p99_target_ms:g} ms over the whole interval, cold starts included.", ""]
    L += ["Why:", ""] + [f"- {r}" for r in advice.reasons]
    items = _items(results)
    net = f"loopback + {rtt_ms:g} ms round trip (--rtt-ms)" if rtt_ms else "loopback, no network (--rtt-ms adds it)"
    L += ["", "## At a glance", "",
          f"Traffic: {traffic_text(traffic)}. Monthly cost (730 h) by item, {'with' if free_tier else 'without'} "
          f"free tiers; latency is the client's round trip ({net}), cold starts included. Ranges are the model's "
          f"intervals: its runs on each repeat of the profile and with half the functions' keep-alive. "
          f"**bold**: the recommendation; *tie*: equal cost within the model's uncertainty (the cost difference "
          f"changes sign between those runs, or is under a cent).", "",
          "| option | monthly cost | " + " | ".join(items) + " | p50 ms | p99 ms | cold starts | one cold start, ms |",
          "|---|---:|" + "---:|" * len(items) + "---:|---:|---:|---:|"]
    for r in sorted(results, key=lambda r: r.monthly_cost):
        name = f"**{_label(r)}**" if r is rec else _label(r) + (" *tie*" if id(r) in tied else "")
        cells = [_usd(r.cost.get(k, 0.0)) if k in r.cost else "-" for k in items]
        L.append(f"| {name} | {_usd(r.monthly_cost)} ({_range(*r.cost_range, fmt=_usd)}) | " + " | ".join(cells)
                 + f" | {_ms(r.p50_ms)} | {_ms(r.p99_ms)} ({_range(*r.p99_range)}) | {_pct(*r.cold_range)} | "
                 f"{_ms(r.cold_start_ms) if r.cold_start_ms else '-'} |")
    L += ["", "The same traffic shape at other averages (monthly cost; the last column counts every free tier):",
          "", "| option | " + " | ".join(f"{m:g}x ({_qps(traffic.avg_qps * m)} QPS)" for m in MULTIPLES)
          + " | 1x with free tiers |", "|---|" + "---:|" * (len(MULTIPLES) + 1)]
    for r in sorted(results, key=lambda r: r.monthly_cost):
        # 1x is the main run's (the table above); the others come from the sweep.
        row = [_usd(r.monthly_cost if m == 1.0 else sw.costs[r.option.name][sw.at(traffic.avg_qps * m)])
               for m in MULTIPLES]
        L.append(f"| {_label(r)} | " + " | ".join(row) + f" | {_usd(sum(r.cost_free_tier.values()))} |")
    L += ["", f"Free tiers: {FREE_TIER_NOTE} They are {'counted' if free_tier else 'not counted'} above "
              f"({'--free-tier' if free_tier else 'add --free-tier to count them'}).", ""]
    if traffic.updates is not None:
        L += updates_section(results, traffic, profile)
    L += ["## Charts", ""] + [f"![{c}]({c})" for c in charts]
    L += ["", "## Break-even", ""]
    if bes:
        for b in bes:
            L.append(f"- At **{_qps(b.qps)} QPS** average ({b.qps * MONTH_HOURS * 3600 / 1e6:,.1f} M requests/month) "
                     f"the cheapest shipped function option ({b.function_option}) and the cheapest shipped service "
                     f"option ({b.service_option}) both cost about {_usd(b.cost)}/month; {b.direction}.")
    elif {r.option.kind for r in results} >= {"function", "service"}:
        L.append(f"- No crossing between {_qps(sw.qps[0])} and {_qps(sw.qps[-1])} QPS: one side is cheaper over "
                 f"the whole range.")
    else:
        L.append("- Not computed: it needs at least one function option and one service option.")
    L += ["", "Monthly cost at each average of the cost chart:", "",
          "| average QPS | " + " | ".join(r.option.name for r in results) + " |",
          "|---:|" + "---:|" * len(results)]
    for i, q in enumerate(sw.qps):
        L.append(f"| {_qps(q)} | " + " | ".join(_usd(sw.costs[r.option.name][i]) for r in results) + " |")
    L += ["", "## Details per option", "",
          "| option | instances needed (peak) | instance-hours | requests | served by functions | billed duration "
          "from | answer bytes | log bytes per request |", "|---|---:|---:|---:|---:|---|---:|---:|"]
    for r in results:
        u = r.usage
        fn = u.fn_requests if r.option.kind == "hybrid" else (u.requests if r.option.kind == "function" else 0.0)
        L.append(f"| {r.option.name} | {u.peak_instances} | {u.instance_seconds / 3600:,.0f} | {u.requests:,.0f} | "
                 f"{fn:,.0f} | {r.billed_from or '-'} | {u.response_bytes:,.0f} | {u.log_bytes:,.0f} |")
    loads = profile.machine.get("loadavg_1min") or (profile.machine.get("loadavg_at_start") or [])[:1]
    load_text = ", ".join(f"{x:.2f}" for x in loads) or "not recorded"
    L += ["", "## Inputs (every number above comes from these)", "", "### Measured profile", "",
          f"Measured {profile.date} on {profile.machine.get('cores', '?')} cores ({profile.machine.get('cpu', '?')}), "
          f"index {profile.index.get('path', '?')} ({profile.index.get('bytes', 0):,} bytes). {profile.method}. "
          f"Load average (1 min) while measuring: {load_text}.",
          "", "| surface | cold start p50 ms (runs) | process start / index open / first query ms | first query page "
          "faults, minor / major | warm p50 / p99 ms | CPU per query p50 / p99 ms | runtime duration p50 ms | "
          "answer bytes | repeats | peak RSS MiB |",
          "|---|---:|---|---|---|---|---:|---:|---:|---:|"]
    for name, s in profile.surfaces.items():
        c = s.cold_components_ms
        comp = " / ".join(_ms(c[k]) if k in c else "-" for k in ("process_start", "index_open", "first_query"))
        f = s.first_query_page_faults
        pf = f"{f['minor']:g} / {f['major']:g}" if f else "-"
        dur = f"{percentile(s.duration_ms, 50):.2f}" if s.duration_ms else "-"
        L.append(f"| {name} | {_ms(percentile(s.cold_ms, 50))} ({len(s.cold_ms)}) | {comp} | {pf} | "
                 f"{_ms(percentile(s.warm_ms, 50))} / {_ms(percentile(s.warm_ms, 99))} | "
                 f"{percentile(s.cpu_ms, 50):.3f} / {percentile(s.cpu_ms, 99):.3f} | {dur} | "
                 f"{'-' if s.response_bytes is None else f'{s.response_bytes:,.0f}'} | {len(s.repeats) or '-'} | "
                 f"{s.peak_rss_mib} |")
    L += ["", "### Options", "", "| option | surface | shipped | parameters | where defaults come from |",
          "|---|---|---|---|---|"]
    for r in results:
        o = r.option
        skip = {"name", "label", "surface", "notes", "kind", "shipped"}
        params = ", ".join(f"{f.name}={getattr(o, f.name)}" for f in dataclasses.fields(o) if f.name not in skip)
        if isinstance(o, FunctionOption):
            params += f" (CPU share {o.cpu_share():.2f} vCPU)"
        notes = "; ".join(f"{k}: {v}" for k, v in o.notes.items()) or "-"
        L.append(f"| {o.name} | {o.surface} | {'yes' if o.shipped else 'no'} | {params} | {notes} |")
    L += ["", "### Prices", "", f"From {prices.origin}.", "", "| price | value | unit | source | date |",
          "|---|---:|---|---|---|"]
    for name, p in prices.entries.items():
        if p is not None:
            L.append(f"| {name} | {p.value:g} | {p.unit} | {p.source} | {p.date} |")
    L += ["", "### Method", "",
          "Discrete-event simulation (libsearch_advisor.simulate; seed "
          f"{seed}): functions serve one request per instance, start a new instance (a cold start) when no warm "
          "one is idle and reclaim an instance after its keep-alive (always-warm instances never); services queue "
          "requests FIFO over instances x vCPUs, autoscale on CPU busy time with a lag, or are sized for the peak, "
          "with at least 2 instances where ha is on; a hybrid's fixed base fleet sends a request it cannot start "
          "within overflow_wait_ms to its function pool. Warm latency and CPU time are drawn from the measured "
          "samples, scaled by the option's CPU share (Lambda: memory / 1,769 MB); cold starts are the measured "
          "local spawn-to-first-answer plus the option's platform_cold_ms. Lambda's billed duration is the "
          "runtime's own REPORT Duration where the profile has it (a cold start bills its whole start). Egress is "
          "the measured answer size plus 300 bytes of headers per request; logs the measured log bytes per request "
          "(Lambda: its START/END/REPORT lines); the load balancer is billed by LCU, the largest of new "
          "connections (requests / requests_per_connection), active connections, processed bytes and rules. "
          "Windows and their scaling to a month, intervals and the tie rule: libsearch_advisor.model (docstring). "
          "The update side (traffic files with \"updates\"): libsearch_advisor.updates (docstring). "
          "Not modelled: tiered discounts beyond the first tier, Savings Plans, the image registry, NAT gateways, "
          "commits retried after a conflict."]
    return "\n".join(L) + "\n"


def updates_section(results: Sequence[OptionResult], traffic: Traffic, profile: Profile) -> List[str]:
    """The report's section on the update side (libsearch_advisor.updates)."""
    from .model import cloud_of, update_costs

    u = traffic.updates
    assert u is not None
    c = update_costs(profile)
    rs = sorted((r for r in results if r.updates is not None), key=lambda r: r.monthly_cost)
    if not rs:
        return []
    first = {cloud: next((r.updates for r in rs if r.updates is not None and r.updates.cloud == cloud), None)
             for cloud in ("aws", "gcp")}
    events = f"{u.event_rate:.4g} change events a second ({u.event_rate * 86400:,.0f} a day, shape {u.events_shape})"
    L = ["## Keeping the index fresh: updates, rebuilds, refreshes", "",
         f"The traffic file's \"updates\": {events}; SQS batches of up to {u.batch_size:g} events with a "
         f"{u.batch_window_s:g} s window (Pub/Sub: {u.events_per_message:g} event(s) a message); {u.rebuilds_per_day:g} "
         f"rebuilds a day of {_count(first['aws'].products if first['aws'] else (first['gcp'].products if first['gcp'] else 0))} "
         f"products; serving instances check the manifest every {u.refresh_seconds:g} s.", "",
         "Every option gets its updates the same way (README \"Keeping the catalogue fresh\"): the catalogue system "
         "sends change events to a queue, the update function applies each batch as one commit to the index in "
         "object storage, a scheduled function rebuilds the index from the hourly export, and every serving "
         "instance, function or service, checks the manifest (a conditional GET) and downloads new files. AWS "
         "options use SQS, a Lambda update function (C++ bootstrap, handler update, "
         f"{u.update_memory_mb:g} MB), S3 and EventBridge Scheduler starting a Lambda rebuild ({u.rebuild_memory_mb:g} MB); "
         "Google Cloud options a Pub/Sub push to the Cloud Run update function, Cloud Storage (gs://) and "
         "Cloud Scheduler starting the Cloud Run rebuild function (4 GiB, 2 vCPU). A service needs no other "
         "machinery: its instances refresh in the background, the functions do the writing.", "",
         "The items in the cost tables above:", "",
         "- **update function**: one invocation per batch (SQS: a batch closes after the window or at the batch "
         "size, so it holds min(batch size, 1 + rate x window) events; Pub/Sub: one per message), billed for the "
         f"measured commit plus the measured time per event, plus {S3_REQUEST_MS:g} ms per object-store request "
         "(an assumption: the measurement used a local store);",
         f"- **queue**: SQS requests (a send per event, a receive and a delete per 10 messages of a batch, and the "
         f"event source's {SQS_IDLE_POLLERS} idle long polls every 20 s); Pub/Sub: publish and push bytes, at "
         "least 1,000 a message;",
         "- **index storage**: each commit's PUTs (new files, change log, MANIFEST), LIST (garbage collection) and "
         f"GET (MANIFEST), the rebuilds', and storage: the index, the replaced files kept for the {GC_GRACE_S / 60:g} "
         "min grace period, and the change logs (kept a day past a rebuild);",
         "- **refresh polls**: every serving instance's manifest checks (a service instance every refresh_seconds; "
         "a function instance before a request once refresh_seconds have passed), the new files a check finds, the "
         "whole index for each new instance and for every instance after a rebuild. This grows with the number of "
         "instances and with 1 / refresh_seconds, not with the events;",
         f"- **rebuilds**: the rebuild function's duration (measured time per 1,000 products, plus moving the "
         f"export and the index at {S3_MB_S:g} MB/s) and the scheduler.", "",
         "| option | cloud | how its instances refresh | manifest checks a month | object reads for them | "
         + " | ".join(UPDATE_ITEMS) + " |", "|---|---|---|---:|---:|" + "---:|" * len(UPDATE_ITEMS)]
    for r in rs:
        uu = r.updates
        assert uu is not None
        L.append(f"| {_label(r)} | {cloud_of(r.option)} | {uu.replicas} | {_count(uu.polls)} | {_count(uu.poll_reads)} | "
                 + " | ".join(_usd(r.cost.get(k, 0.0)) for k in UPDATE_ITEMS) + " |")
    L += ["", "What the update side does in a month, per cloud (the same for every option there):", "",
          "| cloud | events | update invocations (commits) | mean batch | billed seconds | queue | object writes | "
          "object reads (commits, rebuilds) | stored GB | rebuilds | one rebuild, s |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for cloud, uu in first.items():
        if uu is None:
            continue
        queue = f"{_count(uu.queue_requests)} requests" if cloud == "aws" else \
            f"{uu.queue_requests / 1024 ** 3:,.2f} GiB billed"
        L.append(f"| {cloud} | {_count(uu.events)} | {_count(uu.invocations)} | {uu.mean_batch:.1f} | "
                 f"{uu.billed_s:,.0f} | {queue} | {_count(uu.writes)} | {_count(uu.reads)} | {uu.stored_gb:.3f} | "
                 f"{_count(uu.rebuilds)} | {uu.rebuild_s:,.1f} |")
    warnings = sorted({w for uu in first.values() if uu is not None for w in uu.warnings})
    L += [""] + [f"> **Warning:** {w}" for w in warnings] + ([""] if warnings else [])
    L += [f"Measured update costs ({c.source}): a batch commits in {c.commit_ms:.1f} ms plus "
          f"{c.apply_ms_per_event:.3f} ms per event, uploading {c.files_per_commit:.1f} objects "
          f"({c.bytes_per_commit / 1e3:,.0f} KB); a change log line is {c.change_bytes_per_event:.0f} bytes; a rebuild "
          f"takes {c.rebuild_ms_per_1k:,.0f} ms per 1,000 products and publishes {c.files_per_index:.0f} objects "
          f"({c.index_bytes_per_1k / 1e3:,.0f} KB per 1,000 products); the export holds "
          f"{c.export_bytes_per_product:,.0f} bytes a product. Measure your own with `libsearch-advisor profile "
          f"--catalogue FILE --schema FILE`.", ""]
    return L


def _count(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _inline(text: str) -> str:
    t = html_lib.escape(text, quote=False)
    t = re.sub(r"!\[([^\]]*)\]\(([^)]+)\)", r'<img alt="\1" src="\2">', t)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    t = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])", r"<em>\1</em>", t)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", t)


def html(md: str, title: str) -> str:
    """The Markdown report as a standalone HTML page (the subset report.md uses: headings, paragraphs,
    lists, tables, quotes, images, bold, italics, code)."""
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>{html_lib.escape(title)}</title>",
           "<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;"
           "line-height:1.45}table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
           "td,th{border:1px solid #ccc;padding:3px 7px}td.n{text-align:right}th{background:#f3f3f3}"
           "blockquote{border-left:4px solid #d62728;margin:1em 0;padding:0.3em 1em;background:#fff5f5}"
           "img{max-width:100%}</style></head><body>"]
    lines = md.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([c.strip() for c in lines[i].strip().strip("|").split(" | ")])
                i += 1
            aligns = ["n" if c.endswith(":") else "" for c in rows[1]] if len(rows) > 1 else []
            out.append("<table><thead><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in rows[0]) + "</tr></thead><tbody>")
            for row in rows[2:]:
                out.append("<tr>" + "".join(f"<td class=\"{aligns[k] if k < len(aligns) else ''}\">{_inline(c)}</td>"
                                            for k, c in enumerate(row)) + "</tr>")
            out.append("</tbody></table>")
            continue
        elif line.startswith("- "):
            out.append("<ul>")
            while i < len(lines) and lines[i].startswith("- "):
                out.append(f"<li>{_inline(lines[i][2:])}</li>")
                i += 1
            out.append("</ul>")
            continue
        elif line.startswith("> "):
            out.append(f"<blockquote>{_inline(line[2:])}</blockquote>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
        i += 1
    out.append("</body></html>")
    return "\n".join(out) + "\n"
