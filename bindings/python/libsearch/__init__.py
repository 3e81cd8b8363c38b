"""libsearch: an embeddable search engine for product catalogues.

A typed Python facade over the C++ library (the extension ``libsearch._core``).
Indexes built here and by the ``libsearch`` CLI are the same files, and a
search returns the same hits, scores and order in both.

Example::

    import libsearch

    schema = libsearch.Schema.from_file("examples/products/schema.json")
    builder = libsearch.IndexBuilder(schema)
    builder.add_jsonl("examples/products/products.jsonl.gz")
    builder.build("products.idx")

    with libsearch.Index.open("products.idx") as index:
        result = index.search('organic "peanut butter" -salt', k=5)
        print(result.total, "matches")
        for hit in result:
            print(hit.id, hit.score, hit.doc["product_name"])

Building and searching release the GIL, and one :class:`Index` may be
searched from any number of threads at once. Errors are subclasses of
:class:`LibsearchError` that carry the C++ message.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    overload,
)

from . import _core
from ._errors import (
    CorruptIndex,
    InternalError,
    InvalidArgument,
    IOFailure,
    LibsearchError,
    NotFound,
    ResourceExhausted,
    Unimplemented,
)

__all__ = [
    "__version__",
    "Schema",
    "FieldSpec",
    "IndexBuilder",
    "IngestStats",
    "Index",
    "SearchResult",
    "Hit",
    "Facet",
    "FacetCount",
    "Highlight",
    "IndexInfo",
    "FieldInfo",
    "SectionInfo",
    "LibsearchError",
    "InvalidArgument",
    "NotFound",
    "CorruptIndex",
    "IOFailure",
    "Unimplemented",
    "ResourceExhausted",
    "InternalError",
    "advise",
    "profile",
]

#: The library version, the same as the C++ ``libsearch::Version()``.
__version__: str = _core.__version__

#: A file-system path: ``str`` or any ``os.PathLike[str]`` (``pathlib.Path``).
PathLike = Union[str, "os.PathLike[str]"]

#: How bare query words combine: ``"and"`` (every word must match) or
#: ``"or"`` (documents matching any word are ranked).
Operator = Literal["and", "or"]

_OPERATORS = {"and": _core.Operator.AND, "or": _core.Operator.OR}
_NONE: Tuple[Any, ...] = ()

# Keyword defaults come from the C++ option structs, so they always agree.
_DEFAULTS: Dict[str, Any] = _core.DEFAULTS


def _float_default(name: str) -> float:
    # A C++ float such as 1.2f, shown as 1.2 (it converts back to the same float).
    return float(f"{_DEFAULTS[name]:.7g}")


def _operator(op: str) -> _core.Operator:
    try:
        return _OPERATORS[op]
    except (KeyError, TypeError):
        raise InvalidArgument(f"operator must be 'and' or 'or', got {op!r}") from None


def _strings(names: Union[str, Sequence[str], None]) -> Sequence[str]:
    # None -> none; one string -> itself; else the sequence as given.
    if names is None:
        return _NONE
    if isinstance(names, str):
        return (names,)
    return names


def _window(k: int, offset: int) -> None:
    if k < 0 or offset < 0:
        raise InvalidArgument(f"k and offset must not be negative (got k {k}, offset {offset})")


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
    size: int = _DEFAULTS["facet_size"]
    ranges: Sequence[Union[Tuple[Optional[float], Optional[float]], Tuple[Optional[float], Optional[float], str]]] = ()
    disjunctive: bool = False


@dataclass(frozen=True)
class FacetCount:
    """One value of a facet and how many matching documents have it."""

    value: str
    count: int


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
    pre_tag: str = _DEFAULTS["pre_tag"]
    post_tag: str = _DEFAULTS["post_tag"]
    fragment_bytes: int = _DEFAULTS["fragment_bytes"]


def _highlight_arg(highlight: Union[str, Sequence[str], Highlight]) -> Tuple[Sequence[str], str, str, int]:
    h = highlight if isinstance(highlight, Highlight) else Highlight(_strings(highlight))
    return (_strings(h.fields), h.pre_tag, h.post_tag, h.fragment_bytes)
_INF = float("inf")


def _facet_args(facets: Union[FacetSpec, Sequence[FacetSpec], None]) -> Sequence[Any]:
    # The extension takes (field, size, [(label, lo, hi)], disjunctive) tuples.
    if facets is None:
        return _NONE
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
            ranges.append((label, -_INF if lo is None else float(lo), _INF if hi is None else float(hi)))
        out.append((f.field, f.size, ranges, f.disjunctive))
    return out


def _sort_args(sort: Union[str, Sequence[str], None]) -> Sequence[Tuple[str, bool]]:
    # The JSON model's spec, "price:desc,_score", parsed by the C++ library.
    if sort is None:
        return _NONE
    if isinstance(sort, str):
        sort = (sort,)
    out: List[Tuple[str, bool]] = []
    for spec in sort:
        out.extend(_core.parse_sort_spec(spec))
    return out


_SYNTAX = {"simple": _core.QuerySyntax.SIMPLE, "full": _core.QuerySyntax.FULL}


def _set_extras(
    request: _core.SearchRequest,
    syntax: str,
    synonyms: bool,
    suggest: bool,
    retrieve: Union[str, Sequence[str], None],
) -> _core.SearchRequest:
    # The options the extension's SearchRequest constructor leaves at their defaults.
    try:
        request.syntax = _SYNTAX[syntax]
    except (KeyError, TypeError):
        raise InvalidArgument(f"syntax must be 'simple' or 'full', got {syntax!r}") from None
    request.synonyms = synonyms
    request.suggest = suggest
    if retrieve is not None:
        request.retrieve = list(_strings(retrieve))
    return request


def _request(
    query: str,
    k: int,
    offset: int,
    filters: Union[str, Sequence[str], None],
    fields: Union[str, Sequence[str], None],
    operator: str,
    include_docs: bool,
    total_hits_threshold: Optional[int],
    facets: Union[FacetSpec, Sequence[FacetSpec], None],
    sort: Union[str, Sequence[str], None],
    search_after: Optional[str],
    prefix: bool,
    typos: bool,
    max_expansions: int,
    highlight: Union[str, Sequence[str], Highlight, None],
) -> _core.SearchRequest:
    # Every search option in one C++ SearchRequest. The common case (no
    # facets, sort or cursor) stays on the cheap branches.
    if k < 0 or offset < 0:
        _window(k, offset)
    op = _OPERATORS.get(operator) if isinstance(operator, str) else None
    return _core.SearchRequest(
        query,
        k,
        offset,
        _NONE if fields is None else _strings(fields),
        _NONE if filters is None else _strings(filters),
        _operator(operator) if op is None else op,
        include_docs,
        total_hits_threshold,
        _NONE if facets is None else _facet_args(facets),
        _NONE if sort is None else _sort_args(sort),
        search_after or "",
        prefix,
        typos,
        max_expansions,
        None if highlight is None else _highlight_arg(highlight),
    )


# ---------------------------------------------------------------------------
# Schema


@dataclass(frozen=True)
class FieldSpec:
    """One field of a :class:`Schema`, with every default filled in.

    Attributes:
        name: The field's key in documents.
        type: ``"text"``, ``"keyword"``, ``"int"`` or ``"float"``.
        stored: Returned with hits.
        indexed: Searchable (text and keyword fields).
        boost: Multiplies the field's BM25 score.
        language: Stemming language of a text field (``"en"``, ``"none"``...).
        stopwords: A text field drops its language's stop words.
        fold_accents: A text field matches ``crème`` with ``creme``.
    """

    name: str
    type: str
    stored: bool
    indexed: bool
    boost: float
    language: str
    stopwords: bool
    fold_accents: bool


class Schema:
    """Names the id field and says how every other field is indexed and stored.

    Build one from the same dict the JSON schema file holds (see README
    "Schema")::

        Schema({"id": "sku",
                "fields": {"title": {"type": "text", "boost": 2.0, "stored": True},
                           "price": {"type": "float", "stored": True}}})

    or read the file with :meth:`from_file`. Raises :class:`InvalidArgument`
    naming the offending field and key. Schemas compare equal when their
    canonical JSON is equal.
    """

    __slots__ = ("_core",)

    def __init__(self, spec: Mapping[str, Any]) -> None:
        """Validates ``spec`` (a dict in the schema-file form)."""
        if isinstance(spec, (str, bytes, os.PathLike)):
            raise TypeError("Schema() takes a dict; use Schema.from_file(path) or Schema.from_json(text)")
        self._core: _core.Schema = _core.Schema.from_json(json.dumps(spec))

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> Schema:
        """Parses the schema's JSON text."""
        return cls._wrap(_core.Schema.from_json(text.decode() if isinstance(text, bytes) else text))

    @classmethod
    def from_file(cls, path: PathLike) -> Schema:
        """Reads a JSON schema file. Raises :class:`NotFound` if it is missing."""
        return cls._wrap(_core.Schema.from_file(os.fspath(path)))

    @classmethod
    def _wrap(cls, core: _core.Schema) -> Schema:
        schema = cls.__new__(cls)
        schema._core = core
        return schema

    @property
    def id_field(self) -> str:
        """The name of the document id field (always a stored keyword field)."""
        return self._core.id_field

    @property
    def fields(self) -> Tuple[FieldSpec, ...]:
        """Every field, the id field included, in declaration order."""
        return tuple(
            FieldSpec(f.name, f.type, f.stored, f.indexed, f.boost, f.language, f.stopwords, f.fold_accents)
            for f in self._core.fields
        )

    def to_json(self) -> str:
        """The canonical JSON form, readable by :meth:`from_json`."""
        return self._core.to_json()

    @property
    def search_defaults(self) -> Optional[Dict[str, Any]]:
        """The schema's ``search_defaults`` request object (README "Search
        API"), which every JSON request starts from, or ``None``."""
        text = self._core.search_defaults_json
        return json.loads(text) if text else None

    def to_dict(self) -> Dict[str, Any]:
        """The canonical form as a dict, accepted by ``Schema(...)``."""
        result: Dict[str, Any] = json.loads(self._core.to_json())
        return result

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schema):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __repr__(self) -> str:
        return f"Schema(id_field={self.id_field!r}, fields={[f.name for f in self.fields]!r})"


