"""Index: an opened index file, searched from any number of threads."""

from __future__ import annotations

import os
import sys
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    List,
    Literal,
    Optional,
    Sequence,
    Tuple,
    Union,
    overload,
)

from . import _core
from ._errors import InvalidArgument, LibsearchError
from ._info import FieldInfo, IndexInfo, SectionInfo, SegmentInfo
from ._request import (
    AND,
    BASIC_OPTIONS,
    BATCH_OPTIONS,
    INCLUDE_DOCS,
    SEARCH_OPTIONS,
    THRESHOLD,
    BatchOptions,
    Operator,
    SearchOptions,
    build_request,
    core_operator,
    shows_options,
    window_error,
)
from ._results import SearchResult
from ._schema import Schema
from ._util import DEFAULTS, NONE, PathLike, float_default, stored_doc, strings, utf8

if sys.version_info >= (3, 11):
    from typing import Unpack
elif TYPE_CHECKING:  # annotations only: no runtime dependency on typing_extensions
    from typing_extensions import Unpack

_K: int = DEFAULTS["k"]


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
        checksums: str = DEFAULTS["checksums"],
        bm25_k1: float = float_default("bm25_k1"),
        bm25_b: float = float_default("bm25_b"),
        filter_cache_bytes: int = DEFAULTS["filter_cache_bytes"],
    ) -> None:
        """Opens the index file at ``path``; the same as :meth:`Index.open`."""
        self._path = os.fspath(path)
        if filter_cache_bytes < 0:
            raise InvalidArgument(f"filter_cache_bytes must be >= 0, got {filter_cache_bytes}")
        self._core: Optional[_core.Index] = _core.Index.open(
            self._path, checksums, bm25_k1, bm25_b, filter_cache_bytes)

    @classmethod
    def open(
        cls,
        path: PathLike,
        *,
        checksums: str = DEFAULTS["checksums"],
        bm25_k1: float = float_default("bm25_k1"),
        bm25_b: float = float_default("bm25_b"),
        filter_cache_bytes: int = DEFAULTS["filter_cache_bytes"],
    ) -> Index:
        """Opens an index file.

        Args:
            path: The file written by :meth:`IndexBuilder.build` or ``libsearch index``,
                or an index directory (:class:`IndexWriter`), opened at its latest commit.
            checksums: When section checksums are checked: ``"first-use"`` (the
                default: each section the first time a call reads it; a call that
                reads a damaged one raises :class:`CorruptIndex`, and so does every
                later call), ``"open"`` (the whole file now) or ``"off"`` (never;
                :meth:`verify` checks everything when in doubt).
            bm25_k1, bm25_b: BM25 parameters for scoring (Lucene's by default).
            filter_cache_bytes: Memory for cached filters (from their second
                use, as CRoaring bitmaps; single ranges are not cached); 0
                turns the cache off. Results are the same either way.

        Raises:
            NotFound: There is no such file.
            CorruptIndex: The file is not a valid libsearch index.
        """
        return cls(path, checksums=checksums, bm25_k1=bm25_k1, bm25_b=bm25_b,
                   filter_cache_bytes=filter_cache_bytes)

    def _index(self) -> _core.Index:
        core = self._core
        if core is None:
            raise InvalidArgument(f"index {self._path!r} is closed")
        return core

    @shows_options(SearchOptions)
    def search(self, query: str = "", k: int = _K, **options: Unpack[SearchOptions]) -> SearchResult:
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
            field_scoring: ``"bm25f"`` (a word over several text fields
                scores as one field, boosts weighing each field's term
                frequency, each field's length normalised on its own),
                ``"bm25f_combined_length"`` (the same with one length per
                document: the fields' boosted lengths summed, as Lucene's
                CombinedFieldQuery) or ``"per_field"`` (a BM25 per field,
                summed).

        Raises:
            InvalidArgument: A filter syntax error (with the byte position),
                a query syntax error with ``syntax="full"``, an unknown field,
                or a bad option.
            CorruptIndex: The search met damaged data.

        Options are keyword arguments, and new ones will be added the same way.
        Their types are :class:`SearchOptions` (a ``TypedDict``), so a wrapper
        can pass them on typed: ``**options: Unpack[libsearch.SearchOptions]``.
        """
        core = self._core
        if core is None:
            raise InvalidArgument(f"index {self._path!r} is closed")
        # The common cases, kept flat: every step here is paid on each search.
        if not options:
            if k < 0:
                window_error(k, 0)
            return SearchResult(core.search_basic(utf8(query), k, 0, NONE, NONE, AND, INCLUDE_DOCS, THRESHOLD))
        if BASIC_OPTIONS.issuperset(options):
            offset = options.get("offset", 0)
            if k < 0 or offset < 0:
                window_error(k, offset)
            fields = options.get("fields")
            filters = options.get("filters")
            return SearchResult(core.search_basic(
                utf8(query), k, offset, NONE if fields is None else strings(fields),
                NONE if filters is None else [utf8(f) for f in strings(filters)],
                core_operator(options["operator"]) if "operator" in options else AND,
                options.get("include_docs", INCLUDE_DOCS), options.get("total_hits_threshold", THRESHOLD)))
        return SearchResult(core.search(build_request(query, k, options, SEARCH_OPTIONS, "search")))

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
    def batch(self, queries: Iterable[str], k: int = ..., *, return_exceptions: Literal[False] = ...,
              **options: Unpack[BatchOptions]) -> List[SearchResult]: ...

    @overload
    def batch(self, queries: Iterable[str], k: int = ..., *, return_exceptions: Literal[True],
              **options: Unpack[BatchOptions]) -> List[Union[SearchResult, LibsearchError]]: ...

    @shows_options(BatchOptions)
    def batch(
        self, queries: Iterable[str], k: int = _K, *, return_exceptions: bool = False, **options: Unpack[BatchOptions]
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
        request = build_request("", k, options, BATCH_OPTIONS, "batch")
        out = self._index().search_batch([utf8(q) for q in queries], request)
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
        max_expansions: int = DEFAULTS["max_expansions"],
        syntax: str = "simple",
    ) -> str:
        """How ``query`` is read, in Lucene-like notation (CLI ``--explain``).

        For example ``"(+(product_name:sugar^5 ingredients:sugar) -(...))"``;
        filters appear as ``+#clause``.
        """
        options: SearchOptions = {
            "filters": filters, "fields": fields, "operator": operator, "prefix": prefix, "typos": typos,
            "max_expansions": max_expansions, "syntax": syntax, "include_docs": False, "total_hits_threshold": None}
        return self._index().explain(build_request(query, 0, options, SEARCH_OPTIONS, "explain"))

    def document(self, doc_number: int) -> Dict[str, Any]:
        """The stored fields of a document, by :attr:`Hit.doc_number`.

        Raises :class:`NotFound` for a number past the last document.
        """
        return stored_doc(self._index().document(doc_number))

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
                FieldInfo(f.name, f.type, f.indexed, f.stored, f.doc_count, f.num_terms,
                          f.total_terms, f.min_value, f.max_value)
                for f in i.fields
            ),
            sections=tuple(SectionInfo(s.kind, s.field, s.offset, s.bytes) for s in i.sections),
            generation=i.generation,
            segments=tuple(SegmentInfo(s.name, s.docs, s.deleted, s.file_bytes, s.updated) for s in i.segments),
        )

    def reopen(self) -> Index:
        """The index's latest commit, as a new :class:`Index`; this one is unchanged.

        For an index directory, segments both have are shared, so after a small
        commit this costs about opening the new segments. A single file is
        opened again. Same options as this index.
        """
        fresh = Index.__new__(Index)
        fresh._path = self._path
        fresh._core = self._index().reopen()
        return fresh

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
