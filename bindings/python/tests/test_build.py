"""Schema and IndexBuilder: construction, round trips and ingest errors."""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import pathlib
import re
from typing import Any, Dict, List

import pytest

import libsearch

from conftest import SCHEMA_FILE

SMALL_SCHEMA: Dict[str, Any] = {
    "id": "sku",
    "fields": {
        "title": {"type": "text", "boost": 2.0, "stored": True},
        "body": {"type": "text", "language": "en"},
        "brand": {"type": "keyword", "stored": True},
        "tags": {"type": "keyword"},
        "price": {"type": "float", "stored": True},
        "stock": {"type": "int", "stored": True},
    },
}

SMALL_DOCS: List[Dict[str, Any]] = [
    {"sku": "a1", "title": "Crunchy peanut butter", "body": "roasted peanuts, salt",
     "brand": "Acme", "tags": ["spread", "vegan"], "price": 3.5, "stock": 10},
    {"sku": "a2", "title": "Smooth peanut butter", "body": "peanuts, sugar, palm oil",
     "brand": "Acme", "tags": ["spread"], "price": 3.25, "stock": 0},
    {"sku": "b1", "title": "Crème brûlée", "body": "cream, eggs, sugar, vanilla",
     "brand": "Bistro", "tags": ["dessert"], "price": 4.0, "stock": 7},
    {"sku": "c1", "title": "Dark chocolate 70%", "body": "cocoa mass, sugar, cocoa butter",
     "brand": "Choc", "tags": ["sweet", "vegan"], "price": 2.0, "stock": None},
]


def build_small(path: pathlib.Path) -> libsearch.Index:
    builder = libsearch.IndexBuilder(libsearch.Schema(SMALL_SCHEMA))
    assert builder.add_many(SMALL_DOCS) == len(SMALL_DOCS)
    assert builder.num_docs == len(builder) == 4
    builder.build(path)
    return libsearch.Index.open(path)


def test_version() -> None:
    # The C++ library's version (LIBSEARCH_VERSION_STRING), which CMake takes
    # from project(VERSION); the wheel's metadata reads the same line.
    cmake_lists = pathlib.Path(__file__).resolve().parents[3] / "CMakeLists.txt"
    cmake = cmake_lists.read_text(encoding="utf-8")
    project_version = re.search(r"project\(libsearch VERSION ([0-9.]+)", cmake)
    assert project_version is not None
    assert libsearch.__version__ == project_version.group(1)
    assert importlib.metadata.version("libsearch") == libsearch.__version__


def test_schema_from_dict_file_and_json_agree() -> None:
    from_file = libsearch.Schema.from_file(SCHEMA_FILE)
    from_dict = libsearch.Schema(json.loads(SCHEMA_FILE.read_text()))
    from_text = libsearch.Schema.from_json(SCHEMA_FILE.read_text())
    from_bytes = libsearch.Schema.from_json(SCHEMA_FILE.read_bytes())
    assert from_file == from_dict == from_text == from_bytes
    assert hash(from_file) == hash(from_dict)
    assert libsearch.Schema(from_file.to_dict()) == from_file
    assert libsearch.Schema.from_json(from_file.to_json()) == from_file
    assert from_file != libsearch.Schema(SMALL_SCHEMA)
    assert "barcode" in repr(from_file)


def test_schema_fields_have_defaults_filled_in() -> None:
    schema = libsearch.Schema(SMALL_SCHEMA)
    assert schema.id_field == "sku"
    fields = {f.name: f for f in schema.fields}
    assert list(fields) == ["sku", "title", "body", "brand", "tags", "price", "stock"]
    assert fields["sku"] == libsearch.FieldSpec("sku", "keyword", True, True, 1.0, "en", False, True)
    title = fields["title"]
    assert (title.type, title.boost, title.stored, title.indexed) == ("text", 2.0, True, True)
    assert (title.language, title.stopwords, title.fold_accents) == ("en", False, True)
    assert fields["body"].stored is False
    assert fields["price"].type == "float"
    assert fields["stock"].type == "int"


def test_schema_errors() -> None:
    with pytest.raises(libsearch.InvalidArgument, match="field 'b': unknown type 'txt'"):
        libsearch.Schema({"id": "a", "fields": {"b": {"type": "txt"}}})
    with pytest.raises(ValueError):
        libsearch.Schema.from_json("{not json")
    with pytest.raises(libsearch.NotFound) as e:
        libsearch.Schema.from_file("/nonexistent/schema.json")
    assert isinstance(e.value, FileNotFoundError)
    with pytest.raises(TypeError, match="from_file"):
        libsearch.Schema(str(SCHEMA_FILE))  # type: ignore[arg-type]


def test_round_trip_dicts(tmp_path: pathlib.Path) -> None:
    with build_small(tmp_path / "small.idx") as index:
        assert index.num_docs == len(index) == 4
        assert index.schema == libsearch.Schema(SMALL_SCHEMA)
        hits = {h.id: h for h in index.search("", k=10)}
        assert set(hits) == {"a1", "a2", "b1", "c1"}
        # Stored fields only, with the id; null means absent.
        assert hits["a1"].doc == {"sku": "a1", "title": "Crunchy peanut butter", "brand": "Acme",
                                  "price": 3.5, "stock": 10}
        assert hits["c1"].doc == {"sku": "c1", "title": "Dark chocolate 70%", "brand": "Choc", "price": 2.0}
        assert index.document(hits["b1"].doc_number)["title"] == "Crème brûlée"


