#!/usr/bin/env python3
"""Quick side-by-side ratios against already-built peer indexes (no builds).

    python3 bench/peers/quick.py --corpus passages --work /path/to/build-peers \
        --engine libsearch=build/bench-peers/libsearch_peer \
        --engine tantivy=/path/to/tantivy_peer [--passes 3] [--modes TOP_10,COUNT]

Each engine serves its index from WORK/index/CORPUS/ over a pipe, as in
peers.py; every query gets WARMUP untimed passes then PASSES timed ones
(minimum kept, in-engine time). Prints per query-type means and p50, ratios
to the first engine, COUNT ns per matching doc on unions, and the slowest
queries of the first engine. Counts are compared between engines.
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus
import runner

# lucene-bp before lucene: a label is matched by its first prefix here.
INDEX_NAME = {"libsearch": "libsearch.idx", "tantivy": "tantivy", "lucene-bp": "lucene-bp",
              "lucene": "lucene", "xapian": "xapian"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="passages")
    ap.add_argument("--work", required=True)
    ap.add_argument("--engine", action="append", required=True,
                    help="label=serve binary; the label starts with the engine name "
                         "(libsearch-old=...)")
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--shuffle", action="store_true", help="shuffled order, as peers.py")
    ap.add_argument("--rounds", type=int, default=1,
                    help="rounds, each with fresh processes (min over all), as peers.py ROUNDS")
    ap.add_argument("--modes", default="TOP_10,COUNT")
    ap.add_argument("--queries", default=os.path.join(
        os.path.dirname(__file__), "../../../shared/data/search-benchmark-game/queries.jsonl"))
    ap.add_argument("--filter", default="", help="only queries of this tag")
    ap.add_argument("--dump", default="", help="write per-query [tag, query, {engine: [ns, count]}] "
                    "rows as JSON to this file")
    a = ap.parse_args()
    qs = []
    with open(a.queries) as f:
        for line in f:
            o = json.loads(line)
            tag = o["tags"][0]
            if a.filter and tag != a.filter:
                continue
            q = corpus.normalise_query(o["query"], set())
            if q:
                qs.append((tag, q))
    if a.shuffle:  # As peers.py: one shuffled order (seed 2) for every pass.
        import random
        random.Random(2).shuffle(qs)
    modes = a.modes.split(",")
    res = {}  # engine -> mode -> [(ns, count)]
    specs = a.engine
    for r in range(a.rounds):  # Fresh processes per round, engine order rotating (peers.py).
        k = r % len(specs)
        for spec in specs[k:] + specs[:k]:
            name, binary = spec.split("=", 1)
            engine = next(e for e in INDEX_NAME if name.startswith(e))  # label: engine[-suffix]
            idx = os.path.join(a.work, "index", a.corpus, INDEX_NAME[engine])
            srv = runner.Server([binary, "serve", idx], "/tmp/quick-%s.err" % name)
            res.setdefault(name, {})
            for mode in modes:
                for _ in range(a.warmup):
                    for _, q in qs:
                        srv.ask(mode, q)
                best = res[name].setdefault(mode, [None] * len(qs))
                for _ in range(a.passes):
                    for i, (_, q) in enumerate(qs):
                        _, out = srv.ask(mode, q)
                        if out[0] == "ERROR":
                            raise SystemExit("%s: %s on %r" % (name, out, q))
                        ns, cnt = int(out[1]), int(out[0])
                        if best[i] is None or ns < best[i][0]:
                            best[i] = (ns, cnt)
            srv.close()
    names = [s.split("=", 1)[0] for s in a.engine]
    if a.dump:
        with open(a.dump, "w") as f:
            json.dump({m: [[t, q, {n: res[n][m][i] for n in names}] for i, (t, q) in enumerate(qs)]
                       for m in modes}, f)
    base = names[0]
    print("corpus %s, %d queries, %d passes x %d rounds (min), load %.2f" %
          (a.corpus, len(qs), a.passes, a.rounds, os.getloadavg()[0]))
    for mode in modes:
        for n in names[1:]:
            bad = sum(1 for x, y in zip(res[base][mode], res[n][mode]) if x[1] != y[1])
            if bad and mode != "TOP_10":
                print("  %s: %d count mismatches vs %s" % (mode, bad, n))
        tags = sorted({t for t, _ in qs})
        print("\n%s in-engine us: mean (p50)" % mode)
        print("%-20s %5s " % ("type", "n") + " ".join("%22s" % n for n in names) + "   ratio(mean,p50)")
        for tag in tags + ["ALL"]:
            idx = [i for i, (t, _) in enumerate(qs) if tag == "ALL" or t == tag]
            row, stats = [], []
            for n in names:
                v = [res[n][mode][i][0] / 1e3 for i in idx]
                m, p = statistics.mean(v), statistics.median(v)
                stats.append((m, p))
                row.append("%12.1f (%7.1f)" % (m, p))
            ratios = " ".join("%s %.2f,%.2f" % (n, stats[j][0] / stats[0][0], stats[j][1] / stats[0][1])
                              for j, n in enumerate(names) if j)
            print("%-20s %5d " % (tag, len(idx)) + " ".join("%22s" % r for r in row) + "   " + ratios)
        if mode == "COUNT":
            idx = [i for i, (t, _) in enumerate(qs) if t == "union"]
            for n in names:
                ns = sum(res[n][mode][i][0] for i in idx)
                docs = sum(res[n][mode][i][1] for i in idx)
                if docs:
                    print("COUNT unions ns/matching doc %s: %.2f" % (n, ns / docs))
        order = sorted(range(len(qs)), key=lambda i: -res[base][mode][i][0])[:6]
        print("slowest %s:" % base)
        for i in order:
            print("   %-45s %-16s %8d " % (qs[i][1][:45], qs[i][0], res[base][mode][i][1]) +
                  " ".join("%s %9.1f" % (n, res[n][mode][i][0] / 1e3) for n in names))


if __name__ == "__main__":
    main()
