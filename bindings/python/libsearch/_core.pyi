"""Type stubs for the extension module libsearch._core (internal API).

The public, documented API is the ``libsearch`` package; these stubs let type
checkers see the calls it makes.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ._errors import LibsearchError

__version__: str
DEFAULTS: Dict[str, Any]

class FieldType:
    TEXT: FieldType
    KEYWORD: FieldType
    INT: FieldType
    FLOAT: FieldType

class Operator:
    AND: Operator
    OR: Operator

class FieldSpec:
    name: str
    type: str
    stored: bool
    indexed: bool
    boost: float
    language: str
    stopwords: bool
    fold_accents: bool

class Schema:
    @staticmethod
    def from_json(json: Union[str, bytes]) -> Schema: ...
    @staticmethod
    def from_file(path: str) -> Schema: ...
    def to_json(self) -> str: ...
    @property
    def search_defaults_json(self) -> str: ...
    @property
    def id_field(self) -> str: ...
    @property
    def fields(self) -> List[FieldSpec]: ...

class IngestStats:
    lines: int
    docs_added: int
    lines_skipped: int
    errors: List[str]

class IndexBuilder:
    @staticmethod
    def create(schema: Schema, k1: float, b: float, zstd_level: int, block_bytes: int,
               allow_empty: bool, threads: int) -> IndexBuilder: ...
    def add_json(self, json: Union[str, bytes]) -> None: ...
    def add_jsonl(self, path: str, skip_bad: bool, max_error_messages: int) -> IngestStats: ...
    @property
    def num_docs(self) -> int: ...
    def build(self, path: str) -> None: ...

class IndexWriter:
    @staticmethod
    def create(
        path: str,
        schema: Schema,
        synonyms: List[List[str]],
        merge_on_commit: bool,
        zstd_level: int,
        block_bytes: int,
    ) -> IndexWriter: ...
    @staticmethod
    def open(path: str, merge_on_commit: bool, zstd_level: int, block_bytes: int) -> IndexWriter: ...
    @property
    def schema(self) -> Schema: ...
    def upsert_json(self, json: Union[str, bytes]) -> None: ...
    def delete(self, id: Union[str, bytes]) -> None: ...
    def set_json(self, id: Union[str, bytes], fields: Union[str, bytes]) -> None: ...
    def apply(self, line: Union[str, bytes]) -> None: ...
    def apply_jsonl(self, path: str, skip_bad: bool, max_error_messages: int) -> IngestStats: ...
    @property
    def has_pending(self) -> bool: ...
    def commit(self) -> Dict[str, Any]: ...
    def compact(self) -> Dict[str, Any]: ...
    def rollback(self) -> None: ...

class ShardedWriter:
    @staticmethod
    def create(
        path: str,
        schema: Schema,
        num_shards: int,
        synonyms: List[List[str]],
        merge_on_commit: bool,
        zstd_level: int,
        block_bytes: int,
        threads: int,
    ) -> ShardedWriter: ...
    @staticmethod
    def open(path: str, merge_on_commit: bool, zstd_level: int, block_bytes: int, threads: int) -> ShardedWriter: ...
    @property
    def num_shards(self) -> int: ...
    @property
    def schema(self) -> Schema: ...
    def upsert_json(self, json: Union[str, bytes]) -> None: ...
    def delete(self, id: Union[str, bytes]) -> None: ...
    def set_json(self, id: Union[str, bytes], fields: Union[str, bytes]) -> None: ...
    def apply(self, line: Union[str, bytes]) -> None: ...
    def apply_jsonl(self, path: str, skip_bad: bool, max_error_messages: int) -> IngestStats: ...
    @property
    def has_pending(self) -> bool: ...
    def commit(self) -> Dict[str, Any]: ...
    def compact(self) -> Dict[str, Any]: ...
    def rollback(self) -> None: ...

def shard_of(id: Union[str, bytes], num_shards: int) -> int: ...
def shard_schema(schema: Schema) -> Schema: ...
def publish_shard_map(dir: str, schema: Schema, shard_paths: List[str]) -> None: ...

class IndexReplica:
    @staticmethod
    def open(
        url: str,
        cache_dir: str,
        refresh_seconds: float,
        checksums: str,
        k1: float,
        b: float,
        filter_cache_bytes: int,
    ) -> IndexReplica: ...
    def index(self) -> Index: ...
    def refresh(self) -> bool: ...
    def maybe_refresh(self) -> bool: ...
    def status(self) -> Dict[str, Any]: ...

class RemoteWriter:
    @staticmethod
    def open(
        url: str,
        cache_dir: str,
        schema: Optional[Schema],
        synonyms: List[List[str]],
        merge_on_commit: bool,
        gc_grace_seconds: float,
    ) -> RemoteWriter: ...
    def writer(self) -> IndexWriter: ...
    def applied(self, id: str) -> bool: ...
    def mark_applied(self, id: str) -> None: ...
    def commit(self) -> Dict[str, Any]: ...
    def compact(self) -> Dict[str, Any]: ...

def handle_update_lambda_event(event: bytes, url: str, cache_dir: str) -> Tuple[bool, str, bytes]: ...
def handle_rebuild_event(event: bytes, url: str, cache_dir: str, export_url: str) -> Tuple[bool, str, bytes]: ...
def handle_update_body(body: bytes, key: str, url: str, cache_dir: str) -> JsonReply: ...

class FieldInfo:
    name: str
    type: str
    indexed: bool
    stored: bool
    doc_count: int
    num_terms: int
    total_terms: int
    min_value: float
    max_value: float

class SectionInfo:
    kind: str
    field: str
    offset: int
    bytes: int

class SegmentInfo:
    name: str
    docs: int
    deleted: int
    updated: int
    file_bytes: int

class IndexInfo:
    path: str
    generation: int
    segments: List[SegmentInfo]
    format_major: int
    format_minor: int
    num_docs: int
    file_bytes: int
    id_field: str
    fields: List[FieldInfo]
    sections: List[SectionInfo]

class QuerySyntax:
    SIMPLE: QuerySyntax
    FULL: QuerySyntax

class FieldScoring:
    BM25F: FieldScoring
    BM25F_COMBINED_LENGTH: FieldScoring
    PER_FIELD: FieldScoring

class JsonReply:
    status: int
    body: str

JSON_LIMITS: Dict[str, int]

def query_hash(query: bytes) -> str: ...

class RequestLogger:
    def __init__(self, surface: str, include_query: bool = False) -> None: ...
    def search_json(self, body: bytes, status: int, reply: str, took_us: float) -> str: ...
    def search_query_string(self, query: bytes, status: int, reply: str, took_us: float) -> str: ...
    def lambda_event(self, event: bytes, is_error: bool, error_type: str, payload: bytes, took_us: float) -> str: ...
    def refused(self, status: int, took_us: float) -> str: ...

class FacetRange:
    label: str
    from_: float
    to: float
    def __init__(self, label: str = "", from_: float = ..., to: float = ...) -> None: ...

class FacetRequest:
    field: str
    size: int
    ranges: List[FacetRange]
    disjunctive: bool
    def __init__(
        self, field: str = "", size: int = ..., ranges: Sequence[FacetRange] = ..., disjunctive: bool = False
    ) -> None: ...

class SortField:
    field: str
    descending: bool
    def __init__(self, field: str = "", descending: bool = False) -> None: ...

class HighlightOptions:
    fields: List[str]
    pre_tag: str
    post_tag: str
    fragment_bytes: int
    def __init__(
        self, fields: Sequence[str] = ..., pre_tag: str = ..., post_tag: str = ..., fragment_bytes: int = ...
    ) -> None: ...

class SearchRequest:
    """Every field of the C++ SearchRequest, under its C++ name. Reading a
    list field returns a copy: assign whole lists."""

    EXACT_TOTAL: int
    # Text fields take str or UTF-8 bytes and read back as str.
    @property
    def query(self) -> str: ...
    @query.setter
    def query(self, value: Union[str, bytes]) -> None: ...
    k: int
    offset: int
    @property
    def filters(self) -> List[str]: ...
    @filters.setter
    def filters(self, value: Sequence[Union[str, bytes]]) -> None: ...
    prefix_last: bool
    typos: bool
    suggest: bool
    max_expansions: int
    syntax: QuerySyntax
    field_scoring: FieldScoring
    synonyms: bool
    @property
    def fields(self) -> List[str]: ...
    @fields.setter
    def fields(self, value: Sequence[str]) -> None: ...
    default_operator: Operator
    include_docs: bool
    @property
    def retrieve(self) -> List[str]: ...
    @retrieve.setter
    def retrieve(self, value: Sequence[str]) -> None: ...
    include_ids: bool
    total_hits_threshold: int
    @property
    def facets(self) -> List[FacetRequest]: ...
    @facets.setter
    def facets(self, value: Sequence[FacetRequest]) -> None: ...
    @property
    def sort(self) -> List[SortField]: ...
    @sort.setter
    def sort(self, value: Sequence[SortField]) -> None: ...
    highlight: HighlightOptions
    @property
    def search_after(self) -> str: ...
    @search_after.setter
    def search_after(self, value: Union[str, bytes]) -> None: ...
    def __init__(self) -> None: ...

def parse_facet_spec(spec: str) -> FacetRequest: ...
def parse_sort_spec(spec: str) -> List[SortField]: ...
def error_reply(status: int, code: str, message: str) -> Tuple[int, str]: ...

class FacetValue:
    value: str
    count: int

class FacetResult:
    field: str
    values: List[FacetValue]

class SearchResponse:
    total: int
    total_exact: bool
    facets: List[FacetResult]
    next_cursor: str
    suggestion: str
    took_us: int
    def __len__(self) -> int: ...
    def id(self, i: int) -> str: ...
    def score(self, i: int) -> float: ...
    def doc_number(self, i: int) -> int: ...
    def doc_json(self, i: int) -> str: ...
    def highlights(self, i: int) -> List[Tuple[str, str]]: ...
    def ids(self) -> List[str]: ...
    def scores(self) -> List[float]: ...

class Index:
    @staticmethod
    def open(path: str, checksums: str, k1: float, b: float, filter_cache_bytes: int) -> Index: ...
    @staticmethod
    def open_sharded(
        path: str, checksums: str, k1: float, b: float, filter_cache_bytes: int, threads: int
    ) -> Index: ...
    def reopen(self) -> Index: ...
    def search(self, request: SearchRequest) -> SearchResponse: ...
    def search_basic(
        self,
        query: Union[str, bytes],
        k: int,
        offset: int,
        fields: Sequence[str],
        filters: Sequence[Union[str, bytes]],
        op: Operator,
        include_docs: bool,
        total_hits_threshold: Optional[int],
    ) -> SearchResponse: ...
    def search_batch(
        self, queries: List[Union[str, bytes]], request: SearchRequest
    ) -> List[Union[SearchResponse, LibsearchError]]: ...
    def explain(self, request: SearchRequest) -> str: ...
    def handle_json(self, body: bytes, deadline_ms: Optional[float] = None) -> JsonReply: ...
    def handle_query_string(self, query: bytes, deadline_ms: Optional[float] = None) -> JsonReply: ...
    def handle_lambda_event(self, event: bytes, deadline_ms: Optional[float] = None) -> Tuple[bool, str, bytes]: ...
    def document(self, doc: int) -> str: ...
    def verify(self) -> None: ...
    def info(self) -> IndexInfo: ...
    @property
    def num_docs(self) -> int: ...
    @property
    def schema(self) -> Schema: ...
