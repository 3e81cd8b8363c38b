"""Fan-out across functions (issue 23, acceptance 2): the bundled catalogue as
3 shards, each served by its own function, and a coordinator that sends every
search to all of them and merges the answers (libsearch/fan_out.h).

* Lambda: one Runtime Interface Emulator per shard, each running the C++
  bootstrap with LIBSEARCH_SHARD=i, and a fourth running it as the
  coordinator (LIBSEARCH_SHARDS = the three emulators' invocation URLs).
* The service: three libsearch-service --shard i, and a fourth with --shards.

Each answers as one index of the same catalogue (the cpp_lambda and service
fixtures): the same response bytes but for took_us, next pages through the
cursor and "did you mean" included. Then one shard's process is killed: a
search fails with 503 "unavailable" naming it, or with "partial_results"
answers from the other two, marked partial."""

from __future__ import annotations

import contextlib
import json
import pathlib
import subprocess
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from conftest import (
    CLI,
    INVOKE_PATH,
    ROOT,
    HttpSurface,
    Lambda,
    no_took,
    require,
    start_service,
)

SHARDS = 3

# Requests over every merged part: relevance and typo tiers, sort keys,
# facets (keyword and ranges), filters, highlights, offsets, suggestions.
REQUESTS: List[Dict[str, Any]] = [
    {"query": "peanut butter", "k": 5},
    {"query": "chocolate", "k": 4, "sort": "sugars_100g:asc,_score", "facets": ["country:3"]},
    {"query": "peanutt buter", "typos": True, "k": 6},
    {"query": "organic juice", "filters": ["sugars_100g:<20"], "facets": ["sugars_100g:0..5,5..*"],
     "highlight": ["product_name"], "k": 3, "offset": 2},
    {"query": "choclate chip"},
    {"query": "tea", "sort": "country:desc", "k": 3, "include_docs": False},
    {"query": "chocolate milk", "operator": "or", "k": 7, "exact_total": True},
]


@pytest.fixture(scope="module")
def shards_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    require(CLI.exists(), f"the libsearch CLI at {CLI} (make build)")
    out = tmp_path_factory.mktemp("fan-out") / "products.shards"
    subprocess.run(
        [str(CLI), "shard", "--schema", str(ROOT / "examples/products/schema.json"),
         "--input", str(ROOT / "examples/products/products.jsonl.gz"), "--shards", str(SHARDS),
         "--output", str(out)],
        check=True, capture_output=True, timeout=300,
    )
    assert (out / "stats").is_dir()  # The statistics each shard function reads.
    return out


def same_pages(search: Callable[[Dict[str, Any]], Tuple[int, bytes]],
               reference: Callable[[Dict[str, Any]], Tuple[int, bytes]]) -> None:
    """Every request, and the next page of each through its cursor, answers
    with the reference's bytes (took_us aside)."""
    for body in REQUESTS:
        want_status, want = reference(body)
        got_status, got = search(body)
        assert (got_status, no_took(got)) == (want_status, no_took(want)), body
        cursor = json.loads(want).get("next_cursor")
        if cursor:
            page = {**body, "offset": 0, "search_after": cursor}
            want_status, want = reference(page)
            got_status, got = search(page)
            assert (got_status, no_took(got)) == (want_status, no_took(want)), page


def check_killed_shard(search: Callable[[Dict[str, Any]], Tuple[int, bytes]],
                       complete: Dict[str, Any]) -> None:
    """Shard 1's process is gone: an error naming it, or a partial answer."""
    status, out = search({"query": "chocolate", "k": 10})
    body = json.loads(out)
    assert status == 503 and body["error"]["code"] == "unavailable", out
    assert "[shard 1]" in body["error"]["message"] and "partial_results" in body["error"]["message"]

    status, out = search({"query": "chocolate", "k": 10, "partial_results": True})
    assert status == 200, out
    partial = json.loads(out)
    assert partial["partial"] is True
    assert [m["shard"] for m in partial["missing_shards"]] == [1]
    assert partial["missing_shards"][0]["error"]["code"] in ("io_error", "unavailable")
    assert partial["total_exact"] is False
    assert 0 < partial["total"] < complete["total"]
    # The other shards' best, in the complete answer's order: the complete
    # answer's hits without shard 1's come first.
    ids = [h["id"] for h in partial["hits"]]
    others = [h["id"] for h in complete["hits"] if h["id"] in set(ids)]
    assert ids and ids[: len(others)] == others


@pytest.fixture(scope="module")
def lambda_shards(shards_dir: pathlib.Path, cpp_lambda_factory: Callable[..., Lambda]) -> List[Lambda]:
    """One emulator per shard (stopped with the factory's other processes)."""
    return [
        cpp_lambda_factory({"LIBSEARCH_INDEX": str(shards_dir), "LIBSEARCH_SHARD": str(i),
                            "LIBSEARCH_REFRESH_SECONDS": "0"}, name=f"shard-{i}")
        for i in range(SHARDS)
    ]


