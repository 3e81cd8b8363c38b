#!/usr/bin/env python3
"""Side-by-side benchmark: libsearch vs Xapian, Lucene and Tantivy.

Run through `make bench-peers` (which builds the drivers first, see
bench/peers/setup.sh), or directly once they are built:

    python3 bench/peers/peers.py [--corpus enwiki|passages|off|both|all] [--queries N] [--passes N]

What it does (details and rationale in bench/peers/README.md):
  1. Normalises each corpus once into `id<TAB>text` lines: NFKC, casefold,
     every run of non-alphanumeric characters (str.isalnum) becomes one space,
     tokens over 100 UTF-8 bytes are dropped. Every engine splits that text
     on spaces only, so all four index exactly the same tokens. libsearch's
     ICU analyzer (language "none", no accent folding) is checked on the whole
     vocabulary; words it would analyse differently are dropped from the text
     for every engine and counted in the report.
  2. Builds one index per engine and corpus (single-threaded where the engine
     allows), timing the build process from exec to exit, with its peak RSS
     and the index size on disk. libsearch and Tantivy (BUILD_TIMED) are
     rebuilt BUILD_ROUNDS times in every run, interleaved, keeping the
     fastest; the others are reused from earlier runs while unchanged.
  3. Starts each engine's `serve` process (one at a time) and sends it the
     search-benchmark-game queries, "MODE\\tquery" per line, in COUNT, TOP_10 and
     TOP_10_COUNT modes: WARMUP warm-up passes, then PASSES timed passes in the
     same shuffled order. Each request is timed around the pipe round trip
     with perf_counter_ns; the driver also reports the time spent inside the
     engine. This is repeated for ROUNDS rounds, each with fresh processes,
     the engine order rotating; a query's latency is its minimum over the
     timed passes of all rounds.
  4. Checks the counts agree across engines and the top-10 ids overlap.
  5. Cold start: exec -> first answer on the 10k and 818k Open Food Facts
     indexes, with the page cache dropped (root) and warm.
  6. Writes bench/results/<date>-<machine>.{md,json,png}.

Environment knobs (same as the flags): CORPUS, QUERIES, PASSES, ROUNDS, WARMUP,
ENGINES, COLD_RUNS, REBUILD=1, BUILD_ROUNDS, BUILD_TIMED, PEERS_DATA (default
../shared/data), PEERS_WORK (default build-peers), RESULTS_DIR,
MACHINE (file-name slug).
"""

import argparse
import datetime
import json
import os
import re
import time

from corpus import (
    CORPORA,
    DATA,
    MAX_TOKEN_BYTES,
    QUERIES,
    ROOT,
    Ctx,
    log,
    normalise_query,
    prepare_corpus,
)
from report import analyse_corpus, machine_info, versions, write_chart, write_report
from runner import MODES, build_index, build_indexes, cold_start, run_rounds

ALL_ENGINES = ["libsearch", "lucene", "lucene-bp", "tantivy", "xapian"]


# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    env = os.environ.get
    ap.add_argument("--corpus", default=env("CORPUS", "all"),
                    help="enwiki, passages, off, both (enwiki+off) or all (default), or a comma list")
    ap.add_argument("--queries", type=int, default=int(env("QUERIES", "0")),
                    help="use only the first N game queries (0 = all 962)")
    ap.add_argument("--passes", type=int, default=int(env("PASSES", "5")),
                    help="timed passes per round")
    ap.add_argument("--rounds", type=int, default=int(env("ROUNDS", "3")),
                    help="rounds, each with a fresh serve process per engine (min over all)")
    ap.add_argument("--warmup-seconds", type=float, default=float(env("WARMUP_SECONDS", "60")),
                    help="time-based warm-up per engine process and mode: passes until at least "
                         "this long and the last three pass means within 10%% (at most 3x)")
    ap.add_argument("--engines", default=env("ENGINES", ",".join(ALL_ENGINES)))
    ap.add_argument("--cold-runs", type=int, default=int(env("COLD_RUNS", "5")),
                    help="runs per engine and index for the cold-start table (0 = skip)")
    ap.add_argument("--rebuild", action="store_true", default=env("REBUILD", "") == "1")
    ap.add_argument("--build-rounds", type=int, default=int(env("BUILD_ROUNDS", "3")),
                    help="timed builds per BUILD_TIMED engine and corpus, interleaved (min kept)")
    ap.add_argument("--build-timed", default=env("BUILD_TIMED", "libsearch,tantivy"),
                    help="engines rebuilt BUILD_ROUNDS times in every run")
    ap.add_argument("--quiet-load", type=float, default=float(env("QUIET_LOAD", "1.5")),
                    help="before timing an engine, wait for the 1-min load average to drop below this")
    ap.add_argument("--quiet-wait", type=float, default=float(env("QUIET_WAIT", "180")),
                    help="... but at most this many seconds")
    ap.add_argument("--work", default=env("PEERS_WORK", os.path.join(ROOT, "build-peers")))
    ap.add_argument("--results-dir", default=env("RESULTS_DIR", os.path.join(ROOT, "bench", "results")))
    ap.add_argument("--machine", default=env("MACHINE", ""))
    ap.add_argument("--report", metavar="RESULTS.json",
                    help="only rewrite the .md and .png next to an existing results .json")
    args = ap.parse_args()
    ctx = Ctx(args)
    if args.report:
        results = json.load(open(args.report))
        base = args.report[:-len(".json")]
        write_report(ctx, results, base)
        write_chart(results, base + ".png")
        log(f"wrote {base}.md, .png")
        return
    engines = [e for e in args.engines.split(",") if e]
    for e in engines + ["libsearch"]:
        if e not in ctx.bins:
            raise SystemExit(f"unknown engine {e}")
        if not os.path.exists(ctx.bins[e]):
            raise SystemExit(f"{e} driver not built ({ctx.bins[e]}): run bench/peers/setup.sh")
    corpora = {"both": ["enwiki", "off"], "all": ["enwiki", "passages", "off"]}.get(
        args.corpus, args.corpus.split(","))
    for c in corpora:
        if c not in ("enwiki", "passages", "off"):
            raise SystemExit(f"unknown corpus {c}")
    needed = [QUERIES] + [CORPORA[c]["source"] for c in corpora]
    if args.cold_runs > 0:
        needed += [CORPORA["off10k"]["source"], CORPORA["off"]["source"]]
    missing = sorted({p for p in needed if not os.path.exists(p)})
    if missing:
        raise SystemExit("peers: missing input data: " + ", ".join(missing) + "\n  The data "
                         f"directory is {DATA} (PEERS_DATA; default ../shared/data beside the "
                         "checkout); set PEERS_DATA to the directory holding "
                         "enwiki-2015-sample/, openfoodfacts-products/ and search-benchmark-game/.")
    t_start = time.time()

    raw_queries = [json.loads(line) for line in open(QUERIES) if line.strip()]
    if args.queries:
        raw_queries = raw_queries[:args.queries]

    results = dict(date=datetime.date.today().isoformat(), machine=machine_info(),
                   loadavg_start=list(os.getloadavg()),
                   versions=versions(ctx), corpora={},
                   settings=dict(queries=len(raw_queries), passes=args.passes,
                                 warmup_seconds=args.warmup_seconds,
                                 rounds=args.rounds, engines=engines,
                                 latency="min over timed passes of all rounds",
                                 jvm_search=" ".join(ctx.jvm_flags("2g")),
                                 jvm_index=" ".join(ctx.jvm_flags("4g")),
                                 max_token_bytes=MAX_TOKEN_BYTES),
                   notes=[])
    for corpus in corpora:
        tsv, meta = prepare_corpus(ctx, corpus)
        dropped = set(meta["dropped_words"])
        queries = []
        changed = 0
        for q in raw_queries:
            norm = normalise_query(q["query"], dropped)
            changed += norm != q["query"]
            queries.append(dict(query=q["query"], tags=q["tags"], norm=norm))
        meta_out = {k: v for k, v in meta.items() if k != "dropped_words"}
        meta_out["queries_changed_by_normalisation"] = changed
        builds = build_indexes(ctx, corpus, engines, tsv)
        runs = run_rounds(ctx, corpus, engines, queries)
        analysis = analyse_corpus(queries, runs, engines)
        results["corpora"][corpus] = dict(meta=meta_out, builds=builds, analysis=analysis,
                                          runs={e: dict(peak_rss_bytes=r["peak_rss_bytes"],
                                                        ping_rt_us=r["ping_rt_us"],
                                                        ping_during_us=r["ping_during_us"],
                                                        loadavg=[r["loadavg_before"][0],
                                                                 r["loadavg_after"][0]],
                                                        errors=r["errors"],
                                                        warmup_curves_us=r["warmup_curves_us"],
                                                        warmup_passes=r["warmup_passes"])
                                                 for e, r in runs.items()},
                                          per_query=[dict(query=q["norm"], tags=q["tags"], **{
                                              e: {m: [runs[e]["modes"][m]["counts"][i],
                                                      runs[e]["modes"][m]["svc_ns"][i],
                                                      runs[e]["modes"][m]["rt_ns"][i]] for m in MODES}
                                              for e in engines}) for i, q in enumerate(queries)])
    if args.cold_runs > 0:
        cold = dict(runs=args.cold_runs, results={})
        for corpus in ("off10k", "off"):
            tsv, meta = prepare_corpus(ctx, corpus)
            per = {}
            for e in engines:
                build_index(ctx, corpus, e, tsv)
                log(f"cold start {e} on {corpus}")
                per[e] = dict(docs=meta["docs"],
                              cold=cold_start(ctx, corpus, e, args.cold_runs, cold=True),
                              warm=cold_start(ctx, corpus, e, args.cold_runs, cold=False))
            static = ctx.env.get("LIBSEARCH_STATIC_DRIVER")
            if "libsearch" in engines and static and os.path.exists(static):
                log(f"cold start libsearch (static driver) on {corpus}")
                per["libsearch (static)"] = dict(
                    docs=meta["docs"],
                    cold=cold_start(ctx, corpus, "libsearch", args.cold_runs, True, static),
                    warm=cold_start(ctx, corpus, "libsearch", args.cold_runs, False, static))
            cold["results"][corpus] = per
        results["cold"] = cold
    results["notes"] = [
        "Tokenisation is done once by peers.py (NFKC, casefold, split on non-alphanumeric runs, "
        f"tokens over {MAX_TOKEN_BYTES} UTF-8 bytes dropped, no stemming, no stop words); every "
        "engine splits the result on spaces: libsearch field language \"none\", fold_accents "
        "false (ICU analyzer checked on the whole vocabulary); Lucene WhitespaceAnalyzer; Tantivy "
        "WhitespaceTokenizer; Xapian terms added with positions by the driver.",
        "Scoring: libsearch and Lucene BM25 k1=1.2, b=0.75 (Lucene's formula); Tantivy BM25 "
        "k1=1.2, b=0.75 with the (k1+1) factor; Xapian BM25Weight defaults (k1=1, b=0.5). COUNT in "
        "Xapian uses BoolWeight and checkatleast=all docs.",
        "Query semantics (game syntax): +a +b intersection, a b union (default operator OR), "
        "\"a b\" phrase, -a exclusion; optional words next to required ones only score. "
        "libsearch: SearchRequest with default_operator=kOr, include_docs=false, include_ids=false "
        "(hits as internal doc numbers, as the other engines return them), suggest=false "
        "(no \"did you mean\" on zero hits, which no other engine computes); COUNT = k 0 "
        "with the exact total; TOP_10 = k 10 with total_hits_threshold 10 (like Lucene's "
        "TopScoreDocCollectorManager(10, 10)); TOP_10_COUNT = k 10 with kExactTotal.",
        "Peak RSS: GNU time for the builds, VmHWM for the search processes. It counts the "
        "index pages a process maps (libsearch, Lucene and Tantivy mmap their index) but not "
        "Xapian's, which reads its files with pread into the page cache; the JVM's figure is "
        "mostly heap (-Xmx2g).",
        "Indexes: one segment each (Lucene forceMerge(1) on one thread with "
        "SerialMergeScheduler, Tantivy one indexing thread then a merge into one segment, Xapian "
        "built then compacted, libsearch one file). Only the id is stored; text is indexed with "
        "positions and norms. Build time = exec to exit of the index command, reading the "
        "normalised TSV. Engines in BUILD_TIMED (libsearch, Tantivy) are built BUILD_ROUNDS "
        "times in this run, interleaved, and keep the fastest build (all are listed); the "
        "others are built once, possibly in an earlier run.",
        "Latency: per query the minimum over the timed passes (the game sorts the pass durations; "
        "the median per query is kept in the JSON as rt_median_ns). In-engine time includes "
        "query parsing.",
    ]
    os.makedirs(args.results_dir, exist_ok=True)
    slug = args.machine or re.sub(r"[^a-z0-9]+", "-", results["machine"]["cpu_model"].lower()).strip("-") \
        + f"-{results['machine']['cores']}c"
    base = os.path.join(args.results_dir, f"{results['date']}-{slug}")
    results["wall_seconds"] = round(time.time() - t_start, 1)
    results["loadavg_end"] = list(os.getloadavg())
    with open(base + ".json", "w") as f:
        json.dump(results, f, indent=1)
    write_report(ctx, results, base)
    write_chart(results, base + ".png")
    log(f"wrote {base}.md, .json, .png in {results['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main()
