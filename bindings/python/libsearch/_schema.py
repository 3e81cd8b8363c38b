"""Schema: the id field and how every other field is indexed and stored."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from . import _core
from ._util import PathLike, dumps, utf8


@dataclass(frozen=True)
class FieldSpec:
    """One field of a :class:`Schema`, with every default filled in.

    Attributes:
        name: The field's key in documents.
        type: ``"text"``, ``"keyword"``, ``"int"`` or ``"float"``.
        stored: Returned with hits.
        indexed: Searchable (text and keyword fields).
        boost: The field's weight: multiplies a word's frequency in the field
            (BM25F, a word over several text fields) or the field's BM25 score
            (``field_scoring="per_field"``, keyword fields, phrases).
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
        self._core: _core.Schema = _core.Schema.from_json(dumps(spec, "schema"))

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> Schema:
        """Parses the schema's JSON text."""
        return cls._wrap(_core.Schema.from_json(utf8(text)))

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