def direct(lam: Lambda) -> Callable[[Dict[str, Any]], Tuple[int, bytes]]:
    """A direct invocation, with the error object's HTTP status as status."""
    def search(body: Dict[str, Any]) -> Tuple[int, bytes]:
        status, out = lam.invoke(body)
        assert status == 200, out
        parsed = json.loads(out)
        if "error" in parsed:
            code = parsed["error"]["code"]
            return {"unavailable": 503, "invalid_argument": 400}.get(code, 500), out
        return 200, out
    return search


def test_lambda_coordinator_answers_as_one_index(
    lambda_shards: List[Lambda], cpp_lambda: Lambda, cpp_lambda_factory: Callable[..., Lambda]
) -> None:
    urls = ",".join(f"http://127.0.0.1:{lam.port}{INVOKE_PATH}" for lam in lambda_shards)
    coordinator = cpp_lambda_factory({"LIBSEARCH_SHARDS": urls, "LIBSEARCH_SHARD_TIMEOUT_MS": "5000"},
                                     name="coordinator")
    same_pages(direct(coordinator), direct(cpp_lambda))
    # A shard function refuses a plain search: it would miss the others' hits.
    status, out = lambda_shards[0].invoke({"query": "tea"})
    assert json.loads(out)["error"]["code"] == "invalid_argument", out

    complete = json.loads(direct(coordinator)({"query": "chocolate", "k": 10})[1])
    lambda_shards[1].process.stop()  # Killed mid-test.
    check_killed_shard(direct(coordinator), complete)


@contextlib.contextmanager
def shard_services_running(shards_dir: pathlib.Path, tmp_path: pathlib.Path) -> Iterator[List[HttpSurface]]:
    """One libsearch-service per shard, stopped on exit."""
    shard_services = [start_service(shards_dir, tmp_path / f"shard-{i}", "--shard", str(i),
                                    "--refresh-seconds", "0") for i in range(SHARDS)]
    try:
        yield shard_services
    finally:
        for s in shard_services:
            s.process.stop()


def test_service_coordinator_answers_as_one_index(
    shards_dir: pathlib.Path, service: HttpSurface, tmp_path: pathlib.Path
) -> None:
    with shard_services_running(shards_dir, tmp_path) as shard_services:
        urls = ",".join(s.url("/shard") for s in shard_services)
        coordinator = start_service(None, tmp_path / "coordinator", "--shards", urls,
                                    "--shard-timeout-ms", "5000")
        try:
            same_pages(coordinator.post, service.post)
            _, _, got = coordinator.get("q=peanut%20butter&k=3")
            _, _, want = service.get("q=peanut%20butter&k=3")
            assert no_took(got) == no_took(want)
            # A shard service refuses a plain search: it would miss the others' hits.
            status, out = shard_services[0].post({"query": "tea"})
            assert status == 400 and b"fan-out coordinator" in out, out
            complete = json.loads(coordinator.post({"query": "chocolate", "k": 10})[1])
            shard_services[1].process.stop()  # Killed mid-test.
            check_killed_shard(coordinator.post, complete)
        finally:
            coordinator.process.stop()


def test_coordinator_settings_are_checked(
    shards_dir: pathlib.Path, service: HttpSurface, tmp_path: pathlib.Path,
    cpp_lambda_factory: Callable[..., Lambda]
) -> None:
    """The cursor cache can be switched off (next pages then locate their
    cursor: two rounds, the same answers), and a mistyped number is an error
    naming the setting, not a silent 0 (shard 0, a 0 ms timeout)."""
    with shard_services_running(shards_dir, tmp_path) as shard_services:
        urls = ",".join(s.url("/shard") for s in shard_services)
        coordinator = start_service(None, tmp_path / "coordinator", "--shards", urls,
                                    "--cursor-cache-entries", "0")
        try:
            same_pages(coordinator.post, service.post)
        finally:
            coordinator.process.stop()
        with pytest.raises(RuntimeError, match="cursor-cache-entries"):
            start_service(None, tmp_path / "bad", "--shards", urls, "--cursor-cache-entries", "lots")
        lam = cpp_lambda_factory({"LIBSEARCH_SHARDS": urls, "LIBSEARCH_SHARD_TIMEOUT_MS": "5s"},
                                 name="bad-coordinator")
        status, out = lam.invoke({"query": "tea"})
        body = json.loads(out)
        assert body["errorType"] == "Runtime.ConfigError", out
        assert "LIBSEARCH_SHARD_TIMEOUT_MS=5s" in body["errorMessage"], out
