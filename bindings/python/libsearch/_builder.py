"""IndexBuilder: documents in, one index file out."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Iterable, List, Mapping, Union

from . import _core
from ._schema import Schema
from ._util import DEFAULTS, PathLike, dumps, float_default, utf8


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
        bm25_k1: float = float_default("build_bm25_k1"),
        bm25_b: float = float_default("build_bm25_b"),
        docstore_zstd_level: int = DEFAULTS["docstore_zstd_level"],
        docstore_block_bytes: int = DEFAULTS["docstore_block_bytes"],
        allow_empty: bool = DEFAULTS["allow_empty"],
        threads: int = DEFAULTS["threads"],
    ) -> None:
        """Creates a builder for ``schema`` (a :class:`Schema` or its dict).

        Args:
            bm25_k1, bm25_b: BM25 parameters for the per-block score maxima
                kept in the file (searching may use others).
            docstore_zstd_level: zstd level of the document store.
            docstore_block_bytes: Uncompressed bytes per document-store block.
            allow_empty: Let :meth:`build` write an index of 0 documents over
                an existing file that is not an empty index. By default that
                raises :class:`InvalidArgument` and leaves the file as it was
                (an empty input, or every line skipped, must not silently
                replace a good index; the CLI's ``--allow-empty``).
            threads: Threads that analyse text once the build has a batch
                of documents (0, the default: one per hardware thread; 1: none).
                The index file is the same for any value (the CLI's ``--threads``).
        """
        core_schema = (schema if isinstance(schema, Schema) else Schema(schema))._core
        self._core = _core.IndexBuilder.create(core_schema, bm25_k1, bm25_b, docstore_zstd_level, docstore_block_bytes,
                                             allow_empty, threads)
        self._lock = threading.Lock()

    def add(self, doc: Mapping[str, Any]) -> None:
        """Adds one document (a JSON-serialisable mapping).

        Raises :class:`InvalidArgument` (naming the field) for a missing or
        duplicate id, a value of the wrong type, or a value JSON cannot hold (a
        set, bytes, NaN); nothing is added then.
        """
        self.add_json(dumps(doc))

    def add_json(self, text: Union[str, bytes]) -> None:
        """Adds one document given as JSON object text."""
        with self._lock:
            self._core.add_json(utf8(text))

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
        skip_bad: bool = DEFAULTS["skip_bad"],
        max_error_messages: int = DEFAULTS["max_error_messages"],
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
