"""The extension's SearchRequest, bound field by field, and the keyword
options of Index.search / Index.batch that the facade builds it from."""

from __future__ import annotations

import inspect
import math

import pytest

import libsearch
from libsearch import _core


def test_search_request_fields_round_trip() -> None:
    r = _core.SearchRequest()
    assert (r.query, r.k, r.offset, r.filters, r.search_after) == ("", 10, 0, [], "")
    assert r.default_operator == _core.Operator.AND and r.syntax == _core.QuerySyntax.SIMPLE
    assert (r.include_docs, r.include_ids, r.synonyms, r.suggest, r.prefix_last, r.typos) == (
        True, True, True, True, False, False)
    assert r.total_hits_threshold == 1000 and _core.SearchRequest.EXACT_TOTAL == 2**64 - 1
    r.filters = ("a:1", "b:2")
    r.facets = [_core.FacetRequest("brand", size=3), _core.parse_facet_spec("price:0..5,5..*")]
    r.sort = _core.parse_sort_spec("price:desc,_score")
    r.highlight = _core.HighlightOptions(["title"], pre_tag="[")
    assert r.filters == ["a:1", "b:2"]
    assert [(f.field, f.size) for f in r.facets] == [("brand", 3), ("price", 10)]
    price = r.facets[1].ranges
    assert [(x.label, x.from_, x.to) for x in price] == [("0..5", 0, 5), ("5..*", 5, math.inf)]
    assert [(s.field, s.descending) for s in r.sort] == [("price", True), ("_score", True)]
    assert (r.highlight.fields, r.highlight.pre_tag, r.highlight.post_tag) == (["title"], "[", "</em>")
    # A list field reads as a copy: changing it changes nothing.
    r.filters.append("c:3")
    assert r.filters == ["a:1", "b:2"]


def test_keyword_options_are_listed_with_their_defaults() -> None:
    search = inspect.signature(libsearch.Index.search).parameters
    batch = inspect.signature(libsearch.Index.batch).parameters
    assert set(libsearch.SearchOptions.__optional_keys__) == {
        n for n, p in search.items() if p.kind is p.KEYWORD_ONLY}
    assert set(libsearch.BatchOptions.__optional_keys__) | {"return_exceptions"} == {
        n for n, p in batch.items() if p.kind is p.KEYWORD_ONLY}
    assert "search_after" in search and "search_after" not in batch
    defaults = _core.DEFAULTS
    assert search["max_expansions"].default == defaults["max_expansions"] == _core.SearchRequest().max_expansions
    assert search["total_hits_threshold"].default == defaults["total_hits_threshold"]
    assert search["operator"].default == "and" and search["syntax"].default == "simple"


def test_unknown_keywords_are_type_errors(index: libsearch.Index) -> None:
    with pytest.raises(TypeError, match="search\\(\\) got an unexpected keyword argument 'offst'"):
        index.search("tea", offst=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="search\\(\\) got an unexpected keyword argument 'colour'"):
        index.search("tea", prefix=True, colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="batch\\(\\) got an unexpected keyword argument 'search_after'"):
        index.batch(["tea"], search_after="x")  # type: ignore[call-overload]
    # Every option given at its default: the hits of a search with none.
    plain = index.search("chocolate", k=5)
    explicit = index.search("chocolate", k=5, offset=0, filters=None, facets=None, sort=None, search_after=None,
                            highlight=None, fields=None, operator="and", prefix=False, typos=False,
                            max_expansions=50, include_docs=True, total_hits_threshold=1000, syntax="simple",
                            synonyms=True, suggest=True, retrieve=None)
    assert (explicit.ids, explicit.scores, explicit.total) == (plain.ids, plain.scores, plain.total)
