#!/usr/bin/env python3
"""Benchmark of the Python binding (not a unit test; run through run.sh).

Measures, on the bundled catalogue and one fixed set of queries:

1. Per-query overhead of ``Index.search`` over the C++ API for a top-10
   search with stored documents: for each query the median of REPS runs in
   Python and in C++ (``cpp_timing single``), then the median over queries
   of the difference. Reported for the call alone, and for the call plus
   reading every hit's id and score (hits are converted lazily).
2. ``Index.batch`` of 1,000 queries against the C++ ``SearchBatch`` and a
   C++ ``Search`` loop (``cpp_timing batch``): median of REPS runs each.
3. Throughput with 1 and 2 Python threads sharing one Index (the GIL is
   released while searching, so threads should scale with cores).
4. tantivy-py (PyPI ``tantivy``) on the same documents and queries, in the
   same process model (in-process Python, one thread): median per-query
   time and the libsearch/tantivy ratio, for top-10 ids and scores only,
   and for top-10 with every hit's stored document as a dict.

Usage: bench_python.py --cpp build/bench-python/cpp_timing [--queries 1000] [--reps 15]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import pathlib
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List, Sequence

import libsearch

REPO = pathlib.Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "examples" / "products" / "products.jsonl.gz"
SCHEMA = REPO / "examples" / "products" / "schema.json"
WORD = re.compile(r"[a-z]{3,}")


def load_docs() -> List[Dict[str, Any]]:
    """The bundled catalogue as dicts."""
    with gzip.open(CATALOGUE, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def make_queries(docs: Sequence[Dict[str, Any]], n: int, seed: int = 7) -> List[str]:
    """Queries from real documents' words, in syntax both engines read the same way."""
    rng = random.Random(seed)
    out: List[str] = []
    while len(out) < n:
        doc = rng.choice(docs)
        name = WORD.findall(str(doc.get("product_name") or "").lower())
        pool = name + WORD.findall(str(doc.get("ingredients") or "").lower())
        if len(name) < 2 or len(pool) < 3:
            continue
        a, b, c = rng.sample(pool, 3)
        kind = len(out) % 6
        if kind == 0:
            out.append(a)
        elif kind == 1:
            out.append(f"{a} {b}")
        elif kind == 2:
            out.append(f'"{name[0]} {name[1]}"')
        elif kind == 3:
            out.append(f"{a} -{c}")
        elif kind == 4:
            out.append(f"product_name:{name[0]} {b}")
        else:
            out.append(f"{a} OR {c}")
    return out


def median_ns(fn: Callable[[], object], reps: int) -> float:
    """Median wall time of ``fn()`` over ``reps`` runs, in ns."""
    times = []
    for _ in range(reps):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times)


def per_query(fn: Callable[[str], object], queries: Sequence[str], reps: int) -> List[float]:
    """Median ns of ``fn(q)`` for each query."""
    return [median_ns(lambda q=q: fn(q), reps) for q in queries]


def run_cpp(cpp: pathlib.Path, index_path: pathlib.Path, qfile: pathlib.Path, mode: str, reps: int) -> List[str]:
    """Runs cpp_timing and returns its output lines."""
    out = subprocess.run([str(cpp), str(index_path), str(qfile), mode, str(reps)],
                         check=True, capture_output=True, text=True)
    return out.stdout.split("\n")[:-1]


def us(ns: float) -> str:
    """Formats nanoseconds as microseconds."""
    return f"{ns / 1000:.2f} us"


def bench_threads(index: libsearch.Index, queries: Sequence[str], threads: int, rounds: int) -> float:
    """Queries per second with ``threads`` threads each running all queries ``rounds`` times."""
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for _ in range(rounds):
            for q in queries:
                index.search(q)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return threads * rounds * len(queries) / (time.perf_counter() - start)


