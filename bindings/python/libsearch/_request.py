"""Search options: the keyword arguments of :meth:`Index.search` and
:meth:`Index.batch`, typed once (:class:`SearchOptions`), and their conversion
to one C++ ``SearchRequest``."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    List,
    Literal,
    Mapping,
    NoReturn,
    Optional,
    Sequence,
    Tuple,
    TypedDict,
    TypeVar,
    Union,
)

from . import _core
from ._errors import InvalidArgument
from ._util import DEFAULTS, strings, utf8

#: How bare query words combine: ``"and"`` (every word must match) or
#: ``"or"`` (documents matching any word are ranked).
Operator = Literal["and", "or"]


@dataclass(frozen=True)
class Facet:
    """A facet: counts of a field's values over all matching documents.

    Pass it (or just a field name, for a keyword facet with the default size)
    in ``Index.search(..., facets=[...])``; the counts come back in
    :attr:`SearchResult.facets`.

    Attributes:
        field: A keyword or numeric field.
        size: Keyword fields: how many of the most frequent values to return
            (ties by value). Default 10.
        ranges: Numeric fields (required there): ``(lo, hi)`` or
            ``(lo, hi, label)`` tuples, each counting ``lo <= value < hi``;
            ``None`` leaves an end open. The label defaults to ``"lo..hi"``.
        disjunctive: Count as if the request's filters that use only this
            field were lifted, so a shop can show the other brands while one
            brand is selected.
    """

    field: str
    size: int = DEFAULTS["facet_size"]
    ranges: Sequence[Union[Tuple[Optional[float], Optional[float]], Tuple[Optional[float], Optional[float], str]]] = ()
    disjunctive: bool = False


FacetSpec = Union[str, Facet]


@dataclass(frozen=True)
class Highlight:
    """Snippets of stored text fields with the matched words marked.

    Pass it (or just field names) as ``Index.search(..., highlight=...)``; the
    snippets come back in :attr:`Hit.highlights`. Matches include stems,
    prefix and typo expansions; excluded words are never marked. The text is
    returned as stored, not HTML-escaped.

    Attributes:
        fields: Stored text fields to highlight.
        pre_tag, post_tag: Put around each matched word.
        fragment_bytes: Approximate snippet length; whole words are kept.
    """

    fields: Sequence[str]
    pre_tag: str = DEFAULTS["pre_tag"]
    post_tag: str = DEFAULTS["post_tag"]
    fragment_bytes: int = DEFAULTS["fragment_bytes"]


class BatchOptions(TypedDict, total=False):
    """The keyword options of :meth:`Index.batch`: those of :meth:`Index.search`
    but ``search_after``. Every key is optional; see :meth:`Index.search` for
    what each does and :data:`OPTION_DEFAULTS` for the defaults."""

    offset: int
    filters: Union[str, Sequence[str], None]
    facets: Union[FacetSpec, Sequence[FacetSpec], None]
    sort: Union[str, Sequence[str], None]
    highlight: Union[str, Sequence[str], Highlight, None]
    fields: Union[str, Sequence[str], None]
    operator: Operator
    prefix: bool
    typos: bool
    max_expansions: int
    include_docs: bool
    total_hits_threshold: Optional[int]
    syntax: str
    synonyms: bool
    suggest: bool
    retrieve: Union[str, Sequence[str], None]
    field_scoring: str


class SearchOptions(BatchOptions, total=False):
    """The keyword options of :meth:`Index.search` (``**options``)."""

    search_after: Optional[str]


#: Each option's default, in the order the signatures list them. The C++
#: ``SearchRequest`` has the same defaults, so an option left out is not set.
OPTION_DEFAULTS: Dict[str, Any] = {
    "offset": DEFAULTS["offset"],
    "filters": None,
    "facets": None,
    "sort": None,
    "search_after": None,
    "highlight": None,
    "fields": None,
    "operator": "and",
    "prefix": False,
    "typos": False,
    "max_expansions": DEFAULTS["max_expansions"],
    "include_docs": DEFAULTS["include_docs"],
    "total_hits_threshold": DEFAULTS["total_hits_threshold"],
    "syntax": "simple",
    "synonyms": True,
    "suggest": True,
    "retrieve": None,
    "field_scoring": "bm25f",
}

SEARCH_OPTIONS: FrozenSet[str] = frozenset(SearchOptions.__optional_keys__)
BATCH_OPTIONS: FrozenSet[str] = frozenset(BatchOptions.__optional_keys__)
#: A search with only these options takes the extension's fast path
#: (``search_basic``: no SearchRequest object).
BASIC_OPTIONS: FrozenSet[str] = frozenset(
    {"offset", "filters", "fields", "operator", "include_docs", "total_hits_threshold"})
assert SEARCH_OPTIONS == set(OPTION_DEFAULTS) and BASIC_OPTIONS <= BATCH_OPTIONS <= SEARCH_OPTIONS

AND = _core.Operator.AND
INCLUDE_DOCS: bool = DEFAULTS["include_docs"]
THRESHOLD: Optional[int] = DEFAULTS["total_hits_threshold"]

_OPERATORS = {"and": _core.Operator.AND, "or": _core.Operator.OR}
_E = TypeVar("_E")
_SYNTAX = {"simple": _core.QuerySyntax.SIMPLE, "full": _core.QuerySyntax.FULL}
_FIELD_SCORING = {
    "bm25f": _core.FieldScoring.BM25F,
    "bm25f_combined_length": _core.FieldScoring.BM25F_COMBINED_LENGTH,
    "per_field": _core.FieldScoring.PER_FIELD,
}
_INF = float("inf")


def window_error(k: int, offset: int) -> NoReturn:
    """Raises for a negative ``k`` or ``offset`` (the extension takes unsigned ones)."""
    raise InvalidArgument(f"k and offset must not be negative (got k {k}, offset {offset})")


def core_operator(op: str) -> _core.Operator:
    try:
        return _OPERATORS[op]
    except (KeyError, TypeError):
        raise InvalidArgument(f"operator must be 'and' or 'or', got {op!r}") from None


def _facet_requests(facets: Union[FacetSpec, Sequence[FacetSpec]]) -> List[_core.FacetRequest]:
    if isinstance(facets, (str, Facet)):
        facets = (facets,)
    out = []
    for f in facets:
        if isinstance(f, str):
            # "brands", "brands:5", "sugars_100g:0..5,5..*": the JSON model's spec.
            out.append(_core.parse_facet_spec(f))
            continue
        ranges = []
        for r in f.ranges:
            lo, hi = r[0], r[1]
            label = r[2] if len(r) > 2 else ""
            ranges.append(_core.FacetRange(label, -_INF if lo is None else float(lo), _INF if hi is None else float(hi)))
        out.append(_core.FacetRequest(f.field, f.size, ranges, f.disjunctive))
    return out


def _highlight(highlight: Union[str, Sequence[str], Highlight]) -> _core.HighlightOptions:
    h = highlight if isinstance(highlight, Highlight) else Highlight(strings(highlight))
    return _core.HighlightOptions(strings(h.fields), h.pre_tag, h.post_tag, h.fragment_bytes)


def build_request(query: str, k: int, options: Mapping[str, Any], allowed: FrozenSet[str],
                  caller: str) -> _core.SearchRequest:
    """Every option in one C++ ``SearchRequest``; options not given keep its defaults.

    ``allowed`` are the option names ``caller`` takes; others raise TypeError,
    as for any unexpected keyword argument.
    """
    if not allowed.issuperset(options):
        unknown = min(options.keys() - allowed)
        raise TypeError(f"{caller}() got an unexpected keyword argument {unknown!r}")
    get = options.get
    offset = get("offset", 0)
    if k < 0 or offset < 0:
        window_error(k, offset)
    r = _core.SearchRequest()
    r.query = utf8(query)
    r.k = k
    r.offset = offset
    if (filters := get("filters")) is not None:
        r.filters = [utf8(f) for f in strings(filters)]
    if (fields := get("fields")) is not None:
        r.fields = strings(fields)
    if "operator" in options:
        r.default_operator = core_operator(options["operator"])
    if "include_docs" in options:
        r.include_docs = options["include_docs"]
    if "total_hits_threshold" in options:
        threshold = options["total_hits_threshold"]
        r.total_hits_threshold = _core.SearchRequest.EXACT_TOTAL if threshold is None else threshold
    if (facets := get("facets")) is not None:
        r.facets = _facet_requests(facets)
    if (sort := get("sort")) is not None:
        # The JSON model's spec, "price:desc,_score", parsed by the C++ library.
        r.sort = [s for spec in strings(sort) for s in _core.parse_sort_spec(spec)]
    if search_after := get("search_after"):
        r.search_after = utf8(search_after)
    if (highlight := get("highlight")) is not None:
        r.highlight = _highlight(highlight)
    if "prefix" in options:
        r.prefix_last = options["prefix"]
    if "typos" in options:
        r.typos = options["typos"]
    if "max_expansions" in options:
        r.max_expansions = options["max_expansions"]
    if "syntax" in options:
        r.syntax = _one_of("syntax", options["syntax"], _SYNTAX)
    if "synonyms" in options:
        r.synonyms = options["synonyms"]
    if "suggest" in options:
        r.suggest = options["suggest"]
    if (retrieve := get("retrieve")) is not None:
        r.retrieve = strings(retrieve)
    if "field_scoring" in options:
        r.field_scoring = _one_of("field_scoring", options["field_scoring"], _FIELD_SCORING)
    return r


def _one_of(key: str, value: Any, choices: Dict[str, _E]) -> _E:
    """``choices[value]``, or InvalidArgument naming the key and its choices."""
    try:
        return choices[value]
    except (KeyError, TypeError):
        names = [repr(c) for c in choices]
        allowed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        raise InvalidArgument(f"{key} must be {allowed}, got {value!r}") from None


_F = TypeVar("_F", bound=Callable[..., Any])


def shows_options(options: type) -> Callable[[_F], _F]:
    """Lists the keyword options of the TypedDict ``options`` in the
    decorated function's runtime signature (``help()``, ``inspect``), with
    their defaults, where its ``**options`` parameter stands for them."""
    keys = options.__optional_keys__  # type: ignore[attr-defined]
    hints = options.__annotations__

    def decorate(func: _F) -> _F:
        sig = inspect.signature(func)
        params = list(sig.parameters.values())
        at = next(i for i, p in enumerate(params) if p.kind is p.VAR_KEYWORD)
        shown = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                              annotation=getattr(hints[name], "__forward_arg__", hints[name]))
            for name, default in OPTION_DEFAULTS.items() if name in keys
        ]
        # Positional parameters, the options, then the function's own keyword-only ones.
        before = [p for p in params[:at] if p.kind is not p.KEYWORD_ONLY]
        after = [p for p in params[:at] if p.kind is p.KEYWORD_ONLY]
        func.__signature__ = sig.replace(parameters=[*before, *shown, *after])  # type: ignore[attr-defined]
        return func

    return decorate
