#!/usr/bin/env python3
"""Dependency-free nDCG@k / recall@100 / MAP evaluator, trec_eval compatible.

Usage:
    python3 tools/eval/ndcg.py --qrels QRELS --run RUN [--k 10] [--per-query]
                               [--crosscheck]

QRELS is either TREC qrels (`qid 0 docid rel`) or BEIR tsv qrels
(`query-id<TAB>corpus-id<TAB>score`, header line optional); the format is
detected per line by its column count. RUN is a TREC run file
(`qid Q0 docid rank score tag`).

The definitions follow trec_eval 9.x (`trec_eval -c -m ndcg_cut.K -m recall.100
-m map`) so numbers are comparable with published BEIR/Anserini baselines:

* Ranking: trec_eval ignores the rank column. It sorts a query's results by
  score descending and breaks ties by docid *descending* (strcmp). We do the
  same; otherwise ties (common with %.6f scores) give different numbers.
* nDCG@k: gain = rel (linear, as `ndcg_cut`), discount log2(rank + 1); the
  ideal ranking uses every judged document with rel > 0 of the query.
* Queries: averaged over the queries in the qrels that have at least one
  relevant (rel > 0) judgment; such a query missing from the run counts 0
  (like `trec_eval -c`). Queries with no relevant judgments are skipped.
* recall@100 and MAP treat rel >= 1 as relevant (trec_eval's default
  relevance level); MAP uses the whole run.

--crosscheck recomputes everything with pytrec_eval (PyPI:
pytrec-eval-terrier) if it is importable, prints both, and exits 1 if any
per-query value differs by more than 1e-6.
"""

import argparse
import math
import sys
from collections import defaultdict

TOLERANCE = 1e-6


def read_qrels(path):
    """Returns {qid: {docid: rel}}."""
    qrels = defaultdict(dict)
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            cols = line.split()
            if not cols:
                continue
            if len(cols) == 4:  # TREC: qid iter docid rel
                qid, _, docid, rel = cols
            elif len(cols) == 3:  # BEIR tsv: query-id corpus-id score
                qid, docid, rel = cols
            else:
                sys.exit(f"{path}:{line_no}: expected 3 (BEIR tsv) or 4 (TREC) columns")
            try:
                rel = int(rel)
            except ValueError:
                if line_no == 1:  # The BEIR header line.
                    continue
                sys.exit(f"{path}:{line_no}: relevance '{rel}' is not an integer")
            qrels[qid][docid] = rel
    return dict(qrels)


def read_run(path):
    """Returns {qid: {docid: score}}; a repeated (qid, docid) keeps the best score."""
    run = defaultdict(dict)
    duplicates = 0
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            cols = line.split()
            if not cols:
                continue
            if len(cols) != 6:
                sys.exit(f"{path}:{line_no}: expected 6 columns (qid Q0 docid rank score tag)")
            qid, _, docid, _, score, _ = cols
            score = float(score)
            if docid in run[qid]:
                duplicates += 1
                score = max(score, run[qid][docid])
            run[qid][docid] = score
    if duplicates:
        # trec_eval refuses such runs; say so rather than silently differ.
        print(f"warning: {duplicates} duplicate (qid, docid) lines in {path}; kept the best score",
              file=sys.stderr)
    return dict(run)


def ranked(results):
    """Docids in trec_eval order: score descending, then docid descending."""
    # Two stable sorts: secondary key first.
    docs = sorted(results, reverse=True)
    return sorted(docs, key=lambda d: results[d], reverse=True)


def dcg(gains):
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def evaluate_query(judged, results, k):
    """Returns {measure: value} for one query with at least one relevant doc."""
    ranking = ranked(results)
    num_rel = sum(1 for r in judged.values() if r > 0)

    gains = [max(judged.get(d, 0), 0) for d in ranking[:k]]
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:k]
    ndcg = dcg(gains) / dcg(ideal)

    recall100 = sum(1 for d in ranking[:100] if judged.get(d, 0) > 0) / num_rel

    hits, precision_sum = 0, 0.0
    for i, d in enumerate(ranking):
        if judged.get(d, 0) > 0:
            hits += 1
            precision_sum += hits / (i + 1)
    ap = precision_sum / num_rel

    return {f"ndcg_cut_{k}": ndcg, "recall_100": recall100, "map": ap}


def evaluate(qrels, run, k):
    """Returns {qid: {measure: value}} over judged queries with relevant docs."""
    per_query = {}
    for qid, judged in qrels.items():
        if not any(r > 0 for r in judged.values()):
            continue
        per_query[qid] = evaluate_query(judged, run.get(qid, {}), k)
    return per_query


def mean(per_query, measure):
    if not per_query:
        return 0.0
    return sum(v[measure] for v in per_query.values()) / len(per_query)


def crosscheck(qrels, run, k, ours):
    """Compares `ours` with pytrec_eval; returns the max per-query difference."""
    try:
        import pytrec_eval
    except ImportError:
        sys.exit("--crosscheck: pytrec_eval is not importable (pip install pytrec-eval-terrier)")
    measures = {f"ndcg_cut.{k}", "recall.100", "map"}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, measures)
    theirs = evaluator.evaluate(run)
    max_diff, worst = 0.0, None
    for qid, values in ours.items():
        # pytrec_eval only reports queries present in the run; absent = 0 (-c).
        other = theirs.get(qid, {})
        for measure, value in values.items():
            diff = abs(value - other.get(measure, 0.0))
            if diff > max_diff:
                max_diff, worst = diff, (qid, measure)
    for measure in (f"ndcg_cut_{k}", "recall_100", "map"):
        their_mean = sum(theirs.get(q, {}).get(measure, 0.0) for q in ours) / max(len(ours), 1)
        print(f"pytrec_eval {measure:<12} all {their_mean:.4f}")
    where = f" (query {worst[0]}, {worst[1]})" if worst else ""
    print(f"crosscheck max per-query difference {max_diff:.3g}{where}")
    return max_diff


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qrels", required=True, help="TREC qrels or BEIR tsv qrels")
    ap.add_argument("--run", required=True, help="TREC run file")
    ap.add_argument("--k", type=int, default=10, help="nDCG cutoff (default 10)")
    ap.add_argument("--per-query", action="store_true", help="also print per-query values")
    ap.add_argument("--crosscheck", action="store_true",
                    help="compare with pytrec_eval; exit 1 if off by > 1e-6")
    args = ap.parse_args()
    if args.k < 1:
        ap.error("--k must be >= 1")

    qrels = read_qrels(args.qrels)
    run = read_run(args.run)
    per_query = evaluate(qrels, run, args.k)
    measures = (f"ndcg_cut_{args.k}", "recall_100", "map")

    if args.per_query:
        for qid in sorted(per_query, key=lambda q: (len(q), q)):
            for m in measures:
                print(f"{m:<12} {qid} {per_query[qid][m]:.4f}")
    missing = sum(1 for q in per_query if q not in run)
    print(f"{'num_q':<12} all {len(per_query)}" + (f" ({missing} with no results)" if missing else ""))
    for m in measures:
        print(f"{m:<12} all {mean(per_query, m):.4f}")

    if args.crosscheck:
        if crosscheck(qrels, run, args.k, per_query) > TOLERANCE:
            print("crosscheck FAILED", file=sys.stderr)
            return 1
        print("crosscheck OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
