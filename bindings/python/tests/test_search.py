"""Index.search and friends on the bundled catalogue: every query feature and
every option the API exposes, the result sequence, batch, info and lifetime."""

from __future__ import annotations

import pathlib
from typing import Any, Dict, List

import pytest

import libsearch


def ids(result: libsearch.SearchResult) -> List[str]:
    return [h.id for h in result]


def test_and_is_default_and_or_ranks_any_word(index: libsearch.Index) -> None:
    both = index.search("peanut butter", k=10000)
    peanut = set(index.search("peanut", k=10000).ids)
    butter = set(index.search("butter", k=10000).ids)
    assert set(both.ids) == peanut & butter
    assert both.total == len(peanut & butter) == 97
    any_word = index.search("peanut butter", k=10000, operator="or")
    assert set(any_word.ids) == peanut | butter
    assert any_word.total == len(peanut | butter)
    assert index.search("peanut AND butter").ids == index.search("peanut butter").ids


def test_top_hits_look_right(index: libsearch.Index) -> None:
    # Exact ids and scores are checked against the CLI in test_cli_parity.
    result = index.search("peanut butter", k=3)
    assert len(result) == 3 and result.total == 97
    for hit in result:
        name = hit.doc["product_name"].lower()
        assert "peanut" in name and "butter" in name and hit.score > 0


def test_field_scoring_switches_between_bm25f_and_per_field(index: libsearch.Index) -> None:
    bm25f = index.search("peanut butter", k=20)
    per_field = index.search("peanut butter", k=20, field_scoring="per_field")
    assert bm25f.total == per_field.total == 97
    # Per field, the boost multiplies a whole field's score (product_name 5):
    # sums well above BM25F's, which saturates each word once (<= its idf).
    assert per_field[0].score > 2 * bm25f[0].score
    assert index.search("peanut butter", k=20, field_scoring="bm25f").ids == bm25f.ids
    # One summed length per product: the same matches, other scores.
    combined = index.search("peanut butter", k=20, field_scoring="bm25f_combined_length")
    assert combined.total == 97
    assert [h.score for h in combined] != [h.score for h in bm25f]
    with pytest.raises(libsearch.InvalidArgument,
                       match="field_scoring must be 'bm25f', 'bm25f_combined_length' or 'per_field'"):
        index.search("peanut butter", field_scoring="dismax")


def test_scores_descend_and_ties_keep_doc_order(index: libsearch.Index) -> None:
    hits = list(index.search("chocolate", k=500))
    for a, b in zip(hits, hits[1:]):
        assert (a.score, -a.doc_number) >= (b.score, -b.doc_number)


def test_phrase(index: libsearch.Index) -> None:
    phrase = index.search('"dark chocolate"', k=10000)
    words = index.search("dark chocolate", k=10000)
    assert 0 < phrase.total < words.total
    assert set(phrase.ids) <= set(words.ids)
    for hit in phrase[:20]:
        text = (hit.doc.get("product_name", "") + " " + hit.doc.get("ingredients", "")).lower()
        assert "dark chocolate" in text


def test_exclusion_and_not(index: libsearch.Index) -> None:
    sugar = set(index.search("sugar", k=10000).ids)
    salt = set(index.search("salt", k=10000).ids)
    assert set(index.search("sugar -salt", k=10000).ids) == sugar - salt
    assert set(index.search("sugar NOT salt", k=10000).ids) == sugar - salt
    assert set(index.search("+sugar +salt", k=10000).ids) == sugar & salt


def test_or_groups(index: libsearch.Index) -> None:
    apple = set(index.search("apple", k=10000).ids)
    pear = set(index.search("pear", k=10000).ids)
    juice = set(index.search("juice", k=10000).ids)
    assert set(index.search("apple OR pear", k=10000).ids) == apple | pear
    assert set(index.search("(apple OR pear) juice", k=10000).ids) == (apple | pear) & juice
    assert set(index.search("apple OR pear juice", k=10000).ids) == (apple | pear) & juice
    excluded = set(index.search("juice -(apple OR pear)", k=10000).ids)
    assert excluded == juice - apple - pear


def test_field_queries(index: libsearch.Index) -> None:
    in_name = set(index.search("product_name:cookies", k=10000).ids)
    anywhere = set(index.search("cookies", k=10000).ids)
    assert 0 < len(in_name) < len(anywhere)
    for hit in index.search("product_name:cookies", k=20):
        assert "cookie" in hit.doc["product_name"].lower()
    assert set(index.search('product_name:"peanut butter"', k=10000).ids) <= set(
        index.search('"peanut butter"', k=10000).ids
    )
    assert index.search("product_name:(cookie OR cracker)").total > len(in_name)


