"""IndexWriter: change an index directory (a live index) by id."""

from __future__ import annotations

import os
import threading
from types import TracebackType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Type, TypeVar, Union

from . import _core
from ._builder import IngestStats
from ._schema import Schema
from ._util import DEFAULTS, PathLike, dumps, utf8

_W = TypeVar("_W", bound="IndexWriter")
# The extension's writers share the change methods (ShardedWriter subclasses this).
_Core = Union[_core.IndexWriter, _core.ShardedWriter]


class IndexWriter:
    """Upserts, deletes and field updates on an index directory, made visible
    together by :meth:`commit`.

    Example::

        with libsearch.IndexWriter.create("products/", schema) as writer:
            writer.upsert({"barcode": "1", "product_name": "Peanut butter"})
            writer.commit()
        with libsearch.IndexWriter.open("products/") as writer:
            writer.set("1", {"sugars_100g": 4.5})
            writer.delete("2")
            print(writer.commit())  # {"generation": 3, "docs_added": 1, ...}

    Changes are pending until :meth:`commit`; readers see the last commit,
    never a part of one. One writer per directory: opening a second raises
    :class:`IOFailure` naming the holder. Leaving the ``with`` block (or
    :meth:`close`) releases the directory **without committing**: pending
    changes are dropped, so an exception in the block never commits half a
    batch. Methods release the GIL; calls on one writer are serialised.
    """

    __slots__ = ("_core", "_lock")

    def __init__(self, core: _Core) -> None:
        """Internal: use :meth:`create` or :meth:`open`."""
        self._core: Optional[_Core] = core
        self._lock = threading.Lock()

    @classmethod
    def create(
        cls,
        path: PathLike,
        schema: Union[Schema, Mapping[str, Any]],
        *,
        synonyms: Sequence[Sequence[str]] = (),
        merge_on_commit: bool = DEFAULTS["merge_on_commit"],
        docstore_zstd_level: int = DEFAULTS["docstore_zstd_level"],
        docstore_block_bytes: int = DEFAULTS["docstore_block_bytes"],
    ) -> IndexWriter:
        """Creates an empty index directory at ``path`` and opens it for writing.

        Raises :class:`InvalidArgument` if ``path`` is a file or already an
        index directory.

        Args:
            synonyms: Synonym groups stored in the index, applied to every search.
            merge_on_commit: Merge segments after each commit (the tiered policy).
            docstore_zstd_level, docstore_block_bytes: As for :class:`IndexBuilder`.
        """
        core_schema = (schema if isinstance(schema, Schema) else Schema(schema))._core
        groups = [list(g) for g in synonyms]
        return cls(
            _core.IndexWriter.create(
                os.fspath(path), core_schema, groups, merge_on_commit, docstore_zstd_level, docstore_block_bytes
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
    ) -> IndexWriter:
        """Opens an index directory for writing.

        Raises :class:`InvalidArgument` for a single-file index (it cannot
        change: rebuild it as a directory), :class:`NotFound` for a path that
        is no index, :class:`IOFailure` if another writer holds it.
        """
        return cls(_core.IndexWriter.open(os.fspath(path), merge_on_commit, docstore_zstd_level, docstore_block_bytes))

    def _writer(self) -> _Core:
        if self._core is None:
            raise ValueError("the IndexWriter is closed")
        return self._core

    @property
    def schema(self) -> Schema:
        """The index's schema."""
        return Schema._wrap(self._writer().schema)

    def upsert(self, doc: Union[Mapping[str, Any], str]) -> None:
        """Adds a whole document (a mapping or JSON object text), replacing
        the live document with its id. Raises :class:`InvalidArgument` (naming
        the field) for a bad document; nothing changes then."""
        text = utf8(doc) if isinstance(doc, str) else dumps(doc)
        with self._lock:
            self._writer().upsert_json(text)

    def delete(self, id: str) -> None:
        """Deletes the document with this id. An id that is not live is not an
        error; :meth:`commit` counts it as ``not_found``."""
        with self._lock:
            self._writer().delete(utf8(id))

    def set(self, id: str, fields: Mapping[str, Any]) -> None:
        """Changes some fields of a live document (``None`` removes a field).
        Fields without terms (int and float fields, ``indexed: false``)
        change in place at the commit (an update file; the text is not
        analysed again); any other field re-indexes the document, as an
        upsert of the result.

        Raises :class:`NotFound` if the id is not live, :class:`InvalidArgument`
        for a field not in the schema, a bad value or a change of the id.
        """
        with self._lock:
            self._writer().set_json(utf8(id), dumps(fields, "_set"))

    def apply(self, change: Union[Mapping[str, Any], str]) -> None:
        """Applies one change-file line: a document (upsert),
        ``{"<id>": ..., "_delete": true}`` or ``{"<id>": ..., "_set": {...}}``."""
        text = utf8(change) if isinstance(change, str) else dumps(change, "change")
        with self._lock:
            self._writer().apply(text)

    def apply_jsonl(
        self,
        path: PathLike,
        *,
        skip_bad: bool = DEFAULTS["skip_bad"],
        max_error_messages: int = DEFAULTS["max_error_messages"],
    ) -> IngestStats:
        """Applies every line of a change file (plain, ``.gz`` or ``.zst``).

        Errors are :class:`IndexBuilder.add_jsonl`'s: ``"FILE:LINE: message"``,
        and ``skip_bad`` skips and counts bad lines (a ``_set`` of an unknown id
        included). ``docs_added`` counts the lines applied.
        """
        with self._lock:
            s = self._writer().apply_jsonl(os.fspath(path), skip_bad, max_error_messages)
        return IngestStats(s.lines, s.docs_added, s.lines_skipped, list(s.errors))

    @property
    def has_pending(self) -> bool:
        """Whether any change waits for :meth:`commit`."""
        return self._writer().has_pending

    def commit(self) -> Dict[str, Any]:
        """Makes the pending changes visible atomically and durably, then
        merges segments (unless ``merge_on_commit=False``).

        Returns a dict: ``generation``, ``segments``, ``live_docs``,
        ``docs_added``, ``docs_deleted`` (deleted or replaced), ``docs_updated``
        (changed in place by ``set``), ``not_found``,
        ``merges``, ``changed`` (False if nothing was pending: nothing written).
        """
        with self._lock:
            return self._writer().commit()

    def compact(self) -> Dict[str, Any]:
        """Commits pending changes, then merges every segment into one without
        deleted documents. Returns what :meth:`commit` returns."""
        with self._lock:
            return self._writer().compact()

    def rollback(self) -> None:
        """Drops every pending change."""
        with self._lock:
            self._writer().rollback()

    def close(self) -> None:
        """Drops pending changes and releases the directory. Idempotent."""
        with self._lock:
            self._core = None

    def __enter__(self: _W) -> _W:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._core is None else ("pending changes" if self._core.has_pending else "clean")
        return f"IndexWriter({state})"


__all__: List[str] = ["IndexWriter"]