# ---------------------------------------------------------------------------
# Building


@dataclass(frozen=True)
class IngestStats:
    """What :meth:`IndexBuilder.add_jsonl` read.

    Attributes:
        lines: Non-empty lines read.
        docs_added: Documents added.
        lines_skipped: Bad lines skipped (only with ``skip_bad=True``).
        errors: ``"FILE:LINE: message"`` for the first skipped lines.
    """

    lines: int
    docs_added: int
    lines_skipped: int
    errors: List[str]


class IndexBuilder:
    """Accumulates documents in memory, then writes one index file.

    Example::

        builder = IndexBuilder(schema)
        builder.add({"barcode": "1", "product_name": "Peanut butter"})
        builder.add_jsonl("more.jsonl.gz")
        builder.build("products.idx")

    A builder is used for one :meth:`build`. Its methods release the GIL; calls
    on one builder from several threads are serialised.
    """

    __slots__ = ("_core", "_lock")

    def __init__(
        self,
        schema: Union[Schema, Mapping[str, Any]],
        *,
        bm25_k1: float = _float_default("build_bm25_k1"),
        bm25_b: float = _float_default("build_bm25_b"),
        docstore_zstd_level: int = _DEFAULTS["docstore_zstd_level"],
        docstore_block_bytes: int = _DEFAULTS["docstore_block_bytes"],
    ) -> None:
        """Creates a builder for ``schema`` (a :class:`Schema` or its dict).

        Args:
            bm25_k1, bm25_b: BM25 parameters for the per-block score maxima
                kept in the file (searching may use others).
            docstore_zstd_level: zstd level of the document store.
            docstore_block_bytes: Uncompressed bytes per document-store block.
        """
        core_schema = (schema if isinstance(schema, Schema) else Schema(schema))._core
        self._core = _core.IndexBuilder.create(core_schema, bm25_k1, bm25_b, docstore_zstd_level, docstore_block_bytes)
        self._lock = threading.Lock()

    def add(self, doc: Mapping[str, Any]) -> None:
        """Adds one document (a JSON-serialisable mapping).

        Raises :class:`InvalidArgument` (naming the field) for a missing or
        duplicate id, a value of the wrong type and so on; nothing is added then.
        """
        self.add_json(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))

    def add_json(self, text: Union[str, bytes]) -> None:
        """Adds one document given as JSON object text."""
        with self._lock:
            self._core.add_json(text.decode() if isinstance(text, bytes) else text)

    def add_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Adds every document of ``docs`` and returns how many were added.

        Stops at the first bad document, with the documents before it added.
        """
        n = 0
        for doc in docs:
            self.add(doc)
            n += 1
        return n

    def add_jsonl(
        self,
        path: PathLike,
        *,
        skip_bad: bool = _DEFAULTS["skip_bad"],
        max_error_messages: int = _DEFAULTS["max_error_messages"],
    ) -> IngestStats:
        """Adds every line of a JSON Lines file (plain, ``.gz`` or ``.zst``).

        Without ``skip_bad`` the first bad line raises :class:`InvalidArgument`
        with ``"FILE:LINE: message"``, and the lines before it stay added. With
        it, bad lines are skipped and counted, and the first
        ``max_error_messages`` messages are kept in :attr:`IngestStats.errors`.
        """
        with self._lock:
            s = self._core.add_jsonl(os.fspath(path), skip_bad, max_error_messages)
        return IngestStats(s.lines, s.docs_added, s.lines_skipped, list(s.errors))

    @property
    def num_docs(self) -> int:
        """Documents added so far."""
        return self._core.num_docs

    def __len__(self) -> int:
        return self._core.num_docs

    def build(self, path: PathLike) -> None:
        """Writes the index to ``path`` atomically (temporary file, fsync, rename).

        On failure ``path`` is untouched. A builder builds once.
        """
        with self._lock:
            self._core.build(os.fspath(path))

    def __repr__(self) -> str:
        return f"IndexBuilder(num_docs={self.num_docs})"


# ---------------------------------------------------------------------------
# Search results


class Hit:
    """One document in a :class:`SearchResult`.

    Attributes:
        id: The document's id field.
        score: Its BM25 score (a C++ float, exactly).

    The stored fields stay in C++ until :attr:`doc` or :attr:`doc_json` is read.
    """

    __slots__ = ("id", "score", "_response", "_i", "_doc")

    id: str
    score: float

    def __init__(self, id: str, score: float, response: _core.SearchResponse, i: int) -> None:
        """Hit ``i`` of ``response`` (hits are made by SearchResult)."""
        self.id = id
        self.score = score
        self._response = response
        self._i = i
        self._doc: Optional[Dict[str, Any]] = None

    @property
    def doc(self) -> Dict[str, Any]:
        """The stored fields as a dict, parsed on first access and then kept.

        Empty when the search ran with ``include_docs=False``.
        """
        if self._doc is None:
            text = self._response.doc_json(self._i)
            self._doc = json.loads(text) if text else {}
        return self._doc

    @property
    def doc_json(self) -> str:
        """The stored fields as JSON object text (``""`` without docs)."""
        return self._response.doc_json(self._i)

    @property
    def highlights(self) -> Dict[str, str]:
        """Snippet per highlighted field with a match (see ``highlight=``)."""
        return dict(self._response.highlights(self._i))

    @property
    def doc_number(self) -> int:
        """The internal document number, valid for this index file only."""
        return self._response.doc_number(self._i)

    def __repr__(self) -> str:
        return f"Hit(id={self.id!r}, score={self.score!r})"


class SearchResult(Sequence[Hit]):
    """The hits of one search, best first, plus the exact match count.

    A read-only sequence: ``len(result)``, ``result[0]``, slicing and
    iteration. Hits are converted one at a time when accessed, so a large
    result costs little until it is read. :attr:`ids` and :attr:`scores` give
    all ids or scores in one call.
    """

    __slots__ = ("_response",)

    def __init__(self, response: _core.SearchResponse) -> None:
        """Wraps a response of the extension module (made by Index.search)."""
        self._response = response

    @property
    def total(self) -> int:
        """Number of matching documents (not only those returned).

        Exact when :attr:`total_exact`; otherwise a lower bound (see the
        ``total_hits_threshold`` argument of :meth:`Index.search`).
        """
        return self._response.total

    @property
    def total_exact(self) -> bool:
        """Whether :attr:`total` counts every match."""
        return self._response.total_exact

    @property
    def took_us(self) -> int:
        """Microseconds spent in the C++ search."""
        return self._response.took_us

    @property
    def facets(self) -> Dict[str, List[FacetCount]]:
        """Facet counts by field, in request order (empty without ``facets=``).

        Keyword facets list the most frequent values first; range facets list
        their ranges in the order requested.
        """
        return {f.field: [FacetCount(v.value, v.count) for v in f.values] for f in self._response.facets}

    @property
    def suggestion(self) -> Optional[str]:
        """When nothing matched: the query with misspelt words corrected ("did you mean"), if that matches."""
        return self._response.suggestion or None

    @property
    def next_cursor(self) -> Optional[str]:
        """Pass as ``search_after=`` to get the page after this one (None: no hits)."""
        return self._response.next_cursor or None

    @property
    def ids(self) -> List[str]:
        """The ids of all hits, in order."""
        return self._response.ids()

    @property
    def scores(self) -> List[float]:
        """The scores of all hits, in order."""
        return self._response.scores()

    def __len__(self) -> int:
        return len(self._response)

    @overload
    def __getitem__(self, i: int) -> Hit: ...

    @overload
    def __getitem__(self, i: slice) -> List[Hit]: ...

    def __getitem__(self, i: Union[int, slice]) -> Union[Hit, List[Hit]]:
        r = self._response
        n = len(r)
        if isinstance(i, slice):
            return [Hit(r.id(j), r.score(j), r, j) for j in range(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("hit index out of range")
        return Hit(r.id(i), r.score(i), r, i)

    def __iter__(self) -> Iterator[Hit]:
        # Ids and scores cross from C++ in two calls; each Hit is made as the
        # iteration reaches it, and its document only when read.
        r = self._response
        for i, (id_, score) in enumerate(zip(r.ids(), r.scores())):
            yield Hit(id_, score, r, i)

    def __repr__(self) -> str:
        total = f"{self.total}" if self.total_exact else f">={self.total}"
        return f"SearchResult(total={total}, hits={len(self)}, took_us={self.took_us})"


# ---------------------------------------------------------------------------
# Index


@dataclass(frozen=True)
class FieldInfo:
    """Per-field statistics in :class:`IndexInfo`.

    Attributes:
        name, type, indexed, stored: As in the schema.
        doc_count: Documents with at least one term in the field.
        num_terms: Distinct terms.
        total_terms: Sum of the field's lengths over all documents.
    """

    name: str
    type: str
    indexed: bool
    stored: bool
    doc_count: int
    num_terms: int
    total_terms: int


@dataclass(frozen=True)
class SectionInfo:
    """One section of the index file (see docs/format.md).

    Attributes:
        kind: ``"postings"``, ``"term_blocks"``, ...
        field: The field it belongs to, or ``""`` for whole-index sections.
        offset, bytes: Where it is in the file and its size.
    """

    kind: str
    field: str
    offset: int
    bytes: int


@dataclass(frozen=True)
class IndexInfo:
    """What ``libsearch info`` prints: counts, fields and section sizes.

    Attributes:
        path: The file opened.
        format_version: ``(major, minor)`` of the file format.
        num_docs: Documents in the index.
        file_bytes: Size of the file.
        id_field: Name of the id field.
        fields: Per-field statistics.
        sections: Every section of the file.
    """

    path: str
    format_version: Tuple[int, int]
    num_docs: int
    file_bytes: int
    id_field: str
    fields: Tuple[FieldInfo, ...]
    sections: Tuple[SectionInfo, ...]


class Index:
    """An opened, immutable index file.

    Opening maps the file and checks its header and section table only, so
    it is fast for any size. Use it as a context manager, or call
    :meth:`close`, to unmap the file::

        with Index.open("products.idx") as index:
            for hit in index.search("peanut butter", k=3):
                print(hit.id, hit.score)

    Thread-safety: every method may be called from many threads at once, and
    searching releases the GIL, so threads search in parallel.
    """

    __slots__ = ("_core", "_path", "__weakref__")

    def __init__(
        self,
        path: PathLike,
        *,
        verify_checksums: bool = _DEFAULTS["verify_checksums"],
        bm25_k1: float = _float_default("bm25_k1"),
        bm25_b: float = _float_default("bm25_b"),
        filter_cache_bytes: int = _DEFAULTS["filter_cache_bytes"],
    ) -> None:
        """Opens the index file at ``path``; the same as :meth:`Index.open`."""
        self._path = os.fspath(path)
        if filter_cache_bytes < 0:
            raise InvalidArgument(f"filter_cache_bytes must be >= 0, got {filter_cache_bytes}")
        self._core: Optional[_core.Index] = _core.Index.open(
            self._path, verify_checksums, bm25_k1, bm25_b, filter_cache_bytes)

    @classmethod
    def open(
        cls,
        path: PathLike,
        *,
        verify_checksums: bool = _DEFAULTS["verify_checksums"],
        bm25_k1: float = _float_default("bm25_k1"),
        bm25_b: float = _float_default("bm25_b"),
        filter_cache_bytes: int = _DEFAULTS["filter_cache_bytes"],
    ) -> Index:
        """Opens an index file.

        Args:
            path: The file written by :meth:`IndexBuilder.build` or ``libsearch index``.
            verify_checksums: Also check every section checksum now (reads the
                whole file); otherwise call :meth:`verify` when in doubt.
            bm25_k1, bm25_b: BM25 parameters for scoring (Lucene's by default).
            filter_cache_bytes: Memory for cached filters (from their second
                use, as CRoaring bitmaps; single ranges are not cached); 0
                turns the cache off. Results are the same either way.

        Raises:
            NotFound: There is no such file.
            CorruptIndex: The file is not a valid libsearch index.
        """
        return cls(path, verify_checksums=verify_checksums, bm25_k1=bm25_k1, bm25_b=bm25_b,
                   filter_cache_bytes=filter_cache_bytes)

    def _index(self) -> _core.Index:
        core = self._core
        if core is None:
            raise InvalidArgument(f"index {self._path!r} is closed")
        return core

    def search(
        self,
        query: str = "",
        k: int = _DEFAULTS["k"],
        *,
        offset: int = _DEFAULTS["offset"],
        filters: Union[str, Sequence[str], None] = None,
        facets: Union[FacetSpec, Sequence[FacetSpec], None] = None,
        sort: Union[str, Sequence[str], None] = None,
        search_after: Optional[str] = None,
        highlight: Union[str, Sequence[str], Highlight, None] = None,
        fields: Union[str, Sequence[str], None] = None,
        operator: Operator = "and",
        prefix: bool = False,
        typos: bool = False,
        max_expansions: int = _DEFAULTS["max_expansions"],
        include_docs: bool = _DEFAULTS["include_docs"],
        total_hits_threshold: Optional[int] = _DEFAULTS["total_hits_threshold"],
        syntax: str = "simple",
        synonyms: bool = True,
        suggest: bool = True,
        retrieve: Union[str, Sequence[str], None] = None,
    ) -> SearchResult:
        """Runs one query and returns its best hits.

        Args:
            query: Query syntax (README "Query syntax"): words, ``"phrases"``,
                ``+required``, ``-excluded``, ``a OR b``, ``(groups)``,
                ``field:word``. Empty means every document. With the default
                ``syntax="simple"`` any text is accepted: what is malformed
                (an unmatched quote or parenthesis, an unknown ``field:``) is
                searched as plain words; ``syntax="full"`` raises
                :class:`InvalidArgument` with the byte position instead.
            k: Hits to return after skipping ``offset`` (``offset + k`` at
                most 10,000).
            offset: Hits to skip, for pagination.
            filters: Conditions every hit must meet, in the query syntax
                (``"sugars_100g:<5"``, ``"fat_100g:[1 TO 10]"``,
                ``"is_healthy:true"``, ``"brand:(acme OR zenith)"``): a string
                or a sequence of them. Filters never change scores.
            facets: Counts to compute over all matches: specs as in the JSON
                model (``"brands"``, ``"brands:20"``,
                ``"sugars_100g:0..5,5..20,20..*"``) or :class:`Facet` objects; see
                :attr:`SearchResult.facets`. Facets make ``total`` exact.
            sort: Order hits by fields instead of score, in the JSON model's
                syntax: ``"price"`` or ``"price:asc"`` (ascending),
                ``"price:desc"``, several comma-separated
                (``"price:desc,_score"``) or a sequence of them, applied in
                turn, then score, then doc. ``"_score"`` is relevance (best
                first). Documents without a value come last.
            search_after: Deep paging: :attr:`SearchResult.next_cursor` of the
                previous page (with ``offset=0``); returns the hits after it.
            highlight: Stored text fields to make snippets of (a name, a
                sequence of names, or a :class:`Highlight` for the tags and
                length); see :attr:`Hit.highlights`.
            fields: The fields bare words search (a name or a sequence of
                names); ``None`` means every indexed text field.
            operator: ``"and"`` (every bare word must match) or ``"or"``.
            prefix: Search-as-you-type: unless the query ends in a space, its
                last word also matches words it begins (scored a bit lower).
            typos: Typo tolerance for bare words in text fields: 5-8 letter
                words match terms one edit away, longer words two (never words
                with digits; a first-letter typo counts as two). Without
                ``sort``, hits that match with no typo rank above those that
                need one.
            max_expansions: At most this many prefix and typo expansions per word.
            include_docs: Fetch the stored fields of each hit.
            total_hits_threshold: Count matches exactly up to this many (1000
                by default); past it the engine stops counting, skips documents
                that cannot reach the top k, and :attr:`SearchResult.total` is a
                lower bound (:attr:`SearchResult.total_exact` is false). ``None``
                counts every match. The hits are the same either way.
            syntax: ``"simple"`` (never fails on typed text) or ``"full"``.
            synonyms: Apply the index's synonym groups.
            suggest: When nothing matches, offer :attr:`SearchResult.suggestion`.
            retrieve: With ``include_docs``, return only these stored fields.

        Raises:
            InvalidArgument: A filter syntax error (with the byte position),
                a query syntax error with ``syntax="full"``, an unknown field,
                or a bad option.
            CorruptIndex: The search met damaged data.

        Options are keyword arguments, and new ones will be added the same way.
        """
        core = self._core
        if core is None:
            raise InvalidArgument(f"index {self._path!r} is closed")
        if (
            facets is None
            and sort is None
            and search_after is None
            and highlight is None
            and not (prefix or typos)
            and syntax == "simple"
            and synonyms
            and suggest
            and retrieve is None
        ):
            # The common case, kept flat: every step here is paid on each search.
            if k < 0 or offset < 0:
                _window(k, offset)
            op = _OPERATORS.get(operator) if isinstance(operator, str) else None
            return SearchResult(
                core.search_basic(
                    query,
                    k,
                    offset,
                    _NONE if fields is None else _strings(fields),
                    _NONE if filters is None else _strings(filters),
                    _operator(operator) if op is None else op,
                    include_docs,
                    total_hits_threshold,
                )
            )
        request = _request(query, k, offset, filters, fields, operator, include_docs, total_hits_threshold,
                           facets, sort, search_after, prefix, typos, max_expansions, highlight)
        return SearchResult(core.search(_set_extras(request, syntax, synonyms, suggest, retrieve)))

    def handle_json(self, request: Union[str, bytes], deadline_ms: Optional[float] = None) -> Tuple[int, str]:
        """Answers a JSON model request (README "Search API") as the network
        surfaces do: ``(http_status, body_json)``, never raising for a bad
        request. The index's ``search_defaults`` apply first.

        ``deadline_ms`` (Unix time in ms): past it, answer 504 without searching.
        """
        body = request.encode("utf-8") if isinstance(request, str) else request
        reply = self._index().handle_json(body, deadline_ms)
        return reply.status, reply.body

    def handle_query_string(self, query: Union[str, bytes], deadline_ms: Optional[float] = None) -> Tuple[int, str]:
        """:meth:`handle_json` for a GET query string (``q=tea&k=3``)."""
        raw = query.encode("utf-8") if isinstance(query, str) else query
        reply = self._index().handle_query_string(raw, deadline_ms)
        return reply.status, reply.body

    def handle_lambda_event(self, event: Union[str, bytes], deadline_ms: Optional[float] = None) -> Tuple[bool, str, bytes]:
        """An AWS Lambda event (API Gateway v2, Function URL or a direct
        request) as the C++ bootstrap answers it: ``(is_error, error_type,
        payload)``; see ``libsearch/lambda_event.h``."""
        raw = event.encode("utf-8") if isinstance(event, str) else event
        is_error, error_type, payload = self._index().handle_lambda_event(raw, deadline_ms)
        return is_error, error_type, payload

    @overload
    def batch(
        self,
        queries: Iterable[str],
        k: int = ...,
        *,
        offset: int = ...,
        filters: Union[str, Sequence[str], None] = ...,
        facets: Union[FacetSpec, Sequence[FacetSpec], None] = ...,
        sort: Union[str, Sequence[str], None] = ...,
        highlight: Union[str, Sequence[str], Highlight, None] = ...,
        fields: Union[str, Sequence[str], None] = ...,
        operator: Operator = ...,
        prefix: bool = ...,
        typos: bool = ...,
        max_expansions: int = ...,
        include_docs: bool = ...,
        total_hits_threshold: Optional[int] = ...,
        syntax: str = ...,
        synonyms: bool = ...,
        suggest: bool = ...,
        retrieve: Union[str, Sequence[str], None] = ...,
        return_exceptions: Literal[False] = ...,
    ) -> List[SearchResult]: ...

    @overload
    def batch(
        self,
        queries: Iterable[str],
        k: int = ...,
        *,
        offset: int = ...,
        filters: Union[str, Sequence[str], None] = ...,
        facets: Union[FacetSpec, Sequence[FacetSpec], None] = ...,
        sort: Union[str, Sequence[str], None] = ...,
        highlight: Union[str, Sequence[str], Highlight, None] = ...,
        fields: Union[str, Sequence[str], None] = ...,
        operator: Operator = ...,
        prefix: bool = ...,
        typos: bool = ...,
        max_expansions: int = ...,
        include_docs: bool = ...,
        total_hits_threshold: Optional[int] = ...,
        syntax: str = ...,
        synonyms: bool = ...,
        suggest: bool = ...,
        retrieve: Union[str, Sequence[str], None] = ...,
        return_exceptions: Literal[True],
    ) -> List[Union[SearchResult, LibsearchError]]: ...

    def batch(
        self,
        queries: Iterable[str],
        k: int = _DEFAULTS["k"],
        *,
        offset: int = _DEFAULTS["offset"],
        filters: Union[str, Sequence[str], None] = None,
        facets: Union[FacetSpec, Sequence[FacetSpec], None] = None,
        sort: Union[str, Sequence[str], None] = None,
        highlight: Union[str, Sequence[str], Highlight, None] = None,
        fields: Union[str, Sequence[str], None] = None,
        operator: Operator = "and",
        prefix: bool = False,
        typos: bool = False,
        max_expansions: int = _DEFAULTS["max_expansions"],
        include_docs: bool = _DEFAULTS["include_docs"],
        total_hits_threshold: Optional[int] = _DEFAULTS["total_hits_threshold"],
        syntax: str = "simple",
        synonyms: bool = True,
        suggest: bool = True,
        retrieve: Union[str, Sequence[str], None] = None,
        return_exceptions: bool = False,
    ) -> Union[List[SearchResult], List[Union[SearchResult, LibsearchError]]]:
        """Runs many queries in one call (the C++ ``Index::SearchBatch``).

        The queries run in order on one thread with the GIL released; the
        other arguments are those of :meth:`search` and apply to every query.
        Returns one :class:`SearchResult` per query. A bad query raises its
        error, unless ``return_exceptions`` is true: its entry is then the
        exception instance and the other queries are unaffected.
        """
        if isinstance(queries, str):
            raise TypeError("batch() takes an iterable of query strings, not one string")
        request = _request("", k, offset, filters, fields, operator, include_docs, total_hits_threshold,
                           facets, sort, None, prefix, typos, max_expansions, highlight)
        _set_extras(request, syntax, synonyms, suggest, retrieve)
        out = self._index().search_batch(list(queries), request)
        results: List[Union[SearchResult, LibsearchError]] = []
        for r in out:
            if isinstance(r, LibsearchError):
                if not return_exceptions:
                    raise r
                results.append(r)
            else:
                results.append(SearchResult(r))
        return results

    def explain(
        self,
        query: str,
        *,
        filters: Union[str, Sequence[str], None] = None,
        fields: Union[str, Sequence[str], None] = None,
        operator: Operator = "and",
        prefix: bool = False,
        typos: bool = False,
        max_expansions: int = _DEFAULTS["max_expansions"],
        syntax: str = "simple",
    ) -> str:
        """How ``query`` is read, in Lucene-like notation (CLI ``--explain``).

        For example ``"(+(product_name:sugar^2 ingredients:sugar) -(...))"``;
        filters appear as ``+#clause``.
        """
        request = _request(query, 0, 0, filters, fields, operator, False, None, None, None, None, prefix, typos,
                           max_expansions, None)
        return self._index().explain(_set_extras(request, syntax, True, True, None))

    def document(self, doc_number: int) -> Dict[str, Any]:
        """The stored fields of a document, by :attr:`Hit.doc_number`.

        Raises :class:`NotFound` for a number past the last document.
        """
        result: Dict[str, Any] = json.loads(self._index().document(doc_number))
        return result

    def info(self) -> IndexInfo:
        """Counts, per-field statistics and section sizes (CLI ``info``)."""
        i = self._index().info()
        return IndexInfo(
            path=i.path,
            format_version=(i.format_major, i.format_minor),
            num_docs=i.num_docs,
            file_bytes=i.file_bytes,
            id_field=i.id_field,
            fields=tuple(
                FieldInfo(f.name, f.type, f.indexed, f.stored, f.doc_count, f.num_terms, f.total_terms)
                for f in i.fields
            ),
            sections=tuple(SectionInfo(s.kind, s.field, s.offset, s.bytes) for s in i.sections),
        )

    def verify(self) -> None:
        """Reads the whole file and checks every checksum.

        Raises :class:`CorruptIndex` if anything is damaged.
        """
        self._index().verify()

    @property
    def num_docs(self) -> int:
        """Documents in the index."""
        return self._index().num_docs

    def __len__(self) -> int:
        return self._index().num_docs

    @property
    def schema(self) -> Schema:
        """The schema the index was built with (stored in the file)."""
        return Schema._wrap(self._index().schema)

    @property
    def path(self) -> str:
        """The path the index was opened from."""
        return self._path

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._core is None

    def close(self) -> None:
        """Unmaps the file. Further calls raise :class:`InvalidArgument`.

        Searches already running in other threads finish first; results
        obtained before stay valid (they are copies).
        """
        self._core = None

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._core is None else f"num_docs={self._core.num_docs}"
        return f"Index({self._path!r}, {state})"


def advise(*args: Any, **kwargs: Any) -> Any:
    """The serverless-vs-service advisor: see :func:`libsearch.advisor.advise`.

    Imported on first use: the advisor needs numpy (and matplotlib for charts),
    which a search-only process (e.g. a Lambda handler) should not pay for.
    """
    from . import advisor

    return advisor.advise(*args, **kwargs)


def profile(*args: Any, **kwargs: Any) -> Any:
    """Measures the deployment surfaces: see :func:`libsearch.advisor.profile`."""
    from . import advisor

    return advisor.profile(*args, **kwargs)
