#!/usr/bin/env python3
"""Benchmark of the Python binding (not a unit test; run through run.sh).

Measures, on the bundled catalogue and one fixed set of queries (top-10
searches with stored documents, the SearchRequest defaults):

1. Per-query overhead of ``Index.search`` over the C++ API. The C++ side
   runs inside this Python process (``liblsb_inprocess.so`` through ctypes:
   same heap, same shared-object code model, so only the binding differs)
   and, for reference, as its own process (``cpp_timing``). For each query,
   every variant runs REPS times, interleaved, and keeps its least time (the
   machine is shared; interference only ever adds); the overhead is the
   median over queries of (Python - C++). Variants: the call alone; the call
   plus ``result.ids`` and ``result.scores``; the call plus iterating the
   hits (converted lazily) and reading ``hit.id`` and ``hit.score``. Also
   the fixed cost: an id lookup, the cheapest search (one hit).
2. ``Index.batch`` of 1,000 queries against the C++ ``SearchBatch`` and a
   C++ ``Search`` loop in the same process (least of REPS runs each).
3. Throughput with 1 and 2 Python threads sharing one Index (the GIL is
   released while searching, so threads should scale with free cores), next
   to the same threads running the C++ loop through ctypes (which also drops
   the GIL): the C++ figure is what the machine allows.
4. tantivy-py (PyPI ``tantivy``) on the same documents and queries, in the
   same process model (in-process Python, one thread): median of per-query
   least times, and the libsearch/tantivy ratio, for top-10 ids and scores,
   and for top-10 with every hit's stored document as a dict.

Usage: bench_python.py --cpp build/bench-python/cpp_timing
                       --inprocess build/bench-python/liblsb_inprocess.so
                       [--queries 1000] [--reps 15] [--json FILE]
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import gzip
import importlib.util
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
WORD = re.compile(r"\b[a-z]{3,}\b")  # whole ASCII words only


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


def least_ns(fn: Callable[[], object], reps: int) -> int:
    """Least wall time of ``fn()`` over ``reps`` runs, in ns."""
    best = sys.maxsize
    for _ in range(reps):
        start = time.perf_counter_ns()
        fn()
        best = min(best, time.perf_counter_ns() - start)
    return best


def us(ns: float) -> str:
    """Formats nanoseconds as microseconds."""
    return f"{ns / 1000:.2f} us"


class InProcess:
    """The C++ baseline library, loaded into this process with ctypes."""

    def __init__(self, path: pathlib.Path, index_path: pathlib.Path) -> None:
        """Loads the library and opens ``index_path`` with it."""
        lib = ctypes.CDLL(str(path.resolve()))
        lib.lsb_open.restype = ctypes.c_void_p
        lib.lsb_open.argtypes = [ctypes.c_char_p]
        lib.lsb_close.argtypes = [ctypes.c_void_p]
        lib.lsb_search_ns.restype = ctypes.c_int64
        lib.lsb_search_ns.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.lsb_pass_ns.restype = ctypes.c_int64
        lib.lsb_pass_ns.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        self._lib = lib
        self._handle = lib.lsb_open(str(index_path).encode())
        if not self._handle:
            raise RuntimeError(f"lsb_open({index_path}) failed")

    def search_ns(self, query: bytes, reps: int) -> int:
        """Least ns of ``reps`` C++ searches (timed inside C++)."""
        ns: int = self._lib.lsb_search_ns(self._handle, query, reps)
        return ns

    def pass_ns(self, queries: Sequence[str], batch: bool) -> int:
        """ns for one C++ pass over ``queries``: SearchBatch or a Search loop."""
        arr = (ctypes.c_char_p * len(queries))(*(q.encode() for q in queries))
        ns: int = self._lib.lsb_pass_ns(self._handle, arr, len(queries), int(batch))
        return ns

    def close(self) -> None:
        """Closes the index."""
        self._lib.lsb_close(self._handle)


def bench_overhead(index: libsearch.Index, cpp: InProcess, queries: Sequence[str], reps: int) -> Dict[str, List[int]]:
    """Per-query least times of every variant, interleaved rep by rep."""

    def call(q: str) -> None:
        index.search(q)

    def lists(q: str) -> None:
        r = index.search(q)
        r.ids, r.scores  # noqa: B018 - the read is the point

    def hits(q: str) -> None:
        for hit in index.search(q):
            hit.id, hit.score  # noqa: B018

    variants: Dict[str, Callable[[str], None]] = {"call": call, "lists": lists, "hits": hits}
    best: Dict[str, List[int]] = {name: [] for name in ["cpp", *variants]}
    clock = time.perf_counter_ns
    for q in queries:
        qb = q.encode()
        least = dict.fromkeys(best, sys.maxsize)
        for _ in range(reps):
            least["cpp"] = min(least["cpp"], cpp.search_ns(qb, 1))
            for name, fn in variants.items():
                start = clock()
                fn(q)
                least[name] = min(least[name], clock() - start)
        for name, t in least.items():
            best[name].append(t)
    return best


def bench_threads(run_all: Callable[[], None], n_queries: int, threads: int, rounds: int) -> float:
    """Queries per second with ``threads`` threads each calling ``run_all`` (``n_queries`` queries) ``rounds`` times."""
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for _ in range(rounds):
            run_all()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    return threads * rounds * n_queries / (time.perf_counter() - start)


def tantivy_index(docs: Sequence[Dict[str, Any]], path: pathlib.Path) -> Any:
    """The catalogue in tantivy: the same fields, English stemming, all stored."""
    import tantivy

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


def bench_tantivy(index: libsearch.Index, docs: Sequence[Dict[str, Any]], queries: Sequence[str], reps: int,
                  tmp: pathlib.Path) -> Dict[str, Any]:
    """libsearch and tantivy-py on the same queries, interleaved per query."""
    (tmp / "tantivy").mkdir()
    tindex = tantivy_index(docs, tmp / "tantivy")
    searcher = tindex.searcher()
    fields = ["product_name", "ingredients"]
    boosts = {"product_name": 2.0}

    def t_parse(q: str) -> Any:
        return tindex.parse_query(q, fields, field_boosts=boosts, conjunction_by_default=True)

    def t_ids(q: str) -> List[Any]:
        # tantivy keeps ids in the document store: reading one means loading the doc.
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
        l_docs(q)
    overlap = statistics.mean(len({i for i, _ in t_ids(q)} & {i for i, _ in l_ids(q)}) / 10 for q in queries)
    fns = {"libsearch_ids": l_ids, "tantivy_ids": t_ids, "libsearch_docs": l_docs, "tantivy_docs": t_docs}
    times: Dict[str, List[int]] = {name: [] for name in fns}
    for q in queries:
        for name, fn in fns.items():
            times[name].append(least_ns(functools.partial(fn, q), reps))
    out: Dict[str, Any] = {f"{k}_median_ns": statistics.median(v) for k, v in times.items()}
    import tantivy

    out.update(tantivy=str(getattr(tantivy, "__version__", "?")), top10_overlap=overlap,
               ratio_ids=out["libsearch_ids_median_ns"] / out["tantivy_ids_median_ns"],
               ratio_docs=out["libsearch_docs_median_ns"] / out["tantivy_docs_median_ns"])
    return out


def main() -> int:
    """Runs every measurement and prints a summary (and JSON with --json)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpp", type=pathlib.Path, required=True, help="the cpp_timing binary")
    ap.add_argument("--inprocess", type=pathlib.Path, required=True, help="liblsb_inprocess.so")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    args = ap.parse_args()

    docs = load_docs()
    queries = make_queries(docs, args.queries)
    figures: Dict[str, Any] = {"queries": len(queries), "reps": args.reps, "libsearch": libsearch.__version__,
                               "python": sys.version.split()[0], "cpus": os.cpu_count(),
                               "loadavg_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = pathlib.Path(tmp_dir)
        index_path = tmp / "products.idx"
        builder = libsearch.IndexBuilder(libsearch.Schema.from_file(SCHEMA))
        builder.add_jsonl(CATALOGUE)
        builder.build(index_path)
        qfile = tmp / "queries.txt"
        qfile.write_text("".join(q + "\n" for q in queries), encoding="utf-8")
        index = libsearch.Index.open(index_path)
        cpp = InProcess(args.inprocess, index_path)
        for q in queries:  # one untimed pass
            index.search(q)
            cpp.search_ns(q.encode(), 1)

        # 1. Per-query overhead.
        best = bench_overhead(index, cpp, queries, args.reps)
        own = [float(x) for x in subprocess.run(
            [str(args.cpp), str(index_path), str(qfile), "single", str(args.reps)],
            check=True, capture_output=True, text=True).stdout.split()]
        print(f"top-10 search with docs, {len(queries)} queries; per query the least of {args.reps} runs, "
              "then the median over queries:")
        print(f"  C++ Index::Search (own process)                 {us(statistics.median(own))}")
        print(f"  C++ Index::Search (in this process)             {us(statistics.median(best['cpp']))}")
        figures.update(cpp_own_process_median_ns=statistics.median(own), cpp_median_ns=statistics.median(best["cpp"]))
        for key, label in [("call", "index.search(q)"), ("lists", "+ result.ids, result.scores"),
                           ("hits", "+ for hit in result: hit.id, hit.score")]:
            over = statistics.median(p - c for p, c in zip(best[key], best["cpp"]))
            figures[f"py_{key}_median_ns"] = statistics.median(best[key])
            figures[f"overhead_{key}_ns"] = over
            print(f"  Python {label:<40} {us(statistics.median(best[key]))}   overhead {us(over)}")
        lookup = f"barcode:{docs[0]['barcode']}"
        cpp_lookup = cpp.search_ns(lookup.encode(), 20000)
        py_lookup = least_ns(lambda: index.search(lookup), 20000)
        figures.update(cpp_lookup_ns=cpp_lookup, py_lookup_ns=py_lookup, overhead_lookup_ns=py_lookup - cpp_lookup)
        print(f"  an id lookup ({lookup}): C++ {us(cpp_lookup)}, Python {us(py_lookup)}, "
              f"overhead {us(py_lookup - cpp_lookup)}")

        # 2. Batch of 1,000 queries.
        batch_queries = queries[:1000]

        def py_batch() -> None:
            for r in index.batch(batch_queries, k=10):
                r.ids, r.scores  # noqa: B018

        cpp_loop = cpp_batch = py_batch_ns = sys.maxsize
        for _ in range(args.reps):  # interleaved
            cpp_loop = min(cpp_loop, cpp.pass_ns(batch_queries, batch=False))
            cpp_batch = min(cpp_batch, cpp.pass_ns(batch_queries, batch=True))
            py_batch_ns = min(py_batch_ns, least_ns(py_batch, 1))
        figures.update(batch_queries=len(batch_queries), cpp_loop_ns=cpp_loop, cpp_batch_ns=cpp_batch,
                       py_batch_ns=py_batch_ns, batch_vs_cpp_loop=py_batch_ns / cpp_loop - 1)
        print(f"\n{len(batch_queries)} queries in one pass (ids and scores read), least of {args.reps}:")
        print(f"  C++ Search loop {cpp_loop / 1e6:.2f} ms, C++ SearchBatch {cpp_batch / 1e6:.2f} ms, "
              f"Python index.batch {py_batch_ns / 1e6:.2f} ms ({100 * (py_batch_ns / cpp_loop - 1):+.1f}% "
              "vs the C++ loop)")

        # 3. Threads.
        tq = queries[:300]

        def py_all() -> None:
            for q in tq:
                index.search(q)

        def cpp_all() -> None:
            cpp.pass_ns(tq, batch=False)

        print(f"\nthreads sharing one Index, queries/s (load average {os.getloadavg()[0]:.1f}, "
              f"{os.cpu_count()} CPUs):")
        for label, fn in [("Python index.search", py_all), ("C++ loop via ctypes", cpp_all)]:
            qps1 = bench_threads(fn, len(tq), 1, 3)
            qps2 = bench_threads(fn, len(tq), 2, 3)
            key = "py" if fn is py_all else "cpp"
            figures.update({f"{key}_qps_1_thread": qps1, f"{key}_qps_2_threads": qps2})
            print(f"  {label:<20} 1 thread {qps1:7.0f}, 2 threads {qps2:7.0f} (x{qps2 / qps1:.2f})")
        cpp.close()

        # 4. tantivy-py.
        if importlib.util.find_spec("tantivy") is None:
            print("\ntantivy-py not installed (python3 -m pip install tantivy): comparison skipped")
        else:
            t = bench_tantivy(index, docs, queries, args.reps, tmp)
            figures.update(t)
            print(f"\ntantivy-py {t['tantivy']} vs libsearch, the same {len(queries)} queries, in-process Python, "
                  "one thread; median of per-query least times:")
            print(f"  top-10 ids + scores:   libsearch {us(t['libsearch_ids_median_ns'])}, "
                  f"tantivy {us(t['tantivy_ids_median_ns'])}, ratio {t['ratio_ids']:.2f}")
            print(f"  top-10 docs as dicts:  libsearch {us(t['libsearch_docs_median_ns'])}, "
                  f"tantivy {us(t['tantivy_docs_median_ns'])}, ratio {t['ratio_docs']:.2f}")
            print(f"  (ratio = libsearch time / tantivy time; top-10 overlap {t['top10_overlap']:.0%}: "
                  "the analysers differ)")
        index.close()
    figures["loadavg_end"] = os.getloadavg()[0]
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
