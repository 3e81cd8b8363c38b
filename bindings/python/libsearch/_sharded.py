"""Sharded indexes: one catalogue over N index directories, searched as one."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Sequence, Union

from . import _core
from ._errors import InvalidArgument
from ._index import Index
from ._schema import Schema
from ._util import DEFAULTS, PathLike, float_default, utf8
from ._writer import IndexWriter


def shard_of(id: str, num_shards: int) -> int:
    """The shard (``0 .. num_shards - 1``) that owns document ``id``: XXH3-64
    of its UTF-8 bytes modulo ``num_shards``, as every writer routes it (a
    Spark job too)."""
    return _core.shard_of(utf8(id), num_shards)


def shard_schema(schema: Union[Schema, Mapping[str, Any]]) -> Schema:
    """The schema of each shard of a sharded index with ``schema``: the same
    fields plus ``_shard_seq`` (an int: each document's number in the order
    one index of the same documents would have). For shards built apart,
    as the Spark builder (``tools/spark/build_shards.py``) does."""
    core = (schema if isinstance(schema, Schema) else Schema(schema))._core
    return Schema._wrap(_core.shard_schema(core))


def publish_shard_map(path: PathLike, schema: Union[Schema, Mapping[str, Any]],
                      shard_paths: Sequence[str]) -> None:
    """Writes the shard map of shards built apart under ``path``
    (``shard_paths`` relative to it, shard ``i`` holding exactly the ids
    :func:`shard_of` routes to ``i``, each an index directory with
    :func:`shard_schema`). :meth:`Index.verify` checks routing and order."""
    core = (schema if isinstance(schema, Schema) else Schema(schema))._core
    _core.publish_shard_map(os.fspath(path), core, list(shard_paths))


def write_shard_statistics(path: PathLike, shard_path: str) -> List[Dict[str, str]]:
    """Writes the statistics of shard ``shard_path`` of the sharded index at
    ``path`` (its segments' dictionaries, under ``path/stats/``) and returns
    them, per segment ``{"segment", "tombstones"}``: what a shard served alone
    reads of the others. Commits and :func:`publish_shard_map` write them
    for every shard; :func:`upload_shard` for the one it uploads."""
    return _core.write_shard_statistics(os.fspath(path), shard_path)


def upload_shard(path: PathLike, shard_path: str, url: str) -> Dict[str, Any]:
    """Uploads shard ``shard_path`` of ``path`` (an index directory with
    :func:`shard_schema`) to ``url/shard_path/`` as a remote index, and its
    statistics to ``url/stats/``: ``{"path", "generation", "next_seq" (0),
    "stats"}``. Set ``next_seq`` (one past the shard's largest sequence
    number) before :func:`publish_remote_shard_map` names the shards."""
    return _core.upload_shard(os.fspath(path), shard_path, url)


def publish_remote_shard_map(url: str, schema: Union[Schema, Mapping[str, Any]],
                             shards: Sequence[Mapping[str, Any]]) -> None:
    """Publishes uploaded shards (:func:`upload_shard`'s dicts, in shard
    order) as the sharded index at ``url``: its statistics list, then its
    shard map. :class:`IndexReplica` opens it."""
    core = (schema if isinstance(schema, Schema) else Schema(schema))._core
    _core.publish_remote_shard_map(url, core, [dict(s) for s in shards])


def upload_sharded_index(path: PathLike, url: str) -> None:
    """A local sharded index (its last commit) to object storage
    (``s3://``, ``gs://``, ``file://``): every shard, then the map."""
    _core.upload_sharded_index(os.fspath(path), url)


class ShardedWriter(IndexWriter):
    """Writes a sharded index: the changes of :class:`IndexWriter`
    (``upsert``, ``delete``, ``set``, ``apply``, ``apply_jsonl``) routed to
    the shard owning each id, and one :meth:`commit` of every shard, then
    the shard map readers go by.

    Example::

        with libsearch.ShardedWriter.create("products.shards", schema, num_shards=7) as w:
            w.apply_jsonl("products.jsonl.gz")
            w.commit()
        index = libsearch.ShardedIndex("products.shards")

    :meth:`commit` returns ``generation`` (the shard map's), ``live_docs``,
    ``changed`` and ``shards`` (each shard's :meth:`IndexWriter.commit` dict).
    """

    __slots__ = ()

    @classmethod
    def create(  # type: ignore[override]
        cls,
        path: PathLike,
        schema: Union[Schema, Mapping[str, Any]],
        num_shards: int,
        *,
        synonyms: Sequence[Sequence[str]] = (),
        merge_on_commit: bool = DEFAULTS["merge_on_commit"],
        docstore_zstd_level: int = DEFAULTS["docstore_zstd_level"],
        docstore_block_bytes: int = DEFAULTS["docstore_block_bytes"],
        threads: int = 0,
    ) -> ShardedWriter:
        """Creates ``path`` with ``num_shards`` (1 to 4096) empty shards.

        ``threads``: shards committed at once (0: one per core). The schema
        may not have a field ``_shard_seq`` (reserved). Other arguments as
        :meth:`IndexWriter.create`.
        """
        core_schema = (schema if isinstance(schema, Schema) else Schema(schema))._core
        groups = [list(g) for g in synonyms]
        return cls(
            _core.ShardedWriter.create(
                os.fspath(path), core_schema, num_shards, groups, merge_on_commit,
                docstore_zstd_level, docstore_block_bytes, threads,
            )
        )

    @classmethod
    def open(
        cls,
        path: PathLike,
        *,
        merge_on_commit: bool = DEFAULTS["merge_on_commit"],
        docstore_zstd_level: int = DEFAULTS["docstore_zstd_level"],
        docstore_block_bytes: int = DEFAULTS["docstore_block_bytes"],
        threads: int = 0,
    ) -> ShardedWriter:
        """Opens a sharded index for writing (rolling its shard map forward
        to shards a cut-short commit left ahead of it)."""
        return cls(_core.ShardedWriter.open(
            os.fspath(path), merge_on_commit, docstore_zstd_level, docstore_block_bytes, threads))

    @property
    def num_shards(self) -> int:
        """How many shards the index has."""
        core = self._writer()
        assert isinstance(core, _core.ShardedWriter)
        return core.num_shards

    def __repr__(self) -> str:
        return super().__repr__().replace("IndexWriter", "ShardedWriter", 1)


class ShardedIndex(Index):
    """A sharded index opened for searching: the same methods and answers as
    :class:`Index` (``Index.open`` on a sharded index's directory gives one
    too), with the fan-out's thread count as an option.

    Every shard scores with the index-wide statistics, so hits, scores,
    order, facet counts and cursors equal those of one index of the same
    documents.
    """

    __slots__ = ()

    def __init__(
        self,
        path: PathLike,
        *,
        threads: int = 0,
        checksums: str = DEFAULTS["checksums"],
        bm25_k1: float = float_default("bm25_k1"),
        bm25_b: float = float_default("bm25_b"),
        filter_cache_bytes: int = DEFAULTS["filter_cache_bytes"],
        shards: Sequence[int] = (),
    ) -> None:
        """Opens the sharded index at ``path``. ``threads``: threads a search
        runs the shards on, the caller's included (0: one per core; 1: the
        calling thread only). ``shards``: open only these (a shard function
        behind a :class:`FanOutIndex`, which answers shard requests with
        :func:`handle_shard_request` and refuses plain searches); the
        others' statistics come from the published extracts. Other options
        as :meth:`Index.open`.

        Raises :class:`Conflict` if a commit is under way past about 2 s.
        """
        if filter_cache_bytes < 0 or threads < 0:
            raise InvalidArgument("filter_cache_bytes and threads must be >= 0")
        self._path = os.fspath(path)
        self._core = _core.Index.open_sharded(
            self._path, checksums, bm25_k1, bm25_b, filter_cache_bytes, threads, list(shards))


__all__: List[str] = ["ShardedWriter", "ShardedIndex", "shard_of", "shard_schema", "publish_shard_map",
                      "write_shard_statistics", "upload_shard", "publish_remote_shard_map",
                      "upload_sharded_index"]
