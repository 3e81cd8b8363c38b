"""IndexReplica and RemoteWriter: an index in object storage (S3 or a
shared directory), followed by serving instances and changed by writers."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _core
from ._index import Index
from ._schema import Schema
from ._util import DEFAULTS, PathLike, float_default
from ._writer import IndexWriter


class IndexReplica:
    """A local copy of a remote index that follows its commits.

    Example::

        replica = libsearch.IndexReplica.open("s3://shop/catalogue", cache_dir="/tmp/index")
        replica.maybe_refresh()          # between requests: at most every refresh_seconds
        hits = replica.index.search("peanut butter")

    :attr:`index` is the snapshot to search; :meth:`refresh` moves to the
    remote's last commit, downloading only the files the cache lacks (each
    checked against its hash) and opening only new segments. A failed
    refresh raises but keeps the last good snapshot, so serving goes on.
    S3 credentials, region and endpoint come from the environment as for the
    AWS SDKs (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
    ``AWS_SESSION_TOKEN``, ``AWS_REGION``, ``AWS_ENDPOINT_URL_S3`` or
    ``AWS_ENDPOINT_URL``). Thread-safe.
    """

    __slots__ = ("_core", "_url")

    def __init__(self, core: _core.IndexReplica, url: str) -> None:
        """Internal: use :meth:`open`."""
        self._core = core
        self._url = url

    @classmethod
    def open(
        cls,
        url: str,
        *,
        cache_dir: PathLike,
        refresh_seconds: float = DEFAULTS["refresh_seconds"],
        checksums: str = DEFAULTS["checksums"],
        bm25_k1: float = float_default("bm25_k1"),
        bm25_b: float = float_default("bm25_b"),
        filter_cache_bytes: int = DEFAULTS["filter_cache_bytes"],
        shards: Sequence[int] = (),
    ) -> IndexReplica:
        """Downloads the index at ``url`` (``s3://BUCKET/PREFIX`` or
        ``file:///DIR``) into ``cache_dir`` and opens it.

        A sharded index there (:func:`upload_sharded_index`) is mirrored as a
        local sharded directory; ``shards`` opens only those shards, with
        the other shards' statistics: a shard function behind a fan-out
        coordinator (its plain searches are refused).

        Raises :class:`NotFound` if no index is there, :class:`IOFailure` if
        the store cannot be reached, :class:`CorruptIndex` if a file does not
        match its hash, :class:`InvalidArgument` for a bad URL or missing
        credentials.
        """
        return cls(
            _core.IndexReplica.open(url, os.fspath(cache_dir), float(refresh_seconds), checksums,
                                    bm25_k1, bm25_b, filter_cache_bytes, [int(s) for s in shards]),
            url,
        )

    @property
    def index(self) -> Index:
        """The current snapshot; it stays valid and unchanged while held."""
        snapshot = Index.__new__(Index)
        snapshot._path = self._url
        snapshot._core = self._core.index()
        return snapshot

    def refresh(self) -> bool:
        """Checks the remote manifest and moves to a newer commit if there is
        one. Returns True if the snapshot changed."""
        return self._core.refresh()

    def maybe_refresh(self) -> bool:
        """:meth:`refresh` if ``refresh_seconds`` have passed since the last
        check (and no other thread is refreshing); else False at once."""
        return self._core.maybe_refresh()

    @property
    def status(self) -> Dict[str, Any]:
        """``generation``, ``checks``, ``refreshes``, ``failures``,
        ``files_downloaded``, ``bytes_downloaded``,
        ``last_check_age_seconds`` and ``last_error`` ("" if the last check
        succeeded)."""
        return self._core.status()

    def __repr__(self) -> str:
        return f"IndexReplica({self._url!r}, generation={self.status['generation']})"


class RemoteWriter(IndexWriter):
    """Changes an index in object storage: :meth:`open` downloads its last
    commit, the :class:`IndexWriter` methods change it locally, and
    :meth:`commit` publishes the result if no other writer published since.

    Example::

        with libsearch.RemoteWriter.open("s3://shop/catalogue", cache_dir="/tmp/w") as w:
            w.set("3017620422003", {"price": 2.49})
            w.commit()

    If another writer published first, :meth:`commit` raises
    :class:`Conflict`, nothing of this writer is published, and it cannot be
    used again: open a new one and apply the changes again. Event ids
    (:meth:`mark_applied`) are published with the commit, so a redelivered
    event can be recognised (:meth:`applied`) and skipped.
    """

    __slots__ = ("_remote",)

    def __init__(self, remote: _core.RemoteWriter) -> None:
        """Internal: use :meth:`open`."""
        super().__init__(remote.writer())
        self._remote: Optional[_core.RemoteWriter] = remote

    @classmethod
    def open(  # type: ignore[override]
        cls,
        url: str,
        *,
        cache_dir: PathLike,
        schema: Union[Schema, Mapping[str, Any], None] = None,
        synonyms: Sequence[Sequence[str]] = (),
        merge_on_commit: bool = DEFAULTS["merge_on_commit"],
        gc_grace_seconds: float = DEFAULTS["gc_grace_seconds"],
    ) -> RemoteWriter:
        """Opens the index at ``url`` for writing, with its working copy in
        ``cache_dir``. With ``schema``, a URL that holds no index gets a new
        one (published by the first :meth:`commit`); without, it raises
        :class:`NotFound`. Objects the manifest no longer names are removed
        after each publish once older than ``gc_grace_seconds``."""
        core_schema = None
        if schema is not None:
            core_schema = (schema if isinstance(schema, Schema) else Schema(schema))._core
        return cls(_core.RemoteWriter.open(url, os.fspath(cache_dir), core_schema,
                                           [list(g) for g in synonyms], merge_on_commit,
                                           float(gc_grace_seconds)))

    def _publisher(self) -> _core.RemoteWriter:
        if self._remote is None:
            raise ValueError("the RemoteWriter is closed")
        return self._remote

    def applied(self, event_id: str) -> bool:
        """Whether a published commit recorded this event id."""
        return self._publisher().applied(event_id)

    def mark_applied(self, event_id: str) -> None:
        """Records ``event_id`` with the next :meth:`commit`."""
        self._publisher().mark_applied(event_id)

    def commit(self) -> Dict[str, Any]:
        """Commits locally, uploads the new files and publishes the commit.

        Returns :meth:`IndexWriter.commit`'s dict plus ``published``,
        ``files_uploaded``, ``bytes_uploaded`` and ``objects_removed``.
        Raises :class:`Conflict` if another writer published first.
        """
        with self._lock:
            return self._publisher().commit()

    def compact(self) -> Dict[str, Any]:
        """:meth:`commit`, then one segment without deleted documents, published."""
        with self._lock:
            return self._publisher().compact()

    def close(self) -> None:
        """Drops unpublished changes and releases the working copy. Idempotent."""
        with self._lock:
            self._core = None
            self._remote = None


def handle_update_lambda_event(event: Union[str, bytes], *, index_url: str,
                               cache_dir: PathLike) -> Tuple[bool, str, bytes]:
    """The update function's Lambda handler (``libsearch/updates.h``): an SQS
    batch (the reply is its partial batch response), an HTTP POST of JSON
    Lines or ``{"events": [...]}``, applied to ``index_url`` as one published
    commit. Returns ``(is_error, error_type, payload)`` as
    :meth:`Index.handle_lambda_event`."""
    raw = event.encode("utf-8") if isinstance(event, str) else event
    return _core.handle_update_lambda_event(raw, index_url, os.fspath(cache_dir))


def handle_rebuild_event(event: Union[str, bytes], *, index_url: str, cache_dir: PathLike,
                         export_url: str = "") -> Tuple[bool, str, bytes]:
    """The scheduled rebuild (``libsearch/updates.h``): builds a fresh index
    from the catalogue export (the event's ``"export"`` or ``export_url``),
    replays the changes logged since the export started (the event's
    ``"export_started"``, Unix ms) and publishes it over ``index_url``.
    Returns ``(is_error, error_type, payload)``; the payload is the report."""
    raw = event.encode("utf-8") if isinstance(event, str) else event
    return _core.handle_rebuild_event(raw, index_url, os.fspath(cache_dir), export_url)


def handle_update_body(body: Union[str, bytes], *, index_url: str, cache_dir: PathLike,
                       idempotency_key: str = "") -> Tuple[int, str]:
    """A POST of JSON Lines (one event, deduplicated by ``idempotency_key``)
    or a Pub/Sub push, applied to ``index_url``: ``(status, JSON body)``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    reply = _core.handle_update_body(raw, idempotency_key, index_url, os.fspath(cache_dir))
    return reply.status, reply.body


__all__: List[str] = [
    "IndexReplica",
    "RemoteWriter",
    "handle_update_lambda_event",
    "handle_update_body",
    "handle_rebuild_event",
]
