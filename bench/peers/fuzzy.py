#!/usr/bin/env python3
"""bench/peers fuzzy mode: misspelled product words on the 818k Open Food
Facts catalogue, libsearch (typos on) next to Lucene's FuzzyQuery and
Tantivy's FuzzyTermQuery, as ratios from one run (issue 16, item 5).

    make bench-peers-fuzzy        # setup.sh, then this with the knobs below
    python3 bench/peers/fuzzy.py [--passes N] [--rounds N] [--warmup-seconds S]

Needs the drivers (bench/peers/setup.sh). Builds the `off` corpus and the
indexes as peers.py does (reusing them when they are there), then per round
and engine (fresh process, engine order rotating): PING round trips, a
time-based warm-up on other misspelled words (fuzzy-warmup.tsv: passes until
WARMUP_SECONDS have passed and the last three pass means are within 10 % of
each other, at most 3x WARMUP_SECONDS; the curve of per-pass means goes in the
JSON), one first-sight pass over the queries (words new to libsearch's typo
cache), PASSES timed passes in one shuffled order (repeated words), then one
FUZZY_CHECK pass (exact count and top-10 ids). A query's latency is its
minimum over the rounds (first sight) or over every timed pass of every round
(repeated). Writes bench/results/<date>-<machine>-fuzzy.{md,json}.

Every engine gets the same edit budget per word: libsearch's typo rule
(fuzzy_queries.typo_budget), sent as `word~N`; the peers build an OR of
per-word fuzzy queries with that N (transpositions one edit, prefix length
0), libsearch drops the ~N and applies its own rule with typos on. See
README.md, "Fuzzy mode".
"""

import argparse
import datetime
import json
import os
import re
import statistics
import time

from corpus import HERE, ROOT, Ctx, log, prepare_corpus
from fuzzy_queries import typo_budget
from report import machine_info, versions
from runner import build_index, start_server, summary_us, warm_until_stable

CORPUS = "off"
ENGINES = ["libsearch", "lucene", "tantivy"]


def load_queries(path):
    out = []
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        q, intended, kind = line.rstrip("\n").split("\t")
        out.append(dict(query=q, intended=intended, kind=kind,
                        wire=" ".join(f"{w}~{typo_budget(w)}" for w in q.split())))
    return out


def run_engine(ctx, engine, queries, warm):
    a = ctx.args
    log(f"fuzzy: {engine}")
    srv, waited, order = start_server(ctx, CORPUS, engine, len(queries), f"fuzzy-{engine}")
    res = dict(errors=[], loadavg_before=list(os.getloadavg()), quiet_wait_s=waited)
    for _ in range(200):
        srv.ask("PING", "")
    res["ping_rt_us"] = summary_us([srv.ask("PING", "")[0] for _ in range(2000)])

    def one_pass(qs):
        rt, svc = [None] * len(qs), [None] * len(qs)
        for i in (order if qs is queries else range(len(qs))):
            ns, f = srv.ask("FUZZY_TOP_10", qs[i]["wire"])
            if f[0] == "ERROR":
                if not any(e[0] == qs[i]["query"] for e in res["errors"]):
                    res["errors"].append([qs[i]["query"], f[1:]])
                continue
            rt[i], svc[i] = ns, int(f[1])
        return rt, svc

    # Time-based warm-up (runner.warm_until_stable) on the warm-up set: other
    # words, so libsearch's TypoCache has not seen the timed ones when the
    # first timed pass runs.
    def warm_pass():
        svc = [s for s in one_pass(warm)[1] if s is not None]
        return statistics.fmean(svc) / 1e3 if svc else 0.0

    res["warmup_seconds"], _, curve = warm_until_stable(warm_pass, a.warmup_seconds)
    res["warmup_curve_us"] = curve
    log(f"  warm-up {res['warmup_seconds']} s, {len(curve)} passes, mean µs first/last "
        f"{curve[0]}/{curve[-1]}")
    rts, svcs = [[] for _ in queries], [[] for _ in queries]
    t1 = time.time()
    # First sight: every word new to libsearch's TypoCache (the peers cache
    # nothing between queries); the passes after it repeat the words.
    res["first_rt_ns"], res["first_svc_ns"] = one_pass(queries)
    for _ in range(a.passes):
        rt, svc = one_pass(queries)
        for i in range(len(queries)):
            if rt[i] is not None:
                rts[i].append(rt[i])
                svcs[i].append(svc[i])
    res["timed_seconds"] = round(time.time() - t1, 1)
    res["rt_ns"] = [min(x) if x else None for x in rts]
    res["svc_ns"] = [min(x) if x else None for x in svcs]
    res["svc_median_ns"] = [int(statistics.median(x)) if x else None for x in svcs]
    check = []
    for q in queries:
        _, f = srv.ask("FUZZY_CHECK", q["wire"])
        if f[0] == "ERROR":
            check.append(None)
            continue
        ids = [h.rsplit(":", 1)[0] for h in f[2].split(" ")] if len(f) > 2 and f[2] else []
        check.append(dict(count=int(f[0]), ids=ids))
    res["check"] = check
    res["peak_rss_bytes"] = srv.close()
    res["loadavg_after"] = list(os.getloadavg())
    log(f"  timed {res['timed_seconds']} s, load {res['loadavg_before'][0]:.2f} -> "
        f"{res['loadavg_after'][0]:.2f}")
    return res


