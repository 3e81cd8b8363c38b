"""libsearch-service serving a sharded index (issue 23): the same response
bodies as the one-index service, and a sharded commit picked up by refresh."""

from __future__ import annotations

import json
import pathlib
import subprocess
import time

from conftest import CLI, ROOT, HttpSurface, no_took, require, start_service


def test_service_serves_a_shard_map_like_one_index(
    service: HttpSurface, tmp_path: pathlib.Path
) -> None:
    require(CLI.exists(), f"the libsearch CLI at {CLI} (make build)")
    shards = tmp_path / "products.shards"
    subprocess.run(
        [str(CLI), "shard", "--schema", str(ROOT / "examples/products/schema.json"),
         "--input", str(ROOT / "examples/products/products.jsonl.gz"), "--shards", "3",
         "--output", str(shards)],
        check=True, capture_output=True, timeout=300,
    )
    sharded = start_service(shards, tmp_path, "--refresh-seconds", "0.2")
    try:
        bodies = [
            {"query": "peanut butter", "k": 5},
            {"query": "chocolate", "k": 3, "sort": "sugars_100g:asc", "facets": ["country:3"]},
            {"query": "choclate chip"},
            {"query": "peanutt buter", "typos": True, "k": 4},
        ]
        for body in bodies:
            want_status, want = service.post(body)
            got_status, got = sharded.post(body)
            assert (got_status, no_took(got)) == (want_status, no_took(want)), body
        cursor = json.loads(want)["next_cursor"]
        assert json.loads(sharded.post({**bodies[-1], "search_after": cursor})[1])["hits"]

        # A sharded commit (a delete) is served after the next refresh.
        top = json.loads(sharded.post(bodies[0])[1])["hits"][0]["id"]
        changes = tmp_path / "changes.jsonl"
        changes.write_text(json.dumps({"barcode": top, "_delete": True}) + "\n")
        subprocess.run([str(CLI), "update", str(shards), "--input", str(changes)],
                       check=True, capture_output=True, timeout=120)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            hits = json.loads(sharded.post(bodies[0])[1])["hits"]
            if hits and hits[0]["id"] != top:
                break
            time.sleep(0.1)
        assert hits[0]["id"] != top, sharded.process.log()
    finally:
        sharded.process.stop()
