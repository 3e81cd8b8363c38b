"""Product-search options: facets, sort, cursors, search-as-you-type, typo
tolerance and highlighting, each checked against the catalogue itself."""

from __future__ import annotations

import math
from typing import Any, Dict, List

import pytest

import libsearch


def test_keyword_facet_counts_every_match(index: libsearch.Index) -> None:
    result = index.search("chocolate", k=3, facets="is_healthy")
    assert result.total_exact  # facets make the total exact
    counts = {c.value: c.count for c in result.facets["is_healthy"]}
    assert set(counts) == {"true", "false"}
    everything = index.search("chocolate", k=10000, total_hits_threshold=None)
    expected = {"true": 0, "false": 0}
    for hit in everything:
        expected[str(hit.doc["is_healthy"]).lower()] += 1
    assert counts == expected
    assert [c.count for c in result.facets["is_healthy"]] == sorted(counts.values(), reverse=True)
    assert len(index.search("", facets=libsearch.Facet("is_healthy", size=1)).facets["is_healthy"]) == 1
    with pytest.raises(libsearch.InvalidArgument, match="field 'barcode' cannot be faceted"):
        index.search("chocolate", facets="barcode")


def test_range_facet(index: libsearch.Index, catalogue_docs: List[Dict[str, Any]]) -> None:
    facet = libsearch.Facet("sugars_100g", ranges=[(None, 5, "low"), (5, 20), (20, None, "high")])
    result = index.search("", k=0, facets=[facet])
    values = result.facets["sugars_100g"]
    assert [v.value for v in values][0] == "low" and values[2].value == "high"
    sugars = [d["sugars_100g"] for d in catalogue_docs if isinstance(d.get("sugars_100g"), (int, float))]
    assert [v.count for v in values] == [
        sum(s < 5 for s in sugars), sum(5 <= s < 20 for s in sugars), sum(s >= 20 for s in sugars)]
    assert values[1] == libsearch.FacetCount(values[1].value, values[1].count)


def test_disjunctive_facet(index: libsearch.Index) -> None:
    plain = index.search("chocolate", k=0, filters="is_healthy:true", facets="is_healthy")
    disjunctive = index.search("chocolate", k=0, filters="is_healthy:true",
                               facets=libsearch.Facet("is_healthy", disjunctive=True))
    assert {c.value for c in plain.facets["is_healthy"]} == {"true"}
    assert {c.value for c in disjunctive.facets["is_healthy"]} == {"true", "false"}
    assert disjunctive.total == plain.total


def test_sort_by_field(index: libsearch.Index) -> None:
    up = index.search("chocolate", k=50, sort="sugars_100g")
    values = [h.doc.get("sugars_100g", math.inf) for h in up]
    assert values == sorted(values)
    down = index.search("chocolate", k=50, sort=["sugars_100g:desc"])
    assert [h.doc.get("sugars_100g") for h in down] == sorted(
        (h.doc.get("sugars_100g") for h in down), key=lambda v: -v if v is not None else math.inf)
    assert down.ids == index.search("chocolate", k=50, sort="sugars_100g:desc,_score").ids
    assert index.search("chocolate", k=20, sort="_score").scores == sorted(
        index.search("chocolate", k=20).scores, reverse=True)
    with pytest.raises(libsearch.InvalidArgument, match="direction must be asc or desc"):
        index.search("chocolate", sort="sugars_100g:down")
    # One syntax everywhere: the JSON model's, with a hint for the old form.
    with pytest.raises(libsearch.InvalidArgument, match="write 'sugars_100g:desc'"):
        index.search("chocolate", sort="-sugars_100g")


def test_search_after_pages_tile_the_list(index: libsearch.Index) -> None:
    full = index.search("organic", k=60, sort="proteins_100g:desc")
    pages: List[str] = []
    cursor = None
    while len(pages) < 60:
        page = index.search("organic", k=7, sort="proteins_100g:desc", search_after=cursor)
        pages += page.ids
        cursor = page.next_cursor
        assert cursor
    assert pages[:60] == full.ids
    assert index.search("zzqqxx").next_cursor is None


def test_prefix_and_typos(index: libsearch.Index) -> None:
    assert index.search("chocolat").total < index.search("chocolat", prefix=True).total
    assert index.search("chocolat ", prefix=True).total == index.search("chocolat").total  # ends in a space
    assert index.search("chocolte").total == 0
    fuzzy = index.search("chocolte", typos=True)
    assert fuzzy.total > 0 and all(s > 0 for s in fuzzy.scores)
    assert index.search("chocolte", typos=True, max_expansions=1).total <= fuzzy.total
    assert "chocol" in index.explain("chocolte", typos=True)


def test_did_you_mean(index: libsearch.Index) -> None:
    result = index.search("chocolte")
    assert result.total == 0 and result.suggestion
    assert index.search(result.suggestion).total > 0
    assert index.search("chocolate").suggestion is None


def test_highlight(index: libsearch.Index) -> None:
    result = index.search("peanut butter", k=5, highlight="product_name")
    for hit in result:
        snippet = hit.highlights["product_name"]
        assert "<em>" in snippet and "</em>" in snippet
    custom = index.search("peanut butter", k=1,
                          highlight=libsearch.Highlight(["product_name", "ingredients"], "[", "]", 40))
    hl = custom[0].highlights
    assert set(hl) <= {"product_name", "ingredients"} and "[" in hl["product_name"]
    assert index.search("peanut butter", k=1)[0].highlights == {}


def test_filter_cache_option_gives_the_same_results(index_path) -> None:
    filters = ["country:(France OR Germany)", "sugars_100g:<10 -nutrition_band:red"]
    with libsearch.Index.open(index_path, filter_cache_bytes=0) as plain, libsearch.Index.open(index_path) as cached:
        for _ in range(3):  # The second use builds the cached sets, the third reads them.
            for q in ["chocolate", "", "milk OR cheese"]:
                a = plain.search(q, 20, filters=filters, include_docs=False)
                b = cached.search(q, 20, filters=filters, include_docs=False)
                assert a.total == b.total
                assert [(h.id, h.score) for h in a] == [(h.id, h.score) for h in b]
    with pytest.raises(libsearch.InvalidArgument, match="filter_cache_bytes"):
        libsearch.Index.open(index_path, filter_cache_bytes=-1)
