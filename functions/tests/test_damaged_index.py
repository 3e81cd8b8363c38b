"""Damaged index files behind every surface (issue 19; the full matrix is the
C++ corruption_matrix_test). One bit flipped in a sample of sections: the
service answers 500 ``corrupt_index`` or exactly what the undamaged index
answers, and keeps answering /healthz; both Lambda runtimes and the Cloud Run
function take LIBSEARCH_CHECKSUMS, and with ``open`` refuse the file at
start."""

from __future__ import annotations

import json
import pathlib
from typing import Callable, List, Tuple

from conftest import Lambda, http, no_took, start_service

REQUESTS = [
    {"query": "peanut butter", "k": 3},
    {"query": "choclate", "typos": True, "highlight": ["ingredients"], "k": 3},
    {"query": "", "facets": ["country:3", "sugars_100g:0..5,5..*"], "sort": ["sugars_100g:desc"], "k": 3},
]


def _sections(index: pathlib.Path) -> List[Tuple[str, str, int, int]]:
    import libsearch

    with libsearch.Index.open(index) as ix:
        return [(s.kind, s.field, s.offset, s.bytes) for s in ix.info().sections if s.bytes > 0]


def _damage(index: pathlib.Path, out: pathlib.Path, offset: int, size: int) -> None:
    """A byte flipped in each 16 KiB chunk of the section: first-use checks of
    large sections go by chunk (docs/format.md), so whichever part a request
    reads is damaged."""
    data = bytearray(index.read_bytes())
    for at in range(size // 2 % 16384, size, 16384):
        data[offset + at] ^= 0x04
    out.write_bytes(bytes(data))


def test_service_on_damaged_sections(catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    (tmp_path / "good").mkdir()
    good = start_service(catalogue_index, tmp_path / "good")
    try:
        want = [no_took(good.post(r)[1]) for r in REQUESTS]
    finally:
        good.process.stop()
    sections = _sections(catalogue_index)
    kinds = {"postings", "term_blocks", "term_infos", "positions", "norms", "surface_words",
             "keyword_dense", "numeric", "doc_ids", "docstore", "block_info", "term_key_prefixes"}
    sample = [s for s in sections if s[0] in kinds and s[1] in ("", "product_name", "ingredients",
                                                                  "country", "sugars_100g", "barcode")]
    assert len(sample) >= 12
    corrupt = 0
    for n, (kind, field, offset, size) in enumerate(sample):
        damaged = tmp_path / f"damaged{n}.idx"
        _damage(catalogue_index, damaged, offset, size)
        workdir = tmp_path / f"s{n}"
        workdir.mkdir()
        try:
            surface = start_service(damaged, workdir, "--threads", "2")
        except RuntimeError as e:
            # The service reads the generation from Info() as it opens, which
            # reads the numeric columns: damage there stops it (exit 4).
            assert "Corruption" in str(e) and kind.startswith("numeric"), (kind, field, str(e))
            corrupt += len(REQUESTS)
            continue
        try:
            for request, expected in zip(REQUESTS, want):
                status, body = surface.post(request)
                if status == 500:
                    assert json.loads(body)["error"]["code"] == "corrupt_index", (kind, field, body)
                    corrupt += 1
                else:
                    assert (status, no_took(body)) == (200, expected), (kind, field)
            status, _, body = http("GET", surface.url("/healthz"))
            assert status == 200, body
        finally:
            surface.process.stop()
        damaged.unlink()
    assert corrupt >= len(sample)  # Every sampled section is read by some request.


def test_service_checksums_flag(catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    kind, field, offset, size = next(s for s in _sections(catalogue_index)
                                     if s[0] == "postings" and s[1] == "product_name")
    damaged = tmp_path / "damaged.idx"
    _damage(catalogue_index, damaged, offset, size)
    import subprocess

    from conftest import SERVICE

    run = subprocess.run([str(SERVICE), "--index", str(damaged), "--port", "0", "--checksums", "open"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 4 and "checksum mismatch in section postings" in run.stderr, run.stderr
    run = subprocess.run([str(SERVICE), "--index", str(damaged), "--port", "0", "--checksums", "never"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "first-use, open or off" in run.stderr, run.stderr


def test_lambdas_take_the_checksums_setting(cpp_lambda_factory: Callable[..., Lambda],
                                             py_lambda_factory: Callable[..., Lambda],
                                             catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    kind, field, offset, size = next(s for s in _sections(catalogue_index)
                                     if s[0] == "postings" and s[1] == "product_name")
    damaged = tmp_path / "damaged.idx"
    _damage(catalogue_index, damaged, offset, size)
    for factory, name in ((cpp_lambda_factory, "cpp"), (py_lambda_factory, "python")):
        # Default (first-use): the search that reads the damage gets a 500.
        lam = factory({"LIBSEARCH_INDEX": str(damaged)}, name=f"{name}-damaged")
        status, out = lam.invoke({"query": "peanut butter"})  # A direct event: {"error": ...}.
        assert json.loads(out)["error"]["code"] == "corrupt_index", out
        # open: refused at start.
        lam = factory({"LIBSEARCH_INDEX": str(damaged), "LIBSEARCH_CHECKSUMS": "open"},
                      name=f"{name}-open")
        status, out = lam.invoke({"query": "peanut butter"})
        body = json.loads(out)
        assert "errorType" in body and "checksum mismatch" in body["errorMessage"], out
