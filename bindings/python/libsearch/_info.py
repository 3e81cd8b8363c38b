"""IndexInfo: what ``libsearch info`` prints about an index file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class FieldInfo:
    """Per-field statistics in :class:`IndexInfo`.

    Attributes:
        name, type, indexed, stored: As in the schema (``indexed``: the
            field has terms; int and float fields have a column instead).
        doc_count: Documents with at least one term in the field (text and
            keyword), or with a value (int and float).
        num_terms: Distinct terms (0 for int and float fields).
        total_terms: Sum of the field's lengths over all documents.
        min_value, max_value: Int and float fields: the smallest and largest
            value (both 0.0 when no document has one, and for other fields).
    """

    name: str
    type: str
    indexed: bool
    stored: bool
    doc_count: int
    num_terms: int
    total_terms: int
    min_value: float
    max_value: float


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
class SegmentInfo:
    """One segment of an index directory (docs/format.md, "Index directories").

    Attributes:
        name: ``"s000001"``; the file is ``<name>.seg``.
        docs: Documents in the segment, deleted ones included.
        deleted: Of those, deleted since the segment was written.
        file_bytes: Size of its segment file.
        updated: Documents with fields changed in place (``IndexWriter.set``).
    """

    name: str
    docs: int
    deleted: int
    file_bytes: int
    updated: int = 0


@dataclass(frozen=True)
class IndexInfo:
    """What ``libsearch info`` prints: counts, fields and section sizes.

    Attributes:
        path: The file opened.
        format_version: ``(major, minor)`` of the file format.
        num_docs: Documents in the index.
        file_bytes: Size of the file.
        id_field: Name of the id field.
        fields: Per-field statistics (of the live documents; for a directory,
            ``num_terms`` is the most of any one segment).
        sections: Every section of the file (none for a directory).
        generation: An index directory's commit (0 for a single file).
        segments: An index directory's segments, in doc order.
    """

    path: str
    format_version: Tuple[int, int]
    num_docs: int
    file_bytes: int
    id_field: str
    fields: Tuple[FieldInfo, ...]
    sections: Tuple[SectionInfo, ...]
    generation: int
    segments: Tuple[SegmentInfo, ...]
