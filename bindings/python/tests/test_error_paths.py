"""Every Python error path about user input raises libsearch's own classes
(LibsearchError subclasses), never TypeError, UnicodeDecodeError,
JSONDecodeError or RecursionError: one row per path."""

from __future__ import annotations

import pathlib
from typing import Any, Callable, List, Tuple, Type

import pytest

import libsearch

SCHEMA = {"id": "sku", "fields": {"title": {"type": "text", "stored": True}, "stock": {"type": "int"}}}
DEEP = "[" * 100_000 + "]" * 100_000


def deep_dict() -> Any:
    d: Any = {}
    for _ in range(100_000):
        d = {"x": d}
    return d


def builder() -> libsearch.IndexBuilder:
    return libsearch.IndexBuilder(libsearch.Schema(SCHEMA))


Row = Tuple[str, Callable[[pathlib.Path], Any], Type[libsearch.LibsearchError], str]


def rows() -> List[Row]:
    return [
        ("add_json 1e400 under an unused key", lambda p: builder().add_json('{"sku": "a", "x": 1e400}'),
         libsearch.InvalidArgument, "number overflow parsing '1e400'"),
        ("add_json nested 100,000 deep", lambda p: builder().add_json('{"sku": "a", "x": ' + DEEP + "}"),
         libsearch.InvalidArgument, "nests deeper than 64 levels"),
        ("add_json invalid UTF-8 bytes", lambda p: builder().add_json(b'{"sku": "a", "title": "caf\xe9"}'),
         libsearch.InvalidArgument, "field 'title': invalid UTF-8"),
        ("add_json lone surrogate", lambda p: builder().add_json('{"sku": "a", "title": "\udcff"}'),
         libsearch.InvalidArgument, "invalid UTF-8"),
        ("add a set", lambda p: builder().add({"sku": "a", "title": {1, 2}}),
         libsearch.InvalidArgument, "document cannot be written as JSON"),
        ("add NaN", lambda p: builder().add({"sku": "a", "stock": float("nan")}),
         libsearch.InvalidArgument, "cannot be written as JSON"),
        ("add a dict nested 100,000 deep", lambda p: builder().add({"sku": "a", "x": deep_dict()}),
         libsearch.InvalidArgument, "cannot be written as JSON"),
        ("add an int past int64", lambda p: builder().add({"sku": "a", "stock": 2**64 - 1}),
         libsearch.InvalidArgument, "expected an integer from -2^63 to 2^63-1"),
        ("add_jsonl 1e400", lambda p: add_jsonl(p, '{"sku": "a", "x": 1e400}\n'),
         libsearch.InvalidArgument, "in.jsonl:1: document is not valid JSON: number overflow"),
        ("add_jsonl 100,000 deep", lambda p: add_jsonl(p, '{"sku": "a", "x": ' + DEEP + "}\n"),
         libsearch.InvalidArgument, "in.jsonl:1: document nests deeper than 64 levels"),
        ("Schema with a set", lambda p: libsearch.Schema({"id": "x", "fields": {1, 2}}),
         libsearch.InvalidArgument, "schema cannot be written as JSON"),
        ("Schema.from_json invalid UTF-8", lambda p: libsearch.Schema.from_json(b'{"id": "\xff"}'),
         libsearch.InvalidArgument, "schema is not valid JSON"),
        ("Schema.from_json deep", lambda p: libsearch.Schema.from_json('{"id": "x", "y": ' + DEEP + "}"),
         libsearch.InvalidArgument, "schema nests deeper than 64 levels"),
        ("empty build over a full index", empty_build_over_full,
         libsearch.InvalidArgument, "refusing to replace"),
        ("search a lone surrogate", lambda p: index(p).search("choc\udcffolate"),
         libsearch.InvalidArgument, "query is not valid UTF-8 at byte offset 4"),
        ("search with options, a lone surrogate", lambda p: index(p).search("\udcff", typos=True),
         libsearch.InvalidArgument, "query is not valid UTF-8 at byte offset 0"),
        ("filter with a lone surrogate", lambda p: index(p).search("x", filters=["title:\udcff"]),
         libsearch.InvalidArgument, "filter is not valid UTF-8"),
        ("batch with a lone surrogate", lambda p: index(p).batch(["ok", "\udcff"]),
         libsearch.InvalidArgument, "query is not valid UTF-8"),
        ("writer upsert 1e400", lambda p: writer(p).upsert('{"sku": "b", "x": 1e400}'),
         libsearch.InvalidArgument, "number overflow"),
        ("writer set a set", lambda p: writer(p).set("a", {"title": {1}}),
         libsearch.InvalidArgument, "_set cannot be written as JSON"),
        ("writer apply deep", lambda p: writer(p).apply('{"sku": "a", "title": ' + DEEP + "}"),
         libsearch.InvalidArgument, "nests deeper than 64 levels"),
        # The message quotes the id's bytes, which are not UTF-8: replaced by
        # the translator instead of becoming a UnicodeDecodeError.
        ("writer set an id with a lone surrogate", lambda p: writer(p).set("\udcff", {"title": "x"}),
         libsearch.NotFound, "_set: no live document has id '\ufffd\ufffd\ufffd'"),
    ]


def add_jsonl(p: pathlib.Path, text: str) -> Any:
    path = p / "in.jsonl"
    path.write_text(text)
    return builder().add_jsonl(path)


def full_index(p: pathlib.Path) -> pathlib.Path:
    path = p / "full.idx"
    if not path.exists():
        b = builder()
        b.add({"sku": "a", "title": "chocolate"})
        b.build(path)
    return path


def empty_build_over_full(p: pathlib.Path) -> None:
    builder().build(full_index(p))


def index(p: pathlib.Path) -> libsearch.Index:
    return libsearch.Index.open(full_index(p))


_writers: dict = {}


def writer(p: pathlib.Path) -> libsearch.IndexWriter:
    if p not in _writers:
        w = libsearch.IndexWriter.create(str(p / "live") + "/", libsearch.Schema(SCHEMA))
        w.upsert({"sku": "a", "title": "apple"})
        w.commit()
        _writers[p] = w
    return _writers[p]


@pytest.mark.parametrize("row", rows(), ids=[r[0] for r in rows()])
def test_error_paths_raise_libsearch_errors(row: Row, tmp_path: pathlib.Path) -> None:
    _, call, cls, fragment = row
    try:
        with pytest.raises(cls) as e:
            call(tmp_path)
        assert fragment in str(e.value)
        assert len(str(e.value)) < 400, "a bounded message"
    finally:
        w = _writers.pop(tmp_path, None)
        if w is not None:
            w.close()


def test_allow_empty_writes_an_empty_index(tmp_path: pathlib.Path) -> None:
    path = full_index(tmp_path)
    libsearch.IndexBuilder(libsearch.Schema(SCHEMA), allow_empty=True).build(path)
    with libsearch.Index.open(path) as idx:
        assert idx.num_docs == 0
    builder().build(path)  # An empty index may be replaced by an empty one.
    not_an_index = tmp_path / "notes.txt"
    not_an_index.write_text("keep me")
    with pytest.raises(libsearch.InvalidArgument, match="a file that is not an index"):
        builder().build(not_an_index)
    assert not_an_index.read_text() == "keep me"


def test_deleting_an_id_that_is_not_utf8_is_a_not_found(tmp_path: pathlib.Path) -> None:
    w = writer(tmp_path)
    try:
        w.delete("\udcff")
        assert w.commit()["not_found"] == 1
    finally:
        _writers.pop(tmp_path).close()
