"""Status codes map to Python exceptions that carry the C++ message."""

from __future__ import annotations

import pathlib

import pytest

import libsearch


def test_hierarchy() -> None:
    base = libsearch.LibsearchError
    for cls, builtin, code in [
        (libsearch.InvalidArgument, ValueError, "InvalidArgument"),
        (libsearch.NotFound, FileNotFoundError, "NotFound"),
        (libsearch.CorruptIndex, Exception, "Corruption"),
        (libsearch.IOFailure, OSError, "IOError"),
        (libsearch.Unimplemented, NotImplementedError, "Unimplemented"),
        (libsearch.ResourceExhausted, Exception, "ResourceExhausted"),
        (libsearch.InternalError, RuntimeError, "Internal"),
        (libsearch.Conflict, Exception, "Aborted"),
    ]:
        assert issubclass(cls, base) and issubclass(cls, builtin)
        assert cls.code == code
        assert cls.__module__ == "libsearch"
        assert cls.__doc__
    assert issubclass(libsearch.NotFound, OSError)
    assert str(libsearch.IOFailure("disk on fire")) == "disk on fire"


@pytest.mark.parametrize(
    "query, message",
    [
        ("(tea", "query position 0: '(' is never closed"),
        ("tea)", "')'"),
        ("colour:red", "unknown field 'colour'"),
        ("a OR", "query position 2: 'OR' needs a term on both sides"),
        ("fat_100g:abc", "'abc' is not a number (field 'fat_100g' has type float)"),
        ("fat_100g:[1 TO", "range is never closed"),
        ("image_url:x", "field 'image_url' is stored but not indexed"),
    ],
)
def test_query_errors(index: libsearch.Index, query: str, message: str) -> None:
    with pytest.raises(libsearch.InvalidArgument) as e:
        index.search(query, syntax="full")
    assert message in str(e.value)
    assert isinstance(e.value, ValueError)
    # The default simple syntax searches the same text instead.
    assert isinstance(index.search(query), libsearch.SearchResult)
    # Filters are read strictly whatever the syntax.
    with pytest.raises(libsearch.InvalidArgument):
        index.search("tea", filters=[query])


def test_option_errors(index: libsearch.Index) -> None:
    with pytest.raises(libsearch.InvalidArgument, match="offset \\+ k must be at most 10000"):
        index.search("tea", k=10001)
    with pytest.raises(libsearch.InvalidArgument, match="offset \\+ k must be at most 10000"):
        index.search("tea", k=10, offset=9995)
    with pytest.raises(libsearch.InvalidArgument, match="negative"):
        index.search("tea", k=-1)
    with pytest.raises(libsearch.InvalidArgument, match="negative"):
        index.batch(["tea"], offset=-1)
    with pytest.raises(libsearch.InvalidArgument, match="unknown search field 'nope'"):
        index.search("tea", fields=["nope"])
    with pytest.raises(libsearch.InvalidArgument, match="filter 2: query position 0: '\\(' is never closed"):
        index.search("tea", filters=["sugars_100g:<5", "("])
    with pytest.raises(libsearch.InvalidArgument, match="operator must be 'and' or 'or'"):
        index.search("tea", operator="xor")  # type: ignore[arg-type]
    with pytest.raises(libsearch.NotFound, match="out of range"):
        index.document(10**6)
    with pytest.raises(TypeError):
        index.search(42)  # type: ignore[arg-type]


def test_open_errors(tmp_path: pathlib.Path, index_path: pathlib.Path) -> None:
    with pytest.raises(libsearch.NotFound, match="cannot open index"):
        libsearch.Index.open(tmp_path / "missing.idx")
    with pytest.raises(FileNotFoundError):
        libsearch.Index.open(tmp_path / "missing.idx")
    garbage = tmp_path / "garbage.idx"
    garbage.write_bytes(b"x" * 4096)
    with pytest.raises(libsearch.CorruptIndex, match="not a libsearch index"):
        libsearch.Index.open(garbage)
    truncated = tmp_path / "truncated.idx"
    truncated.write_bytes(index_path.read_bytes()[:100000])
    with pytest.raises(libsearch.CorruptIndex):
        libsearch.Index.open(truncated)
    with pytest.raises(libsearch.NotFound, match="a directory without a MANIFEST: not an index"):
        libsearch.Index.open(tmp_path)


def test_damaged_index_is_caught_by_verify(tmp_path: pathlib.Path, index_path: pathlib.Path) -> None:
    data = bytearray(index_path.read_bytes())
    data[len(data) // 2] ^= 0x5A  # inside some section, not the header
    damaged = tmp_path / "damaged.idx"
    damaged.write_bytes(bytes(data))
    with libsearch.Index.open(damaged) as index:
        with pytest.raises(libsearch.CorruptIndex, match="checksum"):
            index.verify()
    with pytest.raises(libsearch.CorruptIndex):
        libsearch.Index.open(damaged, checksums="open")


def test_io_error_on_build(tmp_path: pathlib.Path) -> None:
    builder = libsearch.IndexBuilder({"id": "id", "fields": {}})
    builder.add({"id": "1"})
    (tmp_path / "file").write_text("x")
    with pytest.raises(libsearch.IOFailure, match="Not a directory") as e:
        builder.build(tmp_path / "file" / "x.idx")  # its parent is a file
    assert isinstance(e.value, OSError)


def test_build_refuses_to_replace_a_directory(tmp_path: pathlib.Path) -> None:
    builder = libsearch.IndexBuilder({"id": "id", "fields": {}})
    builder.add({"id": "1"})
    with pytest.raises(libsearch.InvalidArgument, match="it is a directory"):
        builder.build(tmp_path)
    assert tmp_path.is_dir()
