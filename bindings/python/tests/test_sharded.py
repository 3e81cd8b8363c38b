"""ShardedWriter / ShardedIndex: the bundled catalogue over 3 shards answers
as one index of it (ids, scores, order, doc numbers, facets, cursors)."""

from __future__ import annotations

import pathlib
from typing import Any, Dict, List

import pytest

import libsearch

from conftest import CATALOGUE


@pytest.fixture(scope="module")
def shards_path(tmp_path_factory: pytest.TempPathFactory, schema: libsearch.Schema) -> pathlib.Path:
    path = tmp_path_factory.mktemp("sharded") / "products.shards"
    with libsearch.ShardedWriter.create(path, schema, 3) as writer:
        assert writer.num_shards == 3
        stats = writer.apply_jsonl(CATALOGUE)
        assert stats.docs_added == 10000
        info = writer.commit()
    assert info["changed"] and info["live_docs"] == 10000
    assert [s["live_docs"] for s in info["shards"]] == [3257, 3397, 3346]
    return path


CASES: List[Dict[str, Any]] = [
    {"query": "peanut butter", "k": 5},
    {"query": "chocolate", "k": 4, "sort": "sugars_100g:asc"},
    {"query": "chocolate", "k": 3, "facets": ["country:4", "is_healthy"]},
    {"query": "peanutt buter", "k": 5, "typos": True},
    {"query": "", "k": 6, "sort": "country"},
]


@pytest.mark.parametrize("threads", [0, 1])
def test_sharded_index_answers_as_one_index(
    shards_path: pathlib.Path, index: libsearch.Index, threads: int
) -> None:
    with libsearch.ShardedIndex(shards_path, threads=threads) as sharded:
        assert sharded.num_docs == index.num_docs
        for case in CASES:
            options = {k: v for k, v in case.items() if k != "query"}
            want = index.search(case["query"], **options)
            got = sharded.search(case["query"], **options)
            assert got.ids == want.ids, case
            assert got.scores == want.scores, case
            assert [h.doc_number for h in got] == [h.doc_number for h in want], case
            assert got.facets == want.facets, case
            assert got.next_cursor == want.next_cursor, case
            if want.next_cursor:
                page_w = index.search(case["query"], **options, search_after=want.next_cursor)
                page_g = sharded.search(case["query"], **options, search_after=got.next_cursor)
                assert page_g.ids == page_w.ids, case


def test_index_open_opens_a_shard_map_and_writer_routes_changes(
    shards_path: pathlib.Path, schema: libsearch.Schema
) -> None:
    before = libsearch.Index.open(shards_path)
    barcode = before.search("peanut butter", k=1).ids[0]
    doc_number = before.search(f"barcode:{barcode}", k=1)[0].doc_number
    owner = libsearch.shard_of(barcode, 3)
    assert 0 <= owner < 3 and owner == libsearch.shard_of(barcode, 3)
    with libsearch.ShardedWriter.open(shards_path) as writer:
        writer.set(barcode, {"sugars_100g": 1.5})
        with pytest.raises(libsearch.InvalidArgument):
            writer.set(barcode, {"_shard_seq": 3})
        info = writer.commit()
    # A number changes in place in its owner shard (no re-index).
    assert info["shards"][owner]["docs_updated"] == 1
    assert sum(s["docs_updated"] for s in info["shards"]) == 1
    assert sum(s["docs_added"] for s in info["shards"]) == 0
    after = before.reopen()
    hit = after.search(f"barcode:{barcode}", k=1)[0]
    assert hit.doc["sugars_100g"] == 1.5
    assert hit.doc_number == doc_number  # In place: it keeps its sequence number.
    # A text field re-indexes the product: it moves to the end (the next number).
    with libsearch.ShardedWriter.open(shards_path) as writer:
        writer.set(barcode, {"product_name": "Peanut Butter Smooth"})
        info = writer.commit()
    assert info["shards"][owner]["docs_added"] == 1
    moved = after.reopen().search(f"barcode:{barcode}", k=1)[0]
    assert moved.doc_number == 10000 and moved.doc["sugars_100g"] == 1.5
    with pytest.raises(libsearch.InvalidArgument):
        libsearch.shard_of("x", 0)