def test_round_trip_jsonl_matches_catalogue(
    index: libsearch.Index, catalogue_docs: List[Dict[str, Any]], schema: libsearch.Schema
) -> None:
    stored = {f.name for f in schema.fields if f.stored}
    assert index.num_docs == len(catalogue_docs)
    for doc in catalogue_docs[::997]:
        result = index.search(f'barcode:"{doc["barcode"]}"')
        assert result.total == 1
        hit = result[0]
        assert hit.id == doc["barcode"]
        expected = {k: v for k, v in doc.items() if k in stored and v is not None}
        assert hit.doc == expected
        assert json.loads(hit.doc_json) == expected
        assert index.document(hit.doc_number) == expected


def test_add_json_text_and_bytes(tmp_path: pathlib.Path) -> None:
    builder = libsearch.IndexBuilder(SMALL_SCHEMA)
    builder.add_json('{"sku": "x", "title": "text form"}')
    builder.add_json(b'{"sku": "y", "title": "bytes form \xc3\xa9"}')
    builder.build(tmp_path / "t.idx")
    with libsearch.Index(tmp_path / "t.idx") as index:
        assert index.search("form").ids == ["x", "y"]
        assert index.search("bytes")[0].doc["title"] == "bytes form é"


def test_add_errors_name_the_field(tmp_path: pathlib.Path) -> None:
    builder = libsearch.IndexBuilder(SMALL_SCHEMA)
    builder.add({"sku": "1", "title": "ok"})
    with pytest.raises(libsearch.InvalidArgument, match="duplicate id '1'"):
        builder.add({"sku": "1", "title": "again"})
    with pytest.raises(libsearch.InvalidArgument, match="price"):
        builder.add({"sku": "2", "price": "cheap"})
    with pytest.raises(libsearch.InvalidArgument, match="sku"):
        builder.add({"title": "no id"})
    with pytest.raises(libsearch.InvalidArgument):
        builder.add_json("not json")
    # What JSON cannot hold is the caller's input error, like any bad value.
    with pytest.raises(libsearch.InvalidArgument, match="document cannot be written as JSON"):
        builder.add({"sku": "3", "title": object()})
    assert builder.num_docs == 1  # nothing was added by the failed calls
    builder.build(tmp_path / "t.idx")
    with pytest.raises(libsearch.InvalidArgument, match="already called"):
        builder.add({"sku": "4"})


def write_jsonl(path: pathlib.Path, lines: List[str]) -> pathlib.Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    else:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_add_jsonl_stops_at_first_bad_line(tmp_path: pathlib.Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", ['{"sku": "1"}', '{"sku": "1"}', '{"sku": "2"}'])
    builder = libsearch.IndexBuilder(SMALL_SCHEMA)
    with pytest.raises(libsearch.InvalidArgument, match=r"in\.jsonl:2: duplicate id '1'"):
        builder.add_jsonl(path)
    assert builder.num_docs == 1


def test_add_jsonl_skip_bad(tmp_path: pathlib.Path) -> None:
    lines = ['{"sku": "1", "title": "one"}', "garbage", "", '{"sku": "2", "price": "x"}',
             '{"sku": "3", "title": "three"}']
    path = write_jsonl(tmp_path / "in.jsonl.gz", lines)
    builder = libsearch.IndexBuilder(SMALL_SCHEMA)
    stats = builder.add_jsonl(path, skip_bad=True, max_error_messages=1)
    assert stats == libsearch.IngestStats(lines=4, docs_added=2, lines_skipped=2, errors=stats.errors)
    assert len(stats.errors) == 1 and "in.jsonl.gz:2" in stats.errors[0]
    builder.build(tmp_path / "t.idx")
    with libsearch.Index(tmp_path / "t.idx") as index:
        assert sorted(index.search("").ids) == ["1", "3"]


def test_add_jsonl_missing_file() -> None:
    builder = libsearch.IndexBuilder(SMALL_SCHEMA)
    with pytest.raises(libsearch.NotFound):
        builder.add_jsonl("/nonexistent/in.jsonl")


def test_build_is_atomic(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "keep.idx"
    target.write_bytes(b"previous contents")
    builder = libsearch.IndexBuilder(SMALL_SCHEMA)
    builder.add({"sku": "1"})
    with pytest.raises(libsearch.NotFound):
        builder.build(tmp_path / "missing-dir" / "x.idx")
    assert target.read_bytes() == b"previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.idx"]


def test_builder_options(tmp_path: pathlib.Path) -> None:
    builder = libsearch.IndexBuilder(SMALL_SCHEMA, docstore_zstd_level=19, docstore_block_bytes=512)
    builder.add_many(SMALL_DOCS)
    builder.build(tmp_path / "t.idx")
    with libsearch.Index(tmp_path / "t.idx") as index:
        index.verify()
        assert index.search("peanut").ids == ["a1", "a2"]
    assert "num_docs=4" in repr(builder)


def test_threads_write_the_same_file(tmp_path: pathlib.Path, catalogue_docs: List[Dict[str, Any]],
                                     schema: libsearch.Schema) -> None:
    """threads= (the CLI's --threads): any number writes the single-thread file."""
    from conftest import CATALOGUE

    files = []
    for threads in (1, 2, 0):
        builder = libsearch.IndexBuilder(schema, threads=threads)
        builder.add_many(catalogue_docs[:3000])  # One by one, past the first batch of 2,048.
        stats = builder.add_jsonl(CATALOGUE, skip_bad=True)  # Parsed on the threads.
        assert stats.lines_skipped == 3000  # The duplicates of the first 3,000.
        path = tmp_path / f"{threads}.idx"
        builder.build(path)
        files.append(path.read_bytes())
    assert files[0] == files[1] == files[2]
    with pytest.raises(libsearch.InvalidArgument, match="threads must be at most 256"):
        libsearch.IndexBuilder(schema, threads=257)