def test_numeric_ranges_in_the_query(index: libsearch.Index) -> None:
    low = index.search("chocolate sugars_100g:<5", k=100)
    assert 0 < low.total < index.search("chocolate", k=0).total
    assert all(h.doc["sugars_100g"] < 5 for h in low)
    for hit in index.search("sugars_100g:[0 TO 1] proteins_100g:>=20", k=50):
        assert 0 <= hit.doc["sugars_100g"] <= 1 and hit.doc["proteins_100g"] >= 20
    exclusive = index.search("fat_100g:{1 TO 2}", k=10000, total_hits_threshold=None)
    assert all(1 < h.doc["fat_100g"] < 2 for h in exclusive)


def test_filters_restrict_without_changing_scores(index: libsearch.Index) -> None:
    everything = index.search("chocolate", k=10000, total_hits_threshold=None)
    filtered = index.search("chocolate", k=10000, filters=["sugars_100g:<5", "is_healthy:true"],
                            total_hits_threshold=None)
    keep = [(h.id, h.score) for h in everything
            if h.doc.get("sugars_100g", 99) < 5 and h.doc.get("is_healthy") is True]
    assert [(h.id, h.score) for h in filtered] == keep
    assert filtered.total == len(keep) > 0
    assert index.search("chocolate", filters="sugars_100g:<5").ids == index.search(
        "chocolate", filters=["sugars_100g:<5"]).ids
    assert index.explain("chocolate", filters="sugars_100g:<5").endswith("+#sugars_100g:[* TO 5})")
    batch = index.batch(["chocolate", "tea"], k=5, filters="is_healthy:true")
    assert batch[0].ids == index.search("chocolate", k=5, filters="is_healthy:true").ids


def test_keyword_fields(index: libsearch.Index) -> None:
    result = index.search("barcode:0855094006359")
    assert result.ids == ["0855094006359"] and result.total == 1
    healthy = index.search("is_healthy:true", k=0).total
    unhealthy = index.search("is_healthy:false", k=0).total
    assert healthy > 0 and unhealthy > 0 and healthy + unhealthy <= index.num_docs


def test_fields_option(index: libsearch.Index) -> None:
    name_only = index.search("chocolate", k=10000, fields=["product_name"])
    assert name_only.ids == index.search("product_name:chocolate", k=10000).ids
    assert index.search("chocolate", fields="product_name").ids == name_only.ids[:10]
    both = index.search("chocolate", k=10000, fields=("product_name", "ingredients"))
    assert both.ids == index.search("chocolate", k=10000).ids


def test_accents_and_case_fold(index: libsearch.Index) -> None:
    assert index.search("crème brûlée").ids == index.search("CREME BRULEE").ids
    assert index.search("crème brûlée").total > 0


def test_empty_query_and_only_exclusions(index: libsearch.Index) -> None:
    assert index.search("", total_hits_threshold=None).total == index.num_docs
    salt = index.search("salt", k=0).total
    assert index.search("-salt", k=0).total == index.num_docs - salt


def test_total_hits_threshold(index: libsearch.Index) -> None:
    exact = index.search("sugar", total_hits_threshold=None)
    assert exact.total_exact and exact.total > 1000
    assert exact.total == index.search("sugar", k=0).total  # k = 0 counts exactly
    default = index.search("sugar")
    assert not default.total_exact and 1000 <= default.total <= exact.total
    assert repr(default).startswith("SearchResult(total=>=")
    # Pruning changes the count, never the hits.
    assert (default.ids, default.scores) == (exact.ids, exact.scores)
    low = index.search("sugar", total_hits_threshold=10)
    assert not low.total_exact and (low.ids, low.scores) == (exact.ids, exact.scores)
    small = index.search("peanut butter", total_hits_threshold=10**6)
    assert small.total_exact and small.total == 97
    batch = index.batch(["sugar", "peanut butter"], total_hits_threshold=None)
    assert [r.total_exact for r in batch] == [True, True]
    assert batch[0].total == exact.total


def test_offset_pages_tile_the_list(index: libsearch.Index) -> None:
    full = index.search("organic", k=100)
    pages: List[str] = []
    for offset in range(0, 100, 7):
        page = index.search("organic", k=7, offset=offset)
        assert page.total == full.total
        pages += page.ids
    assert pages[:100] == full.ids
    assert index.search("organic", k=5, offset=full.total).ids == []


def test_include_docs_false(index: libsearch.Index) -> None:
    with_docs = index.search("milk", k=5)
    without = index.search("milk", k=5, include_docs=False)
    assert without.ids == with_docs.ids and without.scores == with_docs.scores
    assert all(h.doc == {} and h.doc_json == "" for h in without)


def test_k_zero_counts_only(index: libsearch.Index) -> None:
    result = index.search("milk", k=0)
    assert len(result) == 0 and result.total > 0 and result.took_us >= 0


def test_result_is_a_lazy_sequence(index: libsearch.Index) -> None:
    result = index.search("tea", k=10)
    assert isinstance(result, libsearch.SearchResult)
    assert len(result) == 10 == len(list(result))
    assert result[-1].id == result[9].id == result.ids[-1]
    assert [h.id for h in result[2:5]] == result.ids[2:5]
    assert [h.score for h in result[::-1]] == result.scores[::-1]
    with pytest.raises(IndexError):
        result[10]
    with pytest.raises(IndexError):
        result[-11]
    hit = result[0]
    assert hit.doc is hit.doc  # parsed once, then kept
    assert repr(result).startswith("SearchResult(total=")
    assert repr(hit).startswith("Hit(id=")
    assert [h.id for h in reversed(result)] == result.ids[::-1]  # Sequence mixins
    assert isinstance(hit.score, float) and isinstance(hit.doc_number, int)


