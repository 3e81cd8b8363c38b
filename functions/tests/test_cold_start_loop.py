"""Cold starts under the real AWS Runtime Interface Emulator, back to back.

The emulator opens its Runtime API in a goroutine of its own and starts the
bootstrap on the first invoke, so a bootstrap can find the API not listening
yet. An invoke sent as soon as the emulator's port accepts must still
succeed: the Runtime API client retries a refused connection with backoff.
Before that, the client gave up after 3 immediate tries and the invoke
answered 502: about 1 start in 100 for the empty bootstrap, which reaches
/next within a millisecond of its start (the C++ bootstrap first loads ICU
and Xapian, so it loses the race less often on this machine, but a static
build or a loaded one loses it too).
"""

from __future__ import annotations

import json
import pathlib
import re
import time
from typing import List

import pytest

from conftest import BOOTSTRAP, BUILD, Process, base_env, free_port, no_took, require, start_lambda

COLD_STARTS = 100
EVENT = {"query": "peanut butter", "k": 3, "include_docs": False}


def expected(runtime: str, out: bytes) -> bool:
    if runtime == "empty_bootstrap":
        return out == b"{}"
    body = json.loads(out)
    hits = body.get("hits", [])
    return body.get("total") == 97 and len(hits) == 3 and hits[0].get("id") == "0855094006359"


@pytest.mark.parametrize("runtime", ["bootstrap", "empty_bootstrap"])
def test_immediate_invokes_after_cold_starts(runtime: str, catalogue_index: pathlib.Path,
                                             tmp_path: pathlib.Path) -> None:
    binary = BUILD / "functions" / "aws_lambda" / runtime
    require(binary.exists(), f"{binary} (make build)")
    failures: List[str] = []
    bodies = set()
    started = time.monotonic()
    for i in range(COLD_STARTS):
        # start_lambda returns once the invoke port accepts; nothing else is awaited.
        lam = start_lambda([str(binary)], {"LIBSEARCH_INDEX": str(catalogue_index)}, tmp_path, f"cold-{i}")
        try:
            status, out = lam.invoke(EVENT)
            if status != 200 or not expected(runtime, out):
                failures.append(f"start {i}: HTTP {status} {out[:300]!r}\n{lam.process.log()[-2000:]}")
                continue
            bodies.add(no_took(out))
        finally:
            lam.process.stop()
    elapsed = time.monotonic() - started
    print(f"{runtime}: {COLD_STARTS} cold starts + invokes in {elapsed:.1f} s")
    assert not failures, f"{len(failures)} of {COLD_STARTS} cold starts failed; first:\n" + "\n".join(failures[:3])
    assert len(bodies) == 1, bodies  # The same answer every time.


def test_bootstrap_gives_up_when_nothing_listens(catalogue_index: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """Past its connect budget (5 s) the bootstrap exits 1 and says why."""
    require(BOOTSTRAP.exists(), f"the bootstrap at {BOOTSTRAP} (make build)")
    port = free_port()  # Closed again: connections are refused.
    proc = Process([str(BOOTSTRAP)],
                   base_env(AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}", LIBSEARCH_INDEX=str(catalogue_index)),
                   tmp_path, tmp_path / "bootstrap.log")
    try:
        assert proc.proc.wait(timeout=60) == 1
    finally:
        proc.stop()
    log = proc.log()
    found = re.search(r"cannot connect to the Runtime API at 127\.0\.0\.1:(\d+) \((\d+) attempts in [0-9.]+ s\): "
                      r"connect: Connection refused", log)
    assert found, log
    assert int(found.group(1)) == port and int(found.group(2)) > 10, log  # It retried, with backoff.
