#!/usr/bin/env python3
"""Index build time with threads: libsearch against Tantivy, side by side.

    make bench-build        # builds the two drivers, then runs this
    python3 bench/peers/build_threads.py [--threads 1,2] [--rounds 3] [--corpus off]

The corpus is bench/peers' normalised `off` corpus (all 818,776 Open Food Facts
products, product_name + ingredients as one text field, id stored; see
bench/peers/README.md), the same tokens for both engines. Each engine's peer
driver builds one index from it with THREADS threads (libsearch:
IndexBuilderOptions::threads; Tantivy: writer_with_num_threads with a 1 GB
arena, then a merge into one segment). Every (engine, threads) build runs
ROUNDS times, interleaved (A B C D, B C D A, ...) so that the shared
machine's load falls on all alike; wall time from exec to exit, CPU and peak
RSS from GNU time; the 1-minute load average before each build. It checks
that libsearch's files are byte-identical for every thread count.

Writes bench/results/<date>-<machine>-build-<commit>.{md,json}.
"""

import argparse
import datetime
import filecmp
import json
import os
import statistics
import subprocess

from corpus import ROOT, Ctx, log, prepare_corpus
from report import machine_info
from runner import du_bytes, run_measured

ENGINES = ["libsearch", "tantivy"]


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default=env("THREADS", "1,2"))
    ap.add_argument("--rounds", type=int, default=int(env("ROUNDS", "3")))
    ap.add_argument("--corpus", default=env("CORPUS", "off"))
    ap.add_argument("--work", default=env("PEERS_WORK", os.path.join(ROOT, "build-peers")))
    ap.add_argument("--results-dir", default=env("RESULTS_DIR", os.path.join(ROOT, "bench", "results")))
    ap.add_argument("--machine", default=env("MACHINE", ""))
    args = ap.parse_args()
    ctx = Ctx(args)
    for e in ENGINES:
        if not os.path.exists(ctx.bins[e]):
            raise SystemExit(f"{e} driver not built ({ctx.bins[e]}): run `make bench-build`")
    threads = [int(t) for t in args.threads.split(",")]
    tsv, meta = prepare_corpus(ctx, args.corpus)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "libsearch"],
                           capture_output=True, text=True).stdout.strip() != ""
    configs = [(e, t) for t in threads for e in ENGINES]
    runs = {f"{e}-{t}": [] for e, t in configs}
    outdir = os.path.join(ctx.work, "index", args.corpus + "-threads")
    os.makedirs(outdir, exist_ok=True)
    loads = []
    for r in range(args.rounds):
        order = configs[r % len(configs):] + configs[:r % len(configs)]
        for e, t in order:
            out = os.path.join(outdir, f"{e}-{t}" + (".idx" if e == "libsearch" else ""))
            subprocess.run(["rm", "-rf", out], check=True)
            load = os.getloadavg()[0]
            log(f"round {r + 1}: {e}, {t} thread(s) (load {load:.2f})")
            wall, cpu, rss, _ = run_measured([ctx.bins[e], "index", tsv, out, str(t)], out + ".log")
            log(f"  {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {rss / 1e6:.0f} MB")
            runs[f"{e}-{t}"].append(dict(wall_s=round(wall, 3), cpu_s=round(cpu, 2),
                                         peak_rss_bytes=rss, load_1min_before=round(load, 2),
                                         index_bytes=du_bytes(out)))
            loads.append(load)
    lib = [os.path.join(outdir, f"libsearch-{t}.idx") for t in threads]
    identical = all(filecmp.cmp(lib[0], p, shallow=False) for p in lib[1:])
    summary = {}
    for key, rs in runs.items():
        walls = [x["wall_s"] for x in rs]
        summary[key] = dict(wall_min_s=min(walls), wall_median_s=statistics.median(walls),
                            cpu_median_s=statistics.median(x["cpu_s"] for x in rs),
                            peak_rss_max_bytes=max(x["peak_rss_bytes"] for x in rs),
                            index_bytes=rs[-1]["index_bytes"])
    ratios = {}
    for t in threads:
        ls, ts = summary[f"libsearch-{t}"], summary[f"tantivy-{t}"]
        ratios[t] = dict(wall_median=round(ls["wall_median_s"] / ts["wall_median_s"], 3),
                         wall_min=round(ls["wall_min_s"] / ts["wall_min_s"], 3),
                         peak_rss=round(ls["peak_rss_max_bytes"] / ts["peak_rss_max_bytes"], 3))
    machine = machine_info()
    slug = args.machine or ("amd-epyc" if "EPYC" in machine["cpu_model"] else
                            "xeon" if "Xeon" in machine["cpu_model"] else "machine") + \
        f"-{machine['cores']}c"
    date = datetime.date.today().isoformat()
    base = os.path.join(args.results_dir, f"{date}-{slug}-build-{commit}")
    results = dict(date=date, commit=commit, libsearch_tree_dirty=dirty, machine=machine,
                   corpus=args.corpus, rounds=args.rounds, threads=threads,
                   corpus_meta={k: meta.get(k) for k in ("docs", "tokens", "distinct_terms",
                                                         "source_sha256", "prep_version")},
                   load_1min=dict(min=min(loads), max=max(loads), mean=round(statistics.mean(loads), 2)),
                   libsearch_files_identical=identical, runs=runs, summary=summary,
                   ratios_libsearch_over_tantivy=ratios,
                   tantivy_version=ctx.env.get("TANTIVY_VERSION", "see bench/peers/tantivy/Cargo.toml"))
    with open(base + ".json", "w") as f:
        json.dump(results, f, indent=1)
    write_md(base + ".md", results)
    log(f"wrote {base}.md, .json")