def tantivy_index(docs: Sequence[Dict[str, Any]], path: pathlib.Path) -> Any:
    """The catalogue in tantivy: the same fields, English stemming, all stored."""
    import tantivy  # type: ignore[import-not-found]

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("barcode", stored=True, tokenizer_name="raw")
    sb.add_text_field("product_name", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("ingredients", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("image_url", stored=True, tokenizer_name="raw", index_option="basic")
    floats = [k for k, v in json.loads(SCHEMA.read_text())["fields"].items() if v["type"] == "float"]
    for name in floats:
        sb.add_float_field(name, stored=True)
    sb.add_text_field("is_healthy", stored=True, tokenizer_name="raw")
    index = tantivy.Index(sb.build(), path=str(path))
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    for d in docs:
        doc = tantivy.Document()
        for key in ("barcode", "product_name", "ingredients", "image_url"):
            if isinstance(d.get(key), str):
                doc.add_text(key, d[key])
        for key in floats:
            if isinstance(d.get(key), (int, float)):
                doc.add_float(key, float(d[key]))
        if d.get("is_healthy") is not None:
            doc.add_text("is_healthy", str(d["is_healthy"]).lower())
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index


def main() -> int:
    """Runs every measurement and prints a summary (and JSON with --json)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpp", type=pathlib.Path, required=True, help="the cpp_timing binary")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    args = ap.parse_args()

    docs = load_docs()
    queries = make_queries(docs, args.queries)
    figures: Dict[str, Any] = {"queries": len(queries), "reps": args.reps, "libsearch": libsearch.__version__,
                               "python": sys.version.split()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = pathlib.Path(tmp_dir)
        index_path = tmp / "products.idx"
        builder = libsearch.IndexBuilder(libsearch.Schema.from_file(SCHEMA))
        builder.add_jsonl(CATALOGUE)
        builder.build(index_path)
        qfile = tmp / "queries.txt"
        qfile.write_text("".join(q + "\n" for q in queries), encoding="utf-8")
        index = libsearch.Index.open(index_path)

        # Warm both processes' caches the same way: one untimed pass.
        for q in queries:
            index.search(q)

        # 1. Per-query overhead.
        cpp = [float(x) for x in run_cpp(args.cpp, index_path, qfile, "single", args.reps)]
        py_call = per_query(lambda q: index.search(q), queries, args.reps)

        def call_and_read(q: str) -> None:
            for hit in index.search(q):
                hit.id, hit.score  # noqa: B018 - the read is the point

        py_read = per_query(call_and_read, queries, args.reps)
        over_call = statistics.median(p - c for p, c in zip(py_call, cpp))
        over_read = statistics.median(p - c for p, c in zip(py_read, cpp))
        figures.update(cpp_median_ns=statistics.median(cpp), py_call_median_ns=statistics.median(py_call),
                       py_read_median_ns=statistics.median(py_read), overhead_call_ns=over_call,
                       overhead_call_and_read_ns=over_read)
        print(f"top-10 search with docs, median over {len(queries)} queries of per-query medians ({args.reps} runs):")
        print(f"  C++ Index::Search                     {us(statistics.median(cpp))}")
        print(f"  Python index.search(q)                {us(statistics.median(py_call))}"
              f"   overhead {us(over_call)} (median of per-query differences)")
        print(f"  Python + read every hit's id, score   {us(statistics.median(py_read))}"
              f"   overhead {us(over_read)}")

        # 2. Batch of 1,000 queries.
        batch_queries = queries[:1000]
        cpp_batch = [tuple(map(int, line.split())) for line in
                     run_cpp(args.cpp, index_path, qfile, "batch", args.reps)]
        cpp_batch_ns = statistics.median(b for b, _ in cpp_batch)
        cpp_loop_ns = statistics.median(s for _, s in cpp_batch)

        def py_batch() -> None:
            for r in index.batch(batch_queries, k=10):
                for hit in r:
                    hit.id, hit.score  # noqa: B018

        py_batch_ns = median_ns(py_batch, args.reps)
        figures.update(batch_queries=len(batch_queries), cpp_batch_ns=cpp_batch_ns, cpp_loop_ns=cpp_loop_ns,
                       py_batch_ns=py_batch_ns, batch_ratio_vs_cpp_loop=py_batch_ns / cpp_loop_ns)
        print(f"\nbatch of {len(batch_queries)} queries (top 10 with docs), median of {args.reps}:")
        print(f"  C++ SearchBatch {cpp_batch_ns / 1e6:.2f} ms, C++ Search loop {cpp_loop_ns / 1e6:.2f} ms, "
              f"Python index.batch + read hits {py_batch_ns / 1e6:.2f} ms "
              f"({100 * (py_batch_ns / cpp_loop_ns - 1):+.1f}% vs the C++ loop)")

        # 3. Threads.
        qps1 = bench_threads(index, queries[:300], 1, 3)
        qps2 = bench_threads(index, queries[:300], 2, 3)
        figures.update(qps_1_thread=qps1, qps_2_threads=qps2)
        print(f"\nthreads sharing one Index: 1 thread {qps1:.0f} q/s, 2 threads {qps2:.0f} q/s "
              f"(x{qps2 / qps1:.2f} on {os.cpu_count()} CPUs)")

        # 4. tantivy-py.
        try:
            import tantivy  # noqa: F401
        except ImportError:
            print("\ntantivy-py not installed (python3 -m pip install tantivy): comparison skipped")
            tantivy = None
        if tantivy is not None:
            tdir = tmp / "tantivy"
            tdir.mkdir()
            tindex = tantivy_index(docs, tdir)
            searcher = tindex.searcher()
            fields = ["product_name", "ingredients"]
            boosts = {"product_name": 2.0}

            def t_parse(q: str) -> Any:
                return tindex.parse_query(q, fields, field_boosts=boosts, conjunction_by_default=True)

            def t_ids(q: str) -> List[Any]:
                res = searcher.search(t_parse(q), 10, count=False)
                return [(searcher.doc(addr)["barcode"][0], s) for s, addr in res.hits]

            def t_docs(q: str) -> List[Dict[str, Any]]:
                res = searcher.search(t_parse(q), 10, count=False)
                return [searcher.doc(addr).to_dict() for _, addr in res.hits]

            def l_ids(q: str) -> List[Any]:
                r = index.search(q, include_docs=False)
                return list(zip(r.ids, r.scores))

            def l_docs(q: str) -> List[Dict[str, Any]]:
                return [h.doc for h in index.search(q)]

            for q in queries:  # warm-up
                t_docs(q)
            overlap = statistics.mean(
                len({i for i, _ in t_ids(q)} & set(index.search(q, include_docs=False).ids)) / 10
                for q in queries[:200]
            )
            results: Dict[str, float] = {}
            for name, fn in [("libsearch_ids", l_ids), ("tantivy_ids", t_ids),
                             ("libsearch_docs", l_docs), ("tantivy_docs", t_docs)]:
                results[name] = statistics.median(per_query(fn, queries, args.reps))
            figures.update({f"{k}_median_ns": v for k, v in results.items()})
            figures.update(tantivy=getattr(tantivy, "__version__", "?"), top10_overlap=overlap,
                           ratio_ids=results["libsearch_ids"] / results["tantivy_ids"],
                           ratio_docs=results["libsearch_docs"] / results["tantivy_docs"])
            print(f"\ntantivy-py {getattr(tantivy, '__version__', '?')} vs libsearch, same {len(queries)} queries, "
                  f"in-process Python, one thread, median of per-query medians:")
            print(f"  top-10 ids + scores:    libsearch {us(results['libsearch_ids'])}, "
                  f"tantivy {us(results['tantivy_ids'])}  ratio {figures['ratio_ids']:.2f}")
            print(f"  top-10 docs as dicts:   libsearch {us(results['libsearch_docs'])}, "
                  f"tantivy {us(results['tantivy_docs'])}  ratio {figures['ratio_docs']:.2f}")
            print(f"  (ratio = libsearch / tantivy time; top-10 id overlap {overlap:.0%}: the analysers differ)")
        index.close()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