def merge(rounds):
    out = dict(rounds[0])
    n = len(out["svc_ns"])
    for key in ("rt_ns", "svc_ns", "first_rt_ns", "first_svc_ns"):
        out[key] = [None if any(r[key][i] is None for r in rounds) else min(r[key][i] for r in rounds)
                    for i in range(n)]
    out["svc_median_ns"] = [None if any(r["svc_median_ns"][i] is None for r in rounds)
                            else int(statistics.median(r["svc_median_ns"][i] for r in rounds))
                            for i in range(n)]
    out["rounds"] = [{k: r[k] for k in ("loadavg_before", "loadavg_after", "warmup_seconds",
                                        "warmup_curve_us", "timed_seconds", "quiet_wait_s")}
                     for r in rounds]
    out["errors"] = [e for r in rounds for e in r["errors"]]
    return out


def docs_with_words(tsv, ids):
    """{id: set of its words} for the given ids (one scan of the TSV)."""
    out = {}
    with open(tsv, encoding="utf-8") as f:
        for line in f:
            doc_id, _, text = line.rstrip("\n").partition("\t")
            if doc_id in ids:
                out[doc_id] = set(text.split(" "))
    return out


def analyse(queries, runs, engines, tsv):
    an = dict(latency={}, first={}, by_kind={}, ratios={}, ratios_first={}, counts={}, overlap={},
              intended={})
    for e in engines:
        r = runs[e]
        ok = [i for i in range(len(queries)) if r["svc_ns"][i] is not None]
        an["latency"][e] = dict(svc=summary_us([r["svc_ns"][i] for i in ok]),
                                svc_median=summary_us([r["svc_median_ns"][i] for i in ok]),
                                rt=summary_us([r["rt_ns"][i] for i in ok]))
        an["first"][e] = dict(svc=summary_us([r["first_svc_ns"][i] for i in ok]),
                              rt=summary_us([r["first_rt_ns"][i] for i in ok]))
        kinds = {}
        for i in ok:
            kinds.setdefault(queries[i]["kind"], []).append(r["svc_ns"][i])
        an["by_kind"][e] = {k: summary_us(v) for k, v in kinds.items()}
    base = "libsearch"
    for key, section, out in (("svc_ns", "latency", "ratios"), ("first_svc_ns", "first", "ratios_first")):
        for e in engines:
            if e == base:
                continue
            both = [i for i in range(len(queries))
                    if runs[base][key][i] is not None and runs[e][key][i] is not None]
            per_q = [runs[base][key][i] / runs[e][key][i] for i in both]
            lb, le = an[section][base]["svc"], an[section][e]["svc"]
            an[out][e] = dict(mean=lb["mean"] / le["mean"], p50=lb["p50"] / le["p50"],
                              p99=lb["p99"] / le["p99"],
                              geomean_per_query=statistics.geometric_mean(per_q) if per_q else None,
                              faster_queries=sum(1 for x in per_q if x < 1), queries=len(per_q))
    # Hit counts and top-10 overlap (fuzzy semantics differ: no equality asked).
    for e in engines:
        an["counts"][e] = [c["count"] if c else None for c in runs[e]["check"]]
    pairs = [(a, b) for i, a in enumerate(engines) for b in engines[i + 1:]]
    for a, b in pairs:
        ov = []
        for i in range(len(queries)):
            ca, cb = runs[a]["check"][i], runs[b]["check"][i]
            if ca and cb and ca["ids"] and cb["ids"]:
                ov.append(len(set(ca["ids"]) & set(cb["ids"])) / max(len(ca["ids"]), len(cb["ids"])))
        an["overlap"][f"{a}/{b}"] = dict(mean=statistics.fmean(ov) if ov else None, queries=len(ov),
                                         identical=sum(1 for x in ov if x == 1.0),
                                         disjoint=sum(1 for x in ov if x == 0.0))
    # How many top-10 hits contain the intended (correctly spelled) words.
    need = {d for e in engines for c in runs[e]["check"] if c for d in c["ids"]}
    words = docs_with_words(tsv, need)
    for e in engines:
        hits = good = top1 = n_q = 0
        per_kind = {}
        for i, q in enumerate(queries):
            c = runs[e]["check"][i]
            if not c:
                continue
            want = set(q["intended"].split())
            g = sum(1 for d in c["ids"] if want <= words.get(d, set()))
            hits += len(c["ids"])
            good += g
            n_q += 1
            top1 += bool(c["ids"]) and want <= words.get(c["ids"][0], set())
            k = per_kind.setdefault(q["kind"], [0, 0])
            k[0] += g
            k[1] += len(c["ids"])
        an["intended"][e] = dict(hits=hits, with_intended=good, share=good / hits if hits else None,
                                 top1=top1, queries=n_q,
                                 by_kind={k: v[0] / v[1] if v[1] else None for k, v in per_kind.items()})
    return an