def write_md(path, res):
    m = res["machine"]
    lines = [
        f"# Index build with threads: libsearch against Tantivy ({res['corpus']}, {res['date']})",
        "",
        f"libsearch commit `{res['commit']}`" + (" (working tree changed under libsearch/)"
                                                 if res["libsearch_tree_dirty"] else "") +
        f"; machine: {m['cpu_model']}, {m['cores']} cores, {m['mem_bytes'] / 2**30:.0f} GiB, "
        f"kernel {m['kernel']}. Shared with other jobs: 1-minute load average before the builds "
        f"{res['load_1min']['min']:.1f}-{res['load_1min']['max']:.1f} "
        f"(mean {res['load_1min']['mean']:.1f}) on {m['cores']} cores.",
        "",
        f"`bench/peers/build_threads.py`: the `{res['corpus']}` corpus of bench/peers "
        f"({res['corpus_meta'].get('docs', '?')} docs, {res['corpus_meta'].get('tokens', '?')} tokens), "
        f"{res['rounds']} rounds, every (engine, threads) build once per round, interleaved "
        "with the order rotating; wall from exec to exit, CPU and peak RSS from GNU time.",
        "",
        "| engine | threads | wall median (s) | wall min (s) | all walls (s) | CPU median (s) "
        "| peak RSS (MB) | index (MB) |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for t in res["threads"]:
        for e in ENGINES:
            s, rs = res["summary"][f"{e}-{t}"], res["runs"][f"{e}-{t}"]
            lines.append(f"| {e} | {t} | {s['wall_median_s']:.2f} | {s['wall_min_s']:.2f} | "
                         + ", ".join(f"{x['wall_s']:.1f}" for x in rs)
                         + f" | {s['cpu_median_s']:.1f} | {s['peak_rss_max_bytes'] / 1e6:.0f} | "
                         f"{s['index_bytes'] / 1e6:.0f} |")
    lines += ["", "| threads | libsearch / Tantivy, wall (median) | wall (min) | peak RSS |",
              "|---:|---:|---:|---:|"]
    for t in res["threads"]:
        r = res["ratios_libsearch_over_tantivy"][t] if t in res["ratios_libsearch_over_tantivy"] \
            else res["ratios_libsearch_over_tantivy"][str(t)]
        lines.append(f"| {t} | {r['wall_median']:.2f} | {r['wall_min']:.2f} | {r['peak_rss']:.2f} |")
    lines += ["", "libsearch's index files for every thread count are byte-identical: "
              f"**{'yes' if res['libsearch_files_identical'] else 'NO'}**.", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
