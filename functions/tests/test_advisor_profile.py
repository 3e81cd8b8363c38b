"""`libsearch-advisor profile` on the real Lambda surfaces: the cold start split into its parts."""

from __future__ import annotations

import pathlib

import pytest

from conftest import BOOTSTRAP, RIE, advisor_artefacts, require


@pytest.mark.parametrize("surface", ["lambda-cpp", "lambda-python"])
def test_cold_start_components(catalogue_index: pathlib.Path, surface: str) -> None:
    require(RIE.exists() and BOOTSTRAP.exists(), f"aws-lambda-rie at {RIE} and the bootstrap")
    import libsearch_advisor

    p = libsearch_advisor.profile(catalogue_index, advisor_artefacts(), surfaces=[surface],
                                  cold_runs=4, warm=6, gap_ms=20, repeats=2, log=lambda s: None).surfaces[surface]
    c = p.cold_components_ms
    assert set(c) == {"index_open", "process_start", "first_query", "emulator_overhead"}
    assert c["process_start"] > 0 and c["first_query"] > 0 and c["index_open"] > 0
    # The runtime alone (process start + index open, then the first query) is part of a cold start
    # under the emulator, which adds its own start and the invoke round trip. Both are measured a few
    # times each under whatever else runs here (Python's start varies under load: docs/design-notes.md,
    # "The advisor's measurements"), hence the margin of 2x.
    cold = sorted(p.cold_ms)[len(p.cold_ms) // 2]
    assert c["process_start"] + c["index_open"] + c["first_query"] < 2 * cold
    # Opening maps the file and reads only its header, table, schema and stats: the first query
    # faults in the pages it reads (from the page cache here, so minor faults).
    assert p.first_query_page_faults["minor"] >= 1
    assert p.first_query_page_faults["major"] >= 0
    # Two repeats, kept apart (the report's intervals), and what the bill needs: the runtime's own
    # REPORT Duration of every warm request (what AWS bills, without the client's round trip), the
    # answer size (egress) and the log bytes per request (the emulator's START/END/REPORT lines).
    assert p.repeats == [{"cold": 2, "warm": 3}, {"cold": 2, "warm": 3}]
    assert len(p.duration_ms) == len(p.warm_ms) == 6
    assert all(0 < d < w for d, w in zip(p.duration_ms, p.warm_ms))
    assert p.response_bytes is not None and p.response_bytes > 1000
    assert p.log_bytes is not None and p.log_bytes > 100
