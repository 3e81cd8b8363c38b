"""Damaged index files from Python (issue 19; the full matrix is the C++
corruption_matrix_test): one bit flipped in each section of the bundled
catalogue's index. With the default options every call raises
CorruptIndex or answers exactly as on the undamaged file, through the
Python API and through handle_json (the functions' path: 500
``corrupt_index``); verify() and checksums="open" always see the damage."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any, Callable, Dict, List, Tuple

import pytest

import libsearch

REQUESTS: List[Dict[str, Any]] = [
    {"query": "peanut butter", "k": 5},
    {"query": "choclate", "typos": True, "highlight": ["ingredients"], "k": 5},
    {"query": "org", "prefix": True, "k": 5},
    {"query": "", "facets": ["country:5", "nutrition_band", "sugars_100g:0..5,5..20,20..*"],
     "sort": "sugars_100g:desc", "k": 5},
    {"query": "chocolate", "filters": ["sugars_100g:<5", "is_healthy:true"], "k": 5},
    {"query": "\"dark chocolate\" -milk", "k": 5},
    {"query": "yoghurt choclate chip cookiez", "k": 5},
]


def _search_args(request: Dict[str, Any]) -> Dict[str, Any]:
    args = dict(request)
    if "sort" in args:
        args["sort"] = [args["sort"]]
    return args


def _answers(index: libsearch.Index) -> List[Tuple[str, Any]]:
    """Each call's answer, or ("corrupt", message) if it raised CorruptIndex."""
    calls: List[Callable[[], Any]] = []
    for request in REQUESTS:
        def search(request: Dict[str, Any] = request) -> Any:
            result = index.search(**_search_args(request))
            return (result.total, result.ids, result.scores, [h.doc for h in result],
                    [h.highlights for h in result], result.facets, result.suggestion)

        def handle(request: Dict[str, Any] = request) -> Any:
            status, body = index.handle_json(json.dumps(request))
            if status == 500 and json.loads(body)["error"]["code"] == "corrupt_index":
                raise libsearch.CorruptIndex(body)
            assert status == 200, body
            return re.sub(r'"took_us":\d+', "", body)

        calls += [search, handle]
    calls += [lambda: index.document(0), lambda: index.document(9999),
              lambda: [(f.name, f.doc_count, f.num_terms, f.total_terms, f.min_value, f.max_value)
                       for f in index.info().fields]]
    out: List[Tuple[str, Any]] = []
    for call in calls:
        try:
            out.append(("ok", call()))
        except libsearch.CorruptIndex as e:
            out.append(("corrupt", str(e)))
    return out


def test_every_section_damaged(tmp_path: pathlib.Path, index_path: pathlib.Path) -> None:
    good = index_path.read_bytes()
    with libsearch.Index.open(index_path) as index:
        want = _answers(index)
        sections = [(s.kind, s.field, s.offset, s.bytes) for s in index.info().sections]
    assert all(kind == "ok" for kind, _ in want)
    damaged = tmp_path / "damaged.idx"
    seen_corrupt = 0
    for kind, field, offset, size in sections:
        if size == 0:
            continue
        data = bytearray(good)
        data[offset + size // 2] ^= 0x08
        damaged.write_bytes(bytes(data))
        where = f"{kind} {field}"
        try:
            index = libsearch.Index.open(damaged)
        except libsearch.CorruptIndex:
            seen_corrupt += 1
            continue
        with index:
            got = _answers(index)
            for (_, w), (g_kind, g) in zip(want, got):
                if g_kind == "ok":
                    assert g == w, where
                else:
                    seen_corrupt += 1
                    assert "damaged" in g or "checksum" in g, g
            with pytest.raises(libsearch.CorruptIndex, match="checksum"):
                index.verify()
        with pytest.raises(libsearch.CorruptIndex):
            libsearch.Index.open(damaged, checksums="open")
    assert seen_corrupt > len(sections) // 2


def test_checksum_policies(tmp_path: pathlib.Path, index_path: pathlib.Path) -> None:
    data = bytearray(index_path.read_bytes())
    with libsearch.Index.open(index_path) as index:
        postings = next(s for s in index.info().sections
                        if s.kind == "postings" and s.field == "product_name")
    # First-use checks go by 16 KiB chunk of a section (docs/format.md): a
    # byte flipped in every chunk of the field's postings, so that whichever
    # a search reads is damaged.
    for at in range(postings.bytes // 2 % 16384, postings.bytes, 16384):
        data[postings.offset + at] ^= 0x01
    damaged = tmp_path / "damaged.idx"
    damaged.write_bytes(bytes(data))
    with libsearch.Index.open(damaged) as index:  # first-use: found by the search
        with pytest.raises(libsearch.CorruptIndex, match="postings of field 'product_name'"):
            index.search("peanut butter")
        with pytest.raises(libsearch.CorruptIndex):  # and every call after it
            index.document(0)
    with libsearch.Index.open(damaged, checksums="off") as index:  # never checked
        index.search("peanut butter")
    with pytest.raises(libsearch.InvalidArgument, match="first-use, open or off"):
        libsearch.Index.open(index_path, checksums="sometimes")


def test_file_written_over_in_place(tmp_path: pathlib.Path, index_path: pathlib.Path) -> None:
    path = tmp_path / "p.idx"
    path.write_bytes(index_path.read_bytes())
    with libsearch.Index.open(path) as index:
        assert index.search("peanut butter").total > 0
        with open(path, "r+b") as f:  # as `cp` onto it: truncate, then write
            f.truncate(1000)
        with pytest.raises(libsearch.CorruptIndex, match="changed under this reader"):
            index.search("peanut butter")
