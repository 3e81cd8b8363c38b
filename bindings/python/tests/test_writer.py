"""IndexWriter: create, upsert, delete, set, change files, commit, compact.

What the commits leave on disk is read from the MANIFEST (JSON) and from the
segment files, which are ordinary index files that Index.open reads."""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List

import pytest

import libsearch

SCHEMA: Dict[str, Any] = {
    "id": "sku",
    "fields": {
        "title": {"type": "text", "stored": True},
        "brand": {"type": "keyword", "stored": True},
        "price": {"type": "float", "stored": True},
    },
}


def doc(sku: str, title: str, price: float = 1.0) -> Dict[str, Any]:
    return {"sku": sku, "title": title, "brand": "acme", "price": price}


def manifest(path: pathlib.Path) -> Dict[str, Any]:
    result: Dict[str, Any] = json.loads((path / "MANIFEST").read_text())
    return result


def segment_docs(path: pathlib.Path, name: str) -> List[Dict[str, Any]]:
    """Every doc of a segment file, deleted ones included, in doc order."""
    with libsearch.Index.open(path / f"{name}.seg") as ix:
        return [ix.document(i) for i in range(ix.num_docs)]


def test_create_upsert_commit(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "live"
    with libsearch.IndexWriter.create(path, SCHEMA, merge_on_commit=False) as w:
        assert manifest(path)["generation"] == 1
        w.upsert(doc("a", "apple"))
        w.upsert(json.dumps(doc("b", "banana")))
        w.upsert(doc("a", "apricot"))  # The last upsert decides the order.
        assert w.has_pending
        info = w.commit()
        assert not w.has_pending
    assert info == {"generation": 2, "segments": 1, "live_docs": 2, "docs_added": 2,
                    "docs_deleted": 0, "docs_updated": 0, "not_found": 0, "merges": 0,
                    "changed": True}
    m = manifest(path)
    assert [s["name"] for s in m["segments"]] == ["s000001"]
    assert [d["sku"] for d in segment_docs(path, "s000001")] == ["b", "a"]
    assert segment_docs(path, "s000001")[1]["title"] == "apricot"


def test_delete_set_and_reopen(tmp_path: pathlib.Path) -> None:
    with libsearch.IndexWriter.create(tmp_path, SCHEMA, merge_on_commit=False) as w:
        for d in (doc("a", "apple", 1.5), doc("b", "banana"), doc("c", "cherry")):
            w.upsert(d)
        w.commit()
    with libsearch.IndexWriter.open(tmp_path, merge_on_commit=False) as w:
        assert w.schema.id_field == "sku"
        w.set("a", {"price": 2.49, "brand": None})
        w.delete("b")
        w.delete("nope")
        with pytest.raises(libsearch.NotFound):
            w.set("zzz", {"price": 1})
        with pytest.raises(libsearch.InvalidArgument, match="not in the schema"):
            w.set("a", {"colour": "red"})
        info = w.commit()
    assert (info["docs_added"], info["docs_deleted"], info["not_found"]) == (1, 2, 1)
    seg1, seg2 = manifest(tmp_path)["segments"]
    assert seg1["deleted"] == 2 and seg1["deletes"] == "s000001_3.del" and seg1["tombstone"] == "s000001_3.tomb"
    assert segment_docs(tmp_path, seg2["name"]) == [{"sku": "a", "title": "apple", "price": 2.49}]


def test_set_of_a_number_changes_it_in_place(tmp_path: pathlib.Path) -> None:
    with libsearch.IndexWriter.create(tmp_path, SCHEMA, merge_on_commit=False) as w:
        for d in (doc("a", "apple", 1.5), doc("b", "banana", 2.5)):
            w.upsert(d)
        w.commit()
        w.set("a", {"price": 9.0})
        info = w.commit()
    assert (info["docs_added"], info["docs_deleted"], info["docs_updated"]) == (0, 0, 1)
    (seg,) = manifest(tmp_path)["segments"]
    assert seg["updates"] == "s000001_3.upd" and seg["updated"] == 1
    with libsearch.Index.open(tmp_path) as index:
        assert [h.id for h in index.search("", k=5, sort=["price:desc"])] == ["a", "b"]
        assert index.info().segments[0].updated == 1


def test_apply_jsonl_errors_and_skip_bad(tmp_path: pathlib.Path) -> None:
    changes = tmp_path / "changes.jsonl"
    changes.write_text("\n".join([
        json.dumps(doc("a", "apple")),
        json.dumps({"sku": "a", "_delete": True, "_set": {"price": 1}}),
        json.dumps({"sku": "a", "_set": {"price": 3}}),
    ]) + "\n")
    with libsearch.IndexWriter.create(tmp_path / "ix", SCHEMA) as w:
        with pytest.raises(libsearch.InvalidArgument, match=r"changes\.jsonl:2: .*not both"):
            w.apply_jsonl(changes)
        w.rollback()
        stats = w.apply_jsonl(changes, skip_bad=True)
        assert (stats.lines, stats.docs_added, stats.lines_skipped) == (3, 2, 1)
        assert stats.errors[0].startswith(f"{changes}:2: ")
        w.apply({"sku": "b", "title": "banana"})
        w.commit()
    assert [d["price"] for d in segment_docs(tmp_path / "ix", "s000001") if d["sku"] == "a"] == [3]


def test_one_writer_and_single_files(tmp_path: pathlib.Path) -> None:
    with libsearch.IndexWriter.create(tmp_path / "ix", SCHEMA):
        with pytest.raises(libsearch.IOFailure, match="locked by another writer"):
            libsearch.IndexWriter.open(tmp_path / "ix")
    libsearch.IndexWriter.open(tmp_path / "ix").close()  # Released on exit.
    with pytest.raises(libsearch.InvalidArgument, match="already an index directory"):
        libsearch.IndexWriter.create(tmp_path / "ix", SCHEMA)

    builder = libsearch.IndexBuilder(SCHEMA)
    builder.add(doc("a", "apple"))
    builder.build(tmp_path / "one.idx")
    with pytest.raises(libsearch.InvalidArgument, match=r"is a single-file index, which cannot change"):
        libsearch.IndexWriter.open(tmp_path / "one.idx")
    with pytest.raises(libsearch.NotFound):
        libsearch.IndexWriter.open(tmp_path / "missing")


def test_context_manager_closes_without_committing(tmp_path: pathlib.Path) -> None:
    def fail_inside() -> libsearch.IndexWriter:
        with libsearch.IndexWriter.create(tmp_path, SCHEMA) as w:
            w.upsert(doc("a", "apple"))
            if w.has_pending:
                raise RuntimeError("boom")
        return w

    with pytest.raises(RuntimeError):
        fail_inside()
    w = libsearch.IndexWriter.open(tmp_path)
    w.close()
    assert manifest(tmp_path)["segments"] == []
    with pytest.raises(ValueError, match="closed"):
        w.upsert(doc("a", "apple"))
    assert repr(w) == "IndexWriter(closed)"


def test_compact_merges_into_one_segment(tmp_path: pathlib.Path) -> None:
    with libsearch.IndexWriter.create(tmp_path, SCHEMA, merge_on_commit=False) as w:
        for i in range(4):
            w.upsert(doc(f"d{i}", f"item {i}"))
            w.commit()
        w.delete("d1")
        info = w.compact()
        assert (info["segments"], info["live_docs"], info["merges"]) == (1, 3, 1)
        assert w.compact()["changed"] is False
    (seg,) = manifest(tmp_path)["segments"]
    assert seg["deleted"] == 0
    assert [d["sku"] for d in segment_docs(tmp_path, seg["name"])] == ["d0", "d2", "d3"]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["LOCK", "MANIFEST", f"{seg['name']}.seg"])


def test_reopen_sees_a_commit_and_the_old_snapshot_stays(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "live"
    writer = libsearch.IndexWriter.create(path, SCHEMA)
    for i in range(20):
        writer.upsert(doc(f"s{i}", f"green tea {i}", price=float(i)))
    writer.commit()
    with libsearch.Index.open(path) as before:
        assert before.info().generation >= 2
        writer.set("s3", {"price": 99.5})
        writer.delete("s4")
        writer.commit()
        after = before.reopen()
        try:
            assert len(before) == 20 and len(after) == 19
            assert [h.id for h in after.search("tea", k=30, sort=["price:desc"])][0] == "s3"
            assert "s4" not in {h.id for h in after.search("tea", k=30)}
            assert "s4" in {h.id for h in before.search("tea", k=30)}
            info = after.info()
            assert sum(s.docs - s.deleted for s in info.segments) == 19
            assert info.generation > before.info().generation
        finally:
            after.close()
    writer.close()