def fmt(x):
    return "–" if x is None or x != x else f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def write_md(res, path):
    an, engines = res["analysis"], res["settings"]["engines"]
    m, v, s = res["machine"], res["versions"], res["settings"]
    L = [f"# Fuzzy product words: libsearch (typos) vs Lucene FuzzyQuery and Tantivy "
         f"FuzzyTermQuery — {res['date']}\n",
         f"Machine: **{m['cpu_model']}**, {m['cores']} cores, {m['mem_bytes'] / 2**30:.0f} GiB, "
         f"kernel {m['kernel']}. Load average (1 min) at start {res['loadavg_start'][0]:.2f}, "
         f"at end {res['loadavg_end'][0]:.2f}: **a shared, loaded machine** (other jobs ran "
         "throughout); per engine and round below.\n",
         f"libsearch `{v['libsearch_commit']}` ({v['libsearch_tree']}); Lucene {v['lucene']} on "
         f"{v['java']}; Tantivy {v['tantivy']} ({v['rustc']}); {v['cxx']}.\n",
         f"Corpus `off`: {res['corpus']['docs']:,} Open Food Facts products, product_name + "
         "ingredients as one `text` field, normalised by peers.py (no stemming). "
         f"Queries: `bench/peers/fuzzy-queries.tsv`, {s['queries']} ({s['kinds']}); warm-up on "
         "`bench/peers/fuzzy-warmup.tsv` (the same kinds of misspellings of other words).\n",
         f"Run: {s['rounds']} round(s) × {len(engines)} engines, each a fresh `serve` process "
         "(engine order rotating); warm-up time-based: passes over every warm-up query until "
         f"≥ {s['warmup_seconds']} s and the last three pass means within 10 % (at most "
         f"{3 * s['warmup_seconds']} s); then one first-sight pass and {s['passes']} timed passes "
         "over the queries in one shuffled order (below). In-engine time "
         "(parse + search inside the driver), one thread, top 10 by score. "
         f"Wall time of the run {res['wall_seconds']:.0f} s.\n",
         "## Semantics\n",
         "Edit budget per word, the same in every engine (libsearch's typo rule): 0 for ≤ 4 "
         "letters or a digit, 1 for 5–8 letters, 2 for ≥ 9; a transposition is one edit. A "
         "query of several words is an **OR** of per-word fuzzy queries.\n",
         "- libsearch: `SearchRequest{typos = true, default_operator = kOr, suggest = false}`, "
         "k 10, `total_hits_threshold` 10: its own tiers (exact and corrections first, then 1, "
         "then 2 edits), a first-letter typo counts as two, `max_expansions` 50 per word.",
         "- Lucene: `BooleanQuery` of SHOULD `FuzzyQuery(term, N, prefixLength 0, "
         "maxExpansions 50, transpositions true)` (blended-frequency top-terms rewrite), "
         "`TopScoreDocCollectorManager(10, null, 10)`.",
         "- Tantivy: `BooleanQuery` of Should `FuzzyTermQuery::new(term, N, true)`, "
         "`TopDocs::with_limit(10).order_by_score()`. Tantivy's fuzzy query expands to every "
         "term within N (no cap) and gives each matching doc a constant score (1.0 per "
         "clause), so its top 10 are the lowest doc ids among the docs matching most words.",
         "- Xapian is left out: its `OP_EDIT_DISTANCE` (1.5) is not in Debian's 1.4 here.\n",
         "## Latency (in-engine, µs)\n",
         "Two measurements per engine process, both after the warm-up on *other* misspelled "
         "words (`fuzzy-warmup.tsv`): **first sight** = the first timed pass, words the engine "
         "has not been asked before; **repeated** = the passes after it. The difference matters "
         "for libsearch only: it memoises each word's dictionary walk per index file "
         "(`TypoCache`, 4,096 answers), so a repeated word skips the walk; Lucene and Tantivy "
         "build and run their automata on every query. Per query its minimum over the "
         "rounds (first sight) or over every pass of every round (repeated), then mean / "
         "percentiles over the queries.\n",
         "### First sight (words new to the engine)\n",
         "| engine | mean | p50 | p90 | p99 | round trip p50 |", "|---|---|---|---|---|---|"]
    for e in engines:
        sv, rt = an["first"][e]["svc"], an["first"][e]["rt"]
        L.append(f"| {e} | {fmt(sv['mean'])} | {fmt(sv['p50'])} | {fmt(sv['p90'])} | "
                 f"{fmt(sv['p99'])} | {fmt(rt['p50'])} |")
    L += ["\n### Repeated words (the median column: each query's median over the passes, median "
          "of the rounds')\n",
         "| engine | mean | p50 | p90 | p99 | mean / p50 / p99 of per-query medians | "
         "round trip p50 | PING p50 | peak RSS MB |",
         "|---|---|---|---|---|---|---|---|---|"]
    for e in engines:
        sv, rt, md = an["latency"][e]["svc"], an["latency"][e]["rt"], an["latency"][e]["svc_median"]
        L.append(f"| {e} | {fmt(sv['mean'])} | {fmt(sv['p50'])} | {fmt(sv['p90'])} | "
                 f"{fmt(sv['p99'])} | {fmt(md['mean'])} / {fmt(md['p50'])} / {fmt(md['p99'])} | "
                 f"{fmt(rt['p50'])} | {fmt(res['runs'][e]['ping_rt_us']['p50'])} | "
                 f"{res['runs'][e]['peak_rss_bytes'] / 1e6:.0f} |")
    L.append("\n## libsearch / peer (in-engine time; < 1 = libsearch faster)\n")
    L.append("| words | peer | mean | p50 | p99 | geometric mean of per-query ratios | queries "
             "libsearch faster |")
    L.append("|---|---|---|---|---|---|---|")
    for label, key in (("first sight", "ratios_first"), ("repeated", "ratios")):
        for e, r in an[key].items():
            L.append(f"| {label} | {e} | {r['mean']:.2f}× | {r['p50']:.2f}× | {r['p99']:.2f}× | "
                     f"{r['geomean_per_query']:.2f}× | {r['faster_queries']} of {r['queries']} |")
    L.append("\n## By query kind (repeated words; in-engine mean / p50 / p99, µs)\n")
    kinds = sorted({k for e in engines for k in an["by_kind"][e]})
    L.append("| kind | " + " | ".join(engines) + " |")
    L.append("|---|" + "---|" * len(engines))
    for k in kinds:
        cells = []
        for e in engines:
            b = an["by_kind"][e].get(k)
            cells.append(f"{fmt(b['mean'])} / {fmt(b['p50'])} / {fmt(b['p99'])} (n {b['n']})"
                         if b else "–")
        L.append(f"| {k} | " + " | ".join(cells) + " |")
    L.append("\n## Agreement\n")
    L.append("Fuzzy semantics differ (libsearch's tiers and first-letter rule, Lucene's 50 "
             "top terms, Tantivy's constant scores), so no equality is asked. Top-10 overlap = "
             "shared ids / 10, per query, mean over queries with hits in both:\n")
    L.append("| pair | mean overlap | identical top 10 | disjoint | queries |")
    L.append("|---|---|---|---|---|")
    for p, o in an["overlap"].items():
        L.append(f"| {p} | {o['mean']:.2f} | {o['identical']} | {o['disjoint']} | {o['queries']} |")
    L.append("\nTop-10 hits whose text contains the intended (correctly spelled) word(s) of the "
             "query — what a shopper wanted:\n")
    L.append("| engine | share of top-10 hits | by kind | top 1 has them |")
    L.append("|---|---|---|---|")
    for e in engines:
        it = an["intended"][e]
        bk = ", ".join(f"{k} {x:.2f}" for k, x in sorted(it["by_kind"].items()) if x is not None)
        L.append(f"| {e} | {it['share']:.2f} ({it['with_intended']} of {it['hits']}) | {bk} | "
                 f"{it['top1']} of {it['queries']} |")
    cnt = an["counts"]
    L.append("\nExact hit counts (FUZZY_CHECK) per query:\n")
    L.append("| query | " + " | ".join(engines) + " | " +
             " | ".join(f"{e} µs" for e in engines) + " |")
    L.append("|---|" + "---|" * (2 * len(engines)))
    L[-2] = L[-2].replace(" µs", " µs (first / repeated)")
    for i, q in enumerate(res["queries"]):
        lat = [(res["runs"][e]["first_svc_ns"][i], res["runs"][e]["svc_ns"][i]) for e in engines]
        L.append(f"| `{q['query']}` | " + " | ".join(str(cnt[e][i]) for e in engines) + " | " +
                 " | ".join(f"{fmt(x / 1e3)} / {fmt(y / 1e3)}" if x is not None and y is not None
                            else "–" for x, y in lat) + " |")
    L.append("\n## Load and warm-up per engine and round\n")
    L.append("| engine | round | load before → after | warm-up s (passes) | pass mean µs: "
             "first → last warm-up |")
    L.append("|---|---|---|---|---|")
    for e in engines:
        for j, r in enumerate(res["runs"][e]["rounds"]):
            c = r["warmup_curve_us"]
            L.append(f"| {e} | {j + 1} | {r['loadavg_before'][0]:.2f} → {r['loadavg_after'][0]:.2f} "
                     f"| {r['warmup_seconds']} ({len(c)}) | {c[0]} → {c[-1]} |")
    errs = {e: res["runs"][e]["errors"] for e in engines if res["runs"][e]["errors"]}
    if errs:
        L.append("\nErrors: " + json.dumps(errs))
    L.append("\nThe warm-up curves (mean µs of every warm-up pass) are in the JSON next to "
             "this file. Reproduce: " + f"`{s['command']}`.")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries-file", default=os.path.join(HERE, "fuzzy-queries.tsv"))
    ap.add_argument("--warmup-file", default=os.path.join(HERE, "fuzzy-warmup.tsv"))
    ap.add_argument("--passes", type=int, default=int(env("PASSES", "5")))
    ap.add_argument("--rounds", type=int, default=int(env("ROUNDS", "2")))
    ap.add_argument("--warmup-seconds", type=float, default=float(env("WARMUP_SECONDS", "60")),
                    help="time-based warm-up per engine process (until stable, at most 3x)")
    ap.add_argument("--engines", default=env("ENGINES", ",".join(ENGINES)))
    ap.add_argument("--quiet-load", type=float, default=float(env("QUIET_LOAD", "1.5")))
    ap.add_argument("--quiet-wait", type=float, default=float(env("QUIET_WAIT", "180")))
    ap.add_argument("--work", default=env("PEERS_WORK", os.path.join(ROOT, "build-peers")))
    ap.add_argument("--results-dir", default=env("RESULTS_DIR", os.path.join(ROOT, "bench", "results")))
    ap.add_argument("--machine", default=env("MACHINE", ""))
    args = ap.parse_args()
    args.rebuild = env("REBUILD", "") == "1"  # read by build_index
    ctx = Ctx(args)
    engines = [e for e in args.engines.split(",") if e]
    for e in engines:
        if e not in ENGINES:
            raise SystemExit(f"fuzzy mode: engine {e} not supported (one of {ENGINES})")
        if not os.path.exists(ctx.bins[e]):
            raise SystemExit(f"{e} driver not built ({ctx.bins[e]}): run bench/peers/setup.sh")
    t_start = time.time()
    queries = load_queries(args.queries_file)
    warm = load_queries(args.warmup_file)
    res = dict(date=datetime.date.today().isoformat(), machine=machine_info(),
               loadavg_start=list(os.getloadavg()), versions=versions(ctx),
               settings=dict(queries=len(queries), passes=args.passes, rounds=args.rounds,
                             warmup_seconds=args.warmup_seconds, engines=engines,
                             kinds=", ".join(f"{k} {sum(q['kind'] == k for q in queries)}"
                                             for k in dict.fromkeys(q["kind"] for q in queries)),
                             jvm_search=" ".join(ctx.jvm_flags("2g")),
                             command=f"PASSES={args.passes} ROUNDS={args.rounds} "
                                     f"WARMUP_SECONDS={args.warmup_seconds:g} "
                                     f"QUIET_LOAD={args.quiet_load:g} QUIET_WAIT={args.quiet_wait:g} "
                                     + (f"MACHINE={args.machine} " if args.machine else "")
                                     + "make bench-peers-fuzzy"),
               queries=[{k: q[k] for k in ("query", "intended", "kind", "wire")} for q in queries])
    tsv, meta = prepare_corpus(ctx, CORPUS)
    res["corpus"] = {k: v for k, v in meta.items() if k != "dropped_words"}
    for e in engines:
        build_index(ctx, CORPUS, e, tsv)
    per = {e: [] for e in engines}
    for r in range(args.rounds):
        k = r % len(engines)
        for e in engines[k:] + engines[:k]:
            log(f"round {r + 1} of {args.rounds}")
            per[e].append(run_engine(ctx, e, queries, warm))
    runs = {e: merge(rs) for e, rs in per.items()}
    res["analysis"] = analyse(queries, runs, engines, tsv)
    res["runs"] = {e: {k: runs[e][k] for k in ("ping_rt_us", "peak_rss_bytes", "rounds", "errors",
                                                "svc_ns", "svc_median_ns", "rt_ns",
                                                "first_svc_ns", "first_rt_ns")}
                   for e in engines}
    res["wall_seconds"] = round(time.time() - t_start, 1)
    res["loadavg_end"] = list(os.getloadavg())
    os.makedirs(args.results_dir, exist_ok=True)
    slug = args.machine or re.sub(r"[^a-z0-9]+", "-", res["machine"]["cpu_model"].lower()).strip("-") \
        + f"-{res['machine']['cores']}c"
    base = os.path.join(args.results_dir, f"{res['date']}-{slug}-fuzzy")
    with open(base + ".json", "w") as f:
        json.dump(res, f, indent=1)
    write_md(res, base + ".md")
    log(f"wrote {base}.md, .json")


if __name__ == "__main__":
    main()
