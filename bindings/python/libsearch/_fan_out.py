"""Searching a sharded index across processes or functions: a coordinator
(:class:`FanOutIndex`) over one shard function per shard, and what a shard
function answers with (:func:`handle_shard_request`). Thin over the C++
``FanOutIndex`` (``libsearch/fan_out.h``; README "When one machine is not
enough")."""

from __future__ import annotations

from typing import List, Sequence, Tuple, Union

from . import _core
from ._errors import InvalidArgument
from ._index import Index
from ._util import utf8


class FanOutIndex(Index):
    """A coordinator: each search goes to every shard at once and the replies
    merge into one index's answer (ids, scores, order, facet counts, totals,
    cursors, suggestions), the same as :class:`ShardedIndex` on the whole
    directory. ``shards`` is, in shard order, one of:

    * the shard functions' URLs, a sequence or one string separated by commas
      or white space (``LIBSEARCH_SHARDS``' form): ``http(s)://`` (a
      ``libsearch-service --shard N``'s ``/shard``, a Lambda under the Runtime
      Interface Emulator, a Cloud Run function) or ``lambda:FUNCTION`` (AWS
      Lambda's Invoke API, signed with the AWS_* environment);
    * shards open in this process (``ShardedIndex(path, shards=[i])`` for each
      ``i``), every request and reply still through the shard protocol.

    A shard that fails or misses ``shard_timeout`` (seconds) fails the search
    with :class:`Unavailable` (naming the shard). A request through
    :meth:`handle_json` with ``"partial_results": true`` gets the other
    shards' answer instead, marked ``"partial": true`` with
    ``"missing_shards"``. A next page
    (``search_after``) whose cursor this coordinator gave out is one round
    (it keeps the last ``cursor_cache_entries`` pages' cursor positions);
    another takes two, with the same answer.

    Example::

        index = libsearch.FanOutIndex("http://shard-0:8080/shard,http://shard-1:8080/shard")
        for hit in index.search("peanut butter", k=3):
            print(hit.id, hit.score)
    """

    __slots__ = ()

    def __init__(
        self,
        shards: Union[str, Sequence[str], Sequence[Index]],
        *,
        shard_timeout: float = 10.0,
        cursor_cache_entries: int = 1024,
    ) -> None:
        if cursor_cache_entries < 0:
            raise InvalidArgument(f"cursor_cache_entries must be >= 0, got {cursor_cache_entries}")
        if isinstance(shards, str):
            self._path = f"fan-out over {shards}"
            self._core = _core.fan_out_open_urls(shards, shard_timeout, cursor_cache_entries)
            return
        items: List[object] = list(shards)
        indexes = [s for s in items if isinstance(s, Index)]
        urls = [s for s in items if isinstance(s, str)]
        if indexes and len(indexes) == len(items):
            cores = [s._index() for s in indexes]
            self._path = f"fan-out over {len(items)} shards in process"
            self._core = _core.fan_out_open_in_process(cores, shard_timeout, cursor_cache_entries)
        elif len(urls) == len(items):
            self._path = f"fan-out over {len(items)} shards"
            self._core = _core.fan_out_open_url_list(urls, shard_timeout, cursor_cache_entries)
        else:
            raise InvalidArgument("shards: a string of URLs, a sequence of URLs, or of open indexes")


def handle_shard_request(shard: Index, body: Union[str, bytes]) -> Tuple[int, str]:
    """A shard function's answer to a coordinator's shard request (JSON):
    ``(HTTP status, JSON body)``. ``shard`` is a sharded index opened with
    ``shards=[i]`` (or whole)."""
    reply = _core.handle_shard_request(shard._index(), utf8(body))
    return reply.status, reply.body


def is_shard_request(body: Union[str, bytes]) -> bool:
    """Whether ``body`` is a shard request (an object with the key
    ``"shard_request"``), for a function that answers searches too."""
    return _core.is_shard_request(utf8(body))


__all__: List[str] = ["FanOutIndex", "handle_shard_request", "is_shard_request"]