def test_hits_outlive_the_index(index_path: pathlib.Path) -> None:
    with libsearch.Index.open(index_path) as index:
        result = index.search("coffee", k=3)
    assert index.closed
    assert len(result) == 3 and result[0].doc["barcode"] == result[0].id


def test_batch_matches_search(index: libsearch.Index) -> None:
    queries = ["peanut butter", '"dark chocolate" -milk', "organic (apple OR pear) juice", "", "tea"]
    batch = index.batch(queries, k=5)
    assert len(batch) == len(queries)
    for q, r in zip(queries, batch):
        single = index.search(q, k=5)
        assert (r.ids, r.scores, r.total) == (single.ids, single.scores, single.total)
        assert [h.doc for h in r] == [h.doc for h in single]
    opts = dict(offset=2, fields=["product_name"], operator="or", include_docs=False)
    for q, r in zip(queries, index.batch(queries, k=3, **opts)):  # type: ignore[call-overload]
        assert r.ids == index.search(q, k=3, **opts).ids  # type: ignore[arg-type]
    assert index.batch([]) == []
    assert len(index.batch(iter(["a", "b"]))) == 2


def test_batch_errors(index: libsearch.Index) -> None:
    with pytest.raises(libsearch.InvalidArgument, match="never closed"):
        index.batch(["tea", "(tea", "coffee"], syntax="full")
    assert len(index.batch(["tea", "(tea", "coffee"])) == 3  # simple: "(tea" is the word tea
    mixed = index.batch(["tea", "(tea", "colour:red"], return_exceptions=True, syntax="full")
    assert isinstance(mixed[0], libsearch.SearchResult)
    assert isinstance(mixed[1], libsearch.InvalidArgument) and "never closed" in str(mixed[1])
    assert isinstance(mixed[2], libsearch.InvalidArgument) and "unknown field 'colour'" in str(mixed[2])
    with pytest.raises(TypeError):
        index.batch("one query")


def test_explain(index: libsearch.Index) -> None:
    assert index.explain("sugar -salt") == (
        "(+(product_name:sugar^5 ingredients:sugar) -(product_name:salt^5 ingredients:salt))"
    )
    assert index.explain("sugar", fields=["ingredients"]) == "ingredients:sugar"
    assert "product_name" in index.explain("a b", operator="or")


def test_info_verify_schema(index: libsearch.Index, index_path: pathlib.Path, schema: libsearch.Schema) -> None:
    info = index.info()
    assert info.path == str(index_path) == index.path
    assert info.num_docs == 10000 and info.id_field == "barcode"
    assert info.file_bytes == index_path.stat().st_size
    assert info.format_version[0] >= 1
    fields = {f.name: f for f in info.fields}
    assert fields["product_name"].type == "text" and fields["product_name"].doc_count > 9000
    assert fields["image_url"].indexed is False
    assert any(s.kind == "postings" and s.field == "ingredients" for s in info.sections)
    assert sum(s.bytes for s in info.sections) <= info.file_bytes
    index.verify()
    assert index.schema == schema


def test_info_numeric_fields(index: libsearch.Index, catalogue_docs: List[Dict[str, Any]]) -> None:
    # A float field has no terms, but info says what its column holds.
    fields = {f.name: f for f in index.info().fields}
    for name in ("sugars_100g", "proteins_100g"):
        values = [d[name] for d in catalogue_docs if d.get(name) is not None]
        f = fields[name]
        assert f.type == "float" and not f.indexed and f.num_terms == 0
        assert f.doc_count == len(values) > 0
        assert (f.min_value, f.max_value) == (min(values), max(values))
    assert fields["product_name"].min_value == fields["product_name"].max_value == 0.0


def test_bm25_parameters(index_path: pathlib.Path, index: libsearch.Index) -> None:
    with libsearch.Index.open(index_path, bm25_k1=0.9, bm25_b=0.4, checksums="open") as other:
        assert other.search("chocolate milk", k=0).total == index.search("chocolate milk", k=0).total
        assert other.search("chocolate milk").scores != index.search("chocolate milk").scores


def test_context_manager_and_close(index_path: pathlib.Path) -> None:
    index = libsearch.Index(index_path)
    assert not index.closed and "num_docs=10000" in repr(index)
    index.close()
    index.close()  # idempotent
    assert index.closed and "closed" in repr(index)
    with pytest.raises(libsearch.InvalidArgument, match="closed"):
        index.search("tea")
    with libsearch.Index.open(index_path) as ix:
        assert ix.search("tea").total > 0
    with pytest.raises(ValueError):
        ix.info()
