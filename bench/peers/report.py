"""bench/peers: analysis and the results files.

Per-corpus analysis of the rounds (latency summaries, count agreement, top-10
overlap with libsearch), the machine and version description, the markdown
report with its targets table, and the chart. See peers.py and README.md.
"""

import os
import platform
import socket
import statistics
import subprocess

from corpus import log
from runner import COLD_QUERY, MODES, percentile, summary_us

# --------------------------------------------------------------------------
# Analysis


def harness_overhead_us(per_query, engine):
    """Median over queries of TOP_10 round trip minus in-engine time: what the
    pipe, Python and the machine add to a request that does work. It should be
    close to the PING round trip (README, "Round trip"); the 2026-11 runs showed
    46-48 µs against 7, whatever the query's own time."""
    d = sorted(q[engine]["TOP_10"][2] - q[engine]["TOP_10"][1] for q in per_query
               if q.get(engine, {}).get("TOP_10") and q[engine]["TOP_10"][1] is not None)
    return d[len(d) // 2] / 1e3 if d else float("nan")


def ping_during_p50(run):
    """Median over rounds of the p50 of the PINGs sent between timed queries
    (runs from before that measurement have none)."""
    v = sorted(r["p50"] for r in (run or {}).get("ping_during_us", []))
    return v[len(v) // 2] if v else float("nan")


def analyse_corpus(queries, runs, engines):
    out = dict(latency={}, by_tag={}, disagreements=[], overlap={}, score_rel_diff={})
    for engine in engines:
        r = runs[engine]
        out["latency"][engine] = {}
        for mode in MODES:
            m = r["modes"][mode]
            ok = [i for i in range(len(queries)) if m["rt_ns"][i] is not None]
            out["latency"][engine][mode] = dict(
                rt=summary_us([m["rt_ns"][i] for i in ok]),
                svc=summary_us([m["svc_ns"][i] for i in ok]))
        tags = {}
        for i, q in enumerate(queries):
            ns = r["modes"]["TOP_10"]["svc_ns"][i]
            if ns is not None:
                tags.setdefault(q["tags"][0], []).append(ns)
        out["by_tag"][engine] = {t: summary_us(v) for t, v in sorted(tags.items())}
    # Count agreement: COUNT and TOP_10_COUNT of every engine.
    for i, q in enumerate(queries):
        counts = {}
        for e in engines:
            for mode in ("COUNT", "TOP_10_COUNT"):
                c = runs[e]["modes"][mode]["counts"][i]
                counts[f"{e}" if mode == "COUNT" else f"{e}/{mode}"] = c
        if len(set(counts.values())) > 1:
            out["disagreements"].append(dict(query=q["query"], norm=q["norm"], tags=q["tags"],
                                             counts=counts))
    # Top-10 overlap and score agreement against libsearch.
    base = runs.get("libsearch")
    if base:
        for e in engines:
            if e == "libsearch":
                continue
            # Tantivy's BM25 keeps the (k1 + 1) factor that Lucene dropped.
            scale = 1 / 2.2 if e == "tantivy" else 1.0
            overlaps, rel = [], []
            for i in range(len(queries)):
                a, b = base["check"][i], runs[e]["check"][i]
                if not a or not b or not a["hits"]:
                    continue
                ids_a = {h[0]: h[1] for h in a["hits"]}
                ids_b = {h[0]: h[1] * scale for h in b["hits"]}
                overlaps.append(len(ids_a.keys() & ids_b.keys()) / len(ids_a))
                for d in ids_a.keys() & ids_b.keys():
                    if ids_a[d] > 0:
                        rel.append(abs(ids_a[d] - ids_b[d]) / ids_a[d])
            out["overlap"][e] = dict(mean=statistics.fmean(overlaps) if overlaps else None,
                                     queries=len(overlaps),
                                     identical=sum(1 for o in overlaps if o == 1.0))
            rel.sort()
            out["score_rel_diff"][e] = dict(p50=percentile(rel, 0.5), max=rel[-1] if rel else None)
    # COUNT on unions: ns per matching document.
    out["count_union_ns_per_doc"] = {}
    for e in engines:
        m = runs[e]["modes"]["COUNT"]
        ns = docs = 0
        for i, q in enumerate(queries):
            if q["tags"][0] == "union" and m["svc_ns"][i] is not None and m["counts"][i]:
                ns += m["svc_ns"][i]
                docs += m["counts"][i]
        out["count_union_ns_per_doc"][e] = ns / docs if docs else None
    return out


def machine_info():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    flags = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                fl = line.split(":", 1)[1].split()
                flags = " ".join(f for f in ("sse4_2", "avx2", "avx512f") if f in fl)
                break
    except OSError:
        pass
    return dict(cpu_model=model, cores=os.cpu_count(), mem_bytes=mem, simd=flags,
                kernel=platform.release(), hostname=socket.gethostname(),
                python=platform.python_version())


def cmd_out(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def versions(ctx):
    v = {}
    v["libsearch_commit"] = ctx.env.get("LIBSEARCH_COMMIT", "?")
    v["libsearch_tree"] = ctx.env.get("LIBSEARCH_TREE", "?")
    v["lucene"] = ctx.env.get("LUCENE_VERSION", "?")
    v["java"] = (cmd_out([ctx.java(), "-version"]).splitlines() or ["?"])[0]
    v["tantivy"] = ctx.env.get("TANTIVY_VERSION", "?")
    v["rustc"] = cmd_out(["rustc", "--version"])
    v["xapian"] = cmd_out(["xapian-config", "--version"]) or "?"
    v["cxx"] = (cmd_out(["c++", "--version"]).splitlines() or ["?"])[0]
    return v


# --------------------------------------------------------------------------
# Report


def fmt_us(x):
    if x != x:  # nan
        return "–"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ratio(x, base):
    if not base or x != x or base != base:
        return "–"
    return f"{x / base:.2f}×"


def mb(b):
    return f"{b / 1e6:.1f}" if b is not None else "–"


def write_report(ctx, results, path_base):
    L = []
    m, v = results["machine"], results["versions"]
    L.append(f"# libsearch vs Xapian, Lucene and Tantivy — {results['date']}\n")
    L.append(f"Machine: **{m['cpu_model']}**, {m['cores']} cores ({m['simd']}), "
             f"{m['mem_bytes'] / 2**30:.0f} GiB RAM, Linux {m['kernel']}; 1-min load average "
             f"{results['loadavg_start'][0]:.2f} at the start, {results['loadavg_end'][0]:.2f} at "
             f"the end of the run (above ~1 means other work shared the 2 cores).  ")
    L.append(f"libsearch {v['libsearch_commit']} ({v['libsearch_tree']}); Lucene {v['lucene']} on "
             f"{v['java']}; Tantivy {v['tantivy']} ({v['rustc']}); Xapian {v['xapian']}; "
             f"{v['cxx']}.\n")
    loads = [results["loadavg_start"][0], results.get("loadavg_end", [0])[0]] + [
        x for cr in results["corpora"].values() for r in cr["runs"].values() for x in r["loadavg"]]
    if max(loads) > 1.5:
        L.append(f"**Caveat:** other work shared this machine during the run (1-min load average "
                 f"up to {max(loads):.1f} on {m['cores']} cores, see the load column of each "
                 f"table; QUIET_WAIT gave up waiting). Absolute times and build times are "
                 f"inflated and noisy; counts, sizes and overlaps are not affected. Rerun on an "
                 f"idle machine for clean absolute numbers.\n")
    a = results["settings"]
    L.append(f"Reproduce: `make bench-peers` (see bench/peers/README.md). Settings: "
             f"{a['queries']} game queries; warm-up per engine process and mode, time-based: passes "
             f"over every query until at least {a['warmup_seconds']:g} s have passed and the last "
             f"three pass means are within 10 % (at most {3 * a['warmup_seconds']:g} s; curves under "
             f"\"Warm-up\"); then {a['passes']} timed passes per mode in one shuffled order"
             + (f"; all of it in {a['rounds']} rounds, each with a fresh process per engine, the engine "
                f"order rotating" if a.get("rounds", 1) > 1 else "")
             + "; latency of a query = its minimum over the timed passes; single-threaded "
             f"search, one engine process at a time talking over a pipe. JVM: `{a['jvm_search']}`.\n")
    L.append("**Round trip** = Python `perf_counter_ns` around write-request/read-reply on the "
             "pipe (what the search-benchmark-game measures). **In-engine** = time the driver "
             "measured around parse + search inside its process (no pipe, no Python). Ratios "
             "are engine ÷ libsearch (above 1× means libsearch is faster). All times in µs.\n")
    for corpus, cr in results["corpora"].items():
        meta = cr["meta"]
        L.append(f"\n## {corpus}: {meta['desc']}\n")
        L.append(f"{meta['docs']:,} docs, {meta['tokens']:,} tokens, {meta['distinct_terms']:,} "
                 f"distinct terms ({meta['empty_docs']:,} docs with no token). Tokenisation "
                 f"check: libsearch's analyzer keeps {meta['tokcheck_words'] - meta['tokcheck_mismatched_words']:,} "
                 f"of {meta['tokcheck_words']:,} distinct normalised words unchanged; "
                 f"{meta['tokcheck_mismatched_words']:,} words "
                 f"({meta['tokcheck_mismatched_occurrences']:,} occurrences) were dropped from the "
                 f"text for every engine.\n")
        engines = list(cr["builds"].keys())
        has_cpu = any(b.get("build_cpu_seconds") is not None for b in cr["builds"].values())
        L.append("| engine | build wall (s) | " + ("build CPU (s) | " if has_cpu else "")
                 + "index size (MB) | build peak RSS (MB) | search peak RSS (MB) | "
                 "pipe round trip p50 (µs): PING before / between the timed queries | "
                 "round trip − in-engine, TOP_10 p50 (µs) | "
                 "1-min load avg before → after the queries |")
        L.append("|---|---:|" + ("---:|" if has_cpu else "") + "---:|---:|---:|---:|---:|---:|")
        for e in engines:
            b = cr["builds"][e]
            run = cr["runs"].get(e, {})
            cpu = b.get("build_cpu_seconds")
            cpu_cell = ("–" if cpu is None else f"{cpu:.1f}") + " | " if has_cpu else ""
            wall = f"{b['build_seconds']:.1f}"
            if len(b.get("build_seconds_all", [])) > 1:
                wall += " (of " + ", ".join(f"{w:.1f}" for w in b["build_seconds_all"]) + ")"
            L.append(f"| {e} | {wall} | {cpu_cell}"
                     f"{mb(b['index_bytes'])} | "
                     f"{mb(b['peak_rss_bytes'])} | {mb(run.get('peak_rss_bytes'))} | "
                     f"{fmt_us(run['ping_rt_us']['p50']) if run else '–'} / "
                     f"{fmt_us(ping_during_p50(run))} | "
                     f"{fmt_us(harness_overhead_us(cr['per_query'], e))} | "
                     f"{run['loadavg'][0]:.2f} → {run['loadavg'][1]:.2f} |")
        an = cr["analysis"]
        for kind, label in (("rt", "round trip"), ("svc", "in-engine")):
            L.append(f"\n**Latency, {label} (µs)**\n")
            L.append("| mode | engine | mean | p50 | p90 | p99 | mean ÷ libsearch | p50 ÷ libsearch |")
            L.append("|---|---|---:|---:|---:|---:|---:|---:|")
            for mode in MODES:
                base = an["latency"].get("libsearch", {}).get(mode, {}).get(kind)
                for e in engines:
                    s = an["latency"][e][mode][kind]
                    L.append(f"| {mode} | {e} | {fmt_us(s['mean'])} | {fmt_us(s['p50'])} | "
                             f"{fmt_us(s['p90'])} | {fmt_us(s['p99'])} | "
                             f"{fmt_ratio(s['mean'], base and base['mean'])} | "
                             f"{fmt_ratio(s['p50'], base and base['p50'])} |")
        tags = sorted({t for e in engines for t in an["by_tag"][e]})
        L.append("\n**TOP_10 in-engine mean (µs) by query type**\n")
        L.append("| query type | n | " + " | ".join(engines) + " |")
        L.append("|---|---:|" + "---:|" * len(engines))
        for t in tags:
            n = max(an["by_tag"][e].get(t, {}).get("n", 0) for e in engines)
            L.append(f"| {t} | {n} | " + " | ".join(
                fmt_us(an["by_tag"][e][t]["mean"]) if t in an["by_tag"][e] else "–"
                for e in engines) + " |")
        L.append("\n**COUNT on unions, in-engine ns per matching doc:** " + ", ".join(
            f"{e} {an['count_union_ns_per_doc'][e]:.2f}" for e in engines
            if an["count_union_ns_per_doc"][e] is not None) + "\n")
        d = an["disagreements"]
        L.append(f"**Count agreement:** {len(d)} of {a['queries']} queries with differing counts "
                 f"(COUNT and TOP_10_COUNT of every engine compared).")
        if d:
            L.append("\n| query | " + " | ".join(d[0]["counts"].keys()) + " |")
            L.append("|---|" + "---:|" * len(d[0]["counts"]))
            for x in d[:30]:
                L.append(f"| `{x['norm']}` | " + " | ".join(str(c) for c in x["counts"].values()) + " |")
        if an["overlap"]:
            L.append("\n**Top-10 overlap with libsearch** (share of libsearch's top-10 ids the "
                     "engine also returns, mean over queries with hits; score difference on "
                     "shared hits, Tantivy's scores divided by k1 + 1 = 2.2):\n")
            for e, o in an["overlap"].items():
                s = an["score_rel_diff"][e]
                L.append(f"- {e}: {o['mean']:.3f} over {o['queries']} queries, identical sets on "
                         f"{o['identical']}; relative score difference p50 "
                         f"{s['p50']:.2e}, max {s['max']:.2e}" if o["mean"] is not None else f"- {e}: –")
        if "libsearch" in engines:
            for mode in ("TOP_10", "COUNT"):
                rows = sorted((q for q in cr["per_query"] if q["libsearch"][mode][1] is not None),
                              key=lambda q: -q["libsearch"][mode][1])[:5]
                L.append(f"\n**Slowest libsearch queries, {mode}, in-engine µs**\n")
                L.append("| query | type | matches | " + " | ".join(engines) + " |")
                L.append("|---|---|---:|" + "---:|" * len(engines))
                for q in rows:
                    L.append(f"| `{q['query']}` | {q['tags'][0]} | {q['libsearch']['COUNT'][0]:,} | "
                             + " | ".join(fmt_us(q[e][mode][1] / 1000) if q[e][mode][1] is not None
                                          else "–" for e in engines) + " |")
        errs = {e: cr["runs"][e]["errors"] for e in engines if cr["runs"][e]["errors"]}
        if errs:
            L.append("\n**Errors:** " + "; ".join(f"{e}: {len(x)} (first: {x[0]})" for e, x in errs.items()))
    targets = issue_targets(results)
    if targets:
        L.append("\n## Issue 3 targets (in-engine times)\n")
        L.append("| corpus | target | measured | met |")
        L.append("|---|---|---|---|")
        for row in targets:
            L.append("| " + " | ".join(row) + " |")
    if results.get("cold"):
        c = results["cold"]
        L.append("\n## Cold start: exec → first answer (ms)\n")
        L.append(f"Query `{COLD_QUERY}` (TOP_10) on the Open Food Facts indexes, median of "
                 f"{c['runs']} runs. *Cold* drops the whole page cache first (binary, JVM, "
                 f"libraries and index all come from disk); *warm* has everything cached. Major "
                 f"page faults: of the engine process up to its first answer, cold (each one a "
                 f"read from disk; readahead makes one fault bring in more than a page). "
                 f"*libsearch (static)*, when `make package` has been run, is the same driver "
                 f"linked like the Lambda bootstrap (all but glibc static) on the same index.\n")
        L.append("| index | engine | cold (ms) | warm (ms) | cold ÷ libsearch | warm ÷ libsearch | major page faults, cold |")
        L.append("|---|---|---:|---:|---:|---:|---:|")
        for corpus, per in c["results"].items():
            base = per.get("libsearch", {})
            for e, r in per.items():
                cold = r["cold"]["median_ms"] if r.get("cold") else float("nan")
                warm = r["warm"]["median_ms"]
                bc = base.get("cold", {}).get("median_ms") if base.get("cold") else None
                mf = r["cold"].get("major_faults", "–") if r.get("cold") else "–"
                L.append(f"| {corpus} ({r['docs']:,} docs) | {e} | {cold:.1f} | {warm:.1f} | "
                         f"{fmt_ratio(cold, bc)} | {fmt_ratio(warm, base['warm']['median_ms'])} | {mf} |")
    L.append("\n## Warm-up\n")
    L.append("In-engine mean µs per warm-up pass, first → last, and the passes it took, per "
             "round (the full curves are in the JSON, `warmup_curves_us`).\n")
    L.append("| corpus | engine | mode | per round: first → last µs (passes) |")
    L.append("|---|---|---|---|")
    for corpus, cr in results["corpora"].items():
        for e, r in cr["runs"].items():
            curves = r.get("warmup_curves_us") or []
            passes = r.get("warmup_passes") or [{} for _ in curves]
            for mode in (curves[0] if curves else {}):
                cells = "; ".join(f"{c[mode][0]} → {c[mode][-1]} ({n.get(mode, len(c[mode]))})"
                                  for c, n in zip(curves, passes) if c.get(mode))
                L.append(f"| {corpus} | {e} | {mode} | {cells} |")
    L.append("\n## Notes\n")
    L.extend("- " + n for n in results["notes"])
    with open(path_base + ".md", "w") as f:
        f.write("\n".join(L) + "\n")


def issue_targets(results):
    rows = []
    for corpus, cr in results["corpora"].items():
        lat = cr["analysis"]["latency"]
        if "libsearch" not in lat:
            continue
        ls = lat["libsearch"]["TOP_10"]["svc"]
        for peer, limit in (("tantivy", 0.8), ("lucene", 0.8), ("xapian", 0.25)):
            if peer not in lat:
                continue
            p = lat[peer]["TOP_10"]["svc"]
            rm, r50 = ls["mean"] / p["mean"], ls["p50"] / p["p50"]
            rows.append([corpus, f"TOP_10 mean and p50 ≤ {limit}× {peer}",
                         f"mean {rm:.2f}×, p50 {r50:.2f}×",
                         "yes" if rm <= limit and r50 <= limit else "**no**"])
        ns = cr["analysis"]["count_union_ns_per_doc"].get("libsearch")
        if ns is not None:
            rows.append([corpus, "COUNT on unions ≤ 0.5 ns per matching doc", f"{ns:.2f} ns",
                         "yes" if ns <= 0.5 else "**no**"])
        b = cr["builds"]
        if "tantivy" in b:
            ratio = b["libsearch"]["index_bytes"] / b["tantivy"]["index_bytes"]
            rows.append([corpus, "index size ≤ Tantivy's", f"{ratio:.2f}×",
                         "yes" if ratio <= 1 else "**no**"])
            ratio = b["libsearch"]["build_seconds"] / b["tantivy"]["build_seconds"]
            text = f"wall {ratio:.2f}×"
            if b["libsearch"].get("build_cpu_seconds") and b["tantivy"].get("build_cpu_seconds"):
                cratio = b["libsearch"]["build_cpu_seconds"] / b["tantivy"]["build_cpu_seconds"]
                text += f", CPU {cratio:.2f}×"
            rows.append([corpus, "build time ≤ Tantivy's (1 thread)", text,
                         "yes" if ratio <= 1 else "**no**"])
    return rows


def write_chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no chart (pip install matplotlib)")
        return False
    corpora = list(results["corpora"].keys())
    colors = {"libsearch": "#1f77b4", "lucene": "#ff7f0e", "lucene-bp": "#ffbb78", "tantivy": "#2ca02c",
              "xapian": "#d62728"}
    fig, axes = plt.subplots(1, len(corpora), figsize=(6.5 * len(corpora), 5.2), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        an = results["corpora"][corpus]["analysis"]
        engines = list(an["latency"].keys())
        width = 0.8 / len(engines)
        for j, e in enumerate(engines):
            xs = [i + (j - (len(engines) - 1) / 2) * width for i in range(len(MODES))]
            means = [an["latency"][e][m]["svc"]["mean"] for m in MODES]
            p50 = [an["latency"][e][m]["svc"]["p50"] for m in MODES]
            p90 = [an["latency"][e][m]["svc"]["p90"] for m in MODES]
            ax.bar(xs, means, width, label=e, color=colors.get(e))
            ax.scatter(xs, p50, marker="_", color="black", s=120, zorder=3,
                       label="p50" if j == 0 else None)
            ax.scatter(xs, p90, marker="v", color="black", s=18, zorder=3,
                       label="p90" if j == 0 else None)
        ax.set_xticks(range(len(MODES)))
        ax.set_xticklabels(MODES)
        ax.set_yscale("log")
        ax.set_ylabel("latency per query (µs, log scale)")
        ax.set_xlabel("mode")
        meta = results["corpora"][corpus]["meta"]
        ax.set_title(f"{corpus}: {meta['docs']:,} docs, {results['settings']['queries']} game queries")
        ax.grid(axis="y", which="both", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    m = results["machine"]
    fig.suptitle(f"Search latency inside each engine: mean (bars), p50 (–), p90 (▼); "
                 f"single-threaded, min of {results['settings']['passes']} timed passes"
                 f" × {results['settings'].get('rounds', 1)} rounds after warm-up — "
                 f"{m['cpu_model']}, {m['cores']} cores, {results['date']}", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    return True
