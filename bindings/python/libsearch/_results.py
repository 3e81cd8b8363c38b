"""SearchResult and Hit: the answer of a search, converted from C++ as it is read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union, overload

from . import _core
from ._util import stored_doc


@dataclass(frozen=True)
class FacetCount:
    """One value of a facet and how many matching documents have it."""

    value: str
    count: int


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
            self._doc = stored_doc(text) if text else {}
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
