"""One Index searched from many Python threads gives the single-thread
results. (Whether threads run in parallel is a speed question, measured by
bench/python/bench_python.py, not asserted here.)"""

from __future__ import annotations

import pathlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import List, Tuple

import libsearch

QUERIES = [
    "peanut butter", '"dark chocolate" -milk', "organic (apple OR pear) juice",
    "product_name:cookies chocolate chip", "crème brûlée", "sugar -salt", "tea OR coffee",
    "milk", "", "barcode:0855094006359", "whole wheat bread", "olive oil", "rice",
    "cheese -cheddar", "orange juice", "vanilla OR chocolate ice cream",
]

Answer = Tuple[int, List[str], List[float], List[str]]


def answer(index: libsearch.Index, query: str) -> Answer:
    result = index.search(query, k=20)
    return result.total, result.ids, result.scores, [h.doc_json for h in result]


def test_threads_get_single_thread_results(index: libsearch.Index) -> None:
    expected = {q: answer(index, q) for q in QUERIES}
    work = QUERIES * 25
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: (q, answer(index, q)), work))
    assert len(got) == len(work)
    for q, a in got:
        assert a == expected[q], q


def test_threads_batch_and_search_together(index: libsearch.Index) -> None:
    expected = [answer(index, q) for q in QUERIES]
    errors: List[BaseException] = []

    def run_batches() -> None:
        try:
            for _ in range(10):
                results = index.batch(QUERIES, k=20)
                got = [(r.total, r.ids, r.scores, [h.doc_json for h in r]) for r in results]
                assert got == expected
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=run_batches) for _ in range(4)]
    for t in threads:
        t.start()
    for q, e in zip(QUERIES * 5, expected * 5):
        assert answer(index, q) == e
    for t in threads:
        t.join()
    assert not errors, errors


def test_close_while_other_threads_search(index_path: pathlib.Path) -> None:
    index = libsearch.Index.open(index_path)
    started = threading.Barrier(5)
    outcomes: List[str] = []
    lock = threading.Lock()

    def search_until_closed() -> None:
        started.wait()
        for _ in range(2000):
            try:
                index.search("chocolate", k=5)
            except libsearch.InvalidArgument as e:
                assert "closed" in str(e)
                with lock:
                    outcomes.append("closed")
                return
        with lock:
            outcomes.append("finished")

    threads = [threading.Thread(target=search_until_closed) for _ in range(4)]
    for t in threads:
        t.start()
    started.wait()
    index.close()
    for t in threads:
        t.join()
    assert len(outcomes) == 4


def test_builders_in_parallel(tmp_path: pathlib.Path, index_path: pathlib.Path) -> None:
    from conftest import CATALOGUE, SCHEMA_FILE

    def build(i: int) -> pathlib.Path:
        builder = libsearch.IndexBuilder(libsearch.Schema.from_file(SCHEMA_FILE))
        builder.add_jsonl(CATALOGUE)
        out = tmp_path / f"{i}.idx"
        builder.build(out)
        return out

    with ThreadPoolExecutor(max_workers=2) as pool:
        paths = list(pool.map(build, range(2)))
    for p in paths:
        assert p.read_bytes() == index_path.read_bytes()


def test_one_builder_shared_by_threads(tmp_path: pathlib.Path) -> None:
    builder = libsearch.IndexBuilder({"id": "id", "fields": {"t": {"type": "text"}}})

    def add(start: int) -> None:
        for i in range(start, start + 500):
            builder.add({"id": str(i), "t": f"word{i % 7} common"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(add, range(0, 2000, 500)))
    assert builder.num_docs == 2000
    builder.build(tmp_path / "t.idx")
    with libsearch.Index(tmp_path / "t.idx") as index:
        assert index.search("common", k=0).total == 2000


def test_search_releases_the_gil(index: libsearch.Index) -> None:
    # While one thread is inside a long C++ batch, another keeps running
    # Python code. With the GIL held it could not run at all during the call.
    done = threading.Event()
    calls = 0

    def work() -> None:
        index.batch(["chocolate OR milk OR sugar"] * 1000, k=10)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    while not done.is_set():
        calls += 1
    worker.join()
    assert calls > 10000, calls
