"""libsearch: an embeddable search engine for product catalogues.

A typed Python facade over the C++ library (the extension ``libsearch._core``).
Indexes built here and by the ``libsearch`` CLI are the same files, and a
search returns the same hits, scores and order in both.

Example::

    import libsearch

    schema = libsearch.Schema.from_file("examples/products/schema.json")
    builder = libsearch.IndexBuilder(schema)
    builder.add_jsonl("examples/products/products.jsonl.gz")
    builder.build("products.idx")

    with libsearch.Index.open("products.idx") as index:
        result = index.search('organic "peanut butter" -salt', k=5)
        print(result.total, "matches")
        for hit in result:
            print(hit.id, hit.score, hit.doc["product_name"])

An index directory changes by id with :class:`IndexWriter` (upsert, delete,
``set`` of some fields, then ``commit``). A catalogue too large for one index
is split over shards by :class:`ShardedWriter` and searched as one by
:class:`ShardedIndex`, with the same answers.

Building and searching release the GIL, and one :class:`Index` may be
searched from any number of threads at once. Errors are subclasses of
:class:`LibsearchError` that carry the C++ message.
"""


from __future__ import annotations

from . import _core
from ._builder import IndexBuilder, IngestStats
from ._errors import (
    Conflict,
    CorruptIndex,
    InternalError,
    InvalidArgument,
    IOFailure,
    LibsearchError,
    NotFound,
    ResourceExhausted,
    Unavailable,
    Unimplemented,
)
from ._fan_out import FanOutIndex, handle_shard_request, is_shard_request
from ._index import Index
from ._info import FieldInfo, IndexInfo, SectionInfo, SegmentInfo
from ._remote import (
    IndexReplica,
    RemoteWriter,
    handle_rebuild_event,
    handle_update_body,
    handle_update_lambda_event,
)
from ._request import (
    BatchOptions as BatchOptions,
    Facet,
    FacetSpec as FacetSpec,
    Highlight,
    Operator as Operator,
    SearchOptions as SearchOptions,
)
from ._request_log import RequestLogger, query_hash
from ._results import FacetCount, Hit, SearchResult
from ._schema import FieldSpec, Schema
from ._sharded import (
    ShardedIndex,
    ShardedWriter,
    publish_remote_shard_map,
    publish_shard_map,
    shard_of,
    shard_schema,
    upload_shard,
    upload_sharded_index,
    write_shard_statistics,
)
from ._util import PathLike as PathLike
from ._writer import IndexWriter

__all__ = [
    "__version__",
    "Schema",
    "FieldSpec",
    "IndexBuilder",
    "IngestStats",
    "IndexWriter",
    "Index",
    "ShardedWriter",
    "ShardedIndex",
    "shard_of",
    "shard_schema",
    "publish_shard_map",
    "write_shard_statistics",
    "upload_shard",
    "publish_remote_shard_map",
    "upload_sharded_index",
    "FanOutIndex",
    "handle_shard_request",
    "is_shard_request",
    "IndexReplica",
    "RemoteWriter",
    "handle_update_lambda_event",
    "handle_update_body",
    "handle_rebuild_event",
    "RequestLogger",
    "query_hash",
    "SearchResult",
    "Hit",
    "Facet",
    "FacetCount",
    "Highlight",
    "IndexInfo",
    "FieldInfo",
    "SectionInfo",
    "SegmentInfo",
    "LibsearchError",
    "InvalidArgument",
    "NotFound",
    "CorruptIndex",
    "IOFailure",
    "Unimplemented",
    "ResourceExhausted",
    "InternalError",
    "Conflict",
    "Unavailable",
]

#: The library version, the same as the C++ ``libsearch::Version()``.
__version__: str = _core.__version__

# Also importable for annotations, as before the facade was split into
# modules: PathLike, Operator, FacetSpec; and the keyword options of
# Index.search and Index.batch as TypedDicts: SearchOptions, BatchOptions.
