"""Measures the update side's costs (libsearch_advisor.updates.UpdateCosts) with the real library.

On a local store (file://, so that object-store latency, which the model adds per request, is not
counted twice): the catalogue is published once, then

* update batches: SQS events of n price changes (n in BATCH_SIZES, several rounds) through
  `libsearch.handle_update_lambda_event`, the update function's own handler, with one warm working
  copy as a warm Lambda instance keeps; the batch time is fitted as commit_ms + n x
  apply_ms_per_event (least squares), and each commit's new objects and bytes are counted;
* rebuilds: `libsearch.handle_rebuild_event` (the rebuild function's handler) from the catalogue
  as an uncompressed JSON Lines export; its median time per 1,000 products, the rebuilt index's
  objects and bytes.
"""

from __future__ import annotations

import gzip
import json
import os
import pathlib
import statistics
import tempfile
import time
from typing import Any, Dict, List, Tuple, Union

from .errors import ProfileError
from .updates import UpdateCosts

BATCH_SIZES = (1, 100, 1000)  # Up to 1,000: the per-event cost must stand out of the commit's noise.
ROUNDS = 5
REBUILDS = 3


def _read_lines(path: pathlib.Path) -> List[str]:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [ln for ln in f.read().split("\n") if ln.strip()]  # Not splitlines: U+2028 is data.


def _objects(root: pathlib.Path) -> Dict[str, int]:
    files = root / "files"
    return {p.name: p.stat().st_size for p in files.iterdir()} if files.exists() else {}


def _manifest_files(root: pathlib.Path) -> Dict[str, str]:
    return dict(json.loads((root / "MANIFEST").read_text())["files"])


def _sqs(records: List[Tuple[str, str]]) -> bytes:
    return json.dumps({"Records": [
        {"messageId": mid, "receiptHandle": "r-" + mid, "body": body, "attributes": {}, "messageAttributes": {},
         "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:0:changes",
         "awsRegion": "us-east-1"} for mid, body in records]}).encode()


def _fit(points: List[Tuple[int, float]]) -> Tuple[float, float]:
    """Least squares y = a + b x, both >= 0."""
    xs, ys = [float(x) for x, _ in points], [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = max(0.0, sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx) if sxx else 0.0
    return max(0.0, my - b * mx), b


def measure_update_costs(catalogue: Union[str, pathlib.Path], schema: Union[str, pathlib.Path]) -> UpdateCosts:
    try:
        import libsearch
    except ImportError as e:
        raise ProfileError(f"measuring the update costs needs the libsearch package ({e})") from e
    lines = _read_lines(pathlib.Path(catalogue))
    schema_raw = json.loads(pathlib.Path(schema).read_text())
    id_field = schema_raw["id"]
    docs = [json.loads(ln) for ln in lines]
    numeric = next((n for n, f in schema_raw["fields"].items() if f.get("type") in ("float", "int")), None)
    if numeric is None:
        raise ProfileError(f"{schema}: the update measurement changes a numeric field; the schema has none")
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = pathlib.Path(tmp_s)
        store = tmp / "store"
        url = store.resolve().as_uri()
        with libsearch.RemoteWriter.open(url, cache_dir=tmp / "seed", schema=schema_raw) as w:
            for d in docs:
                w.upsert(d)
            w.commit()
        export = tmp / "export.jsonl"
        export.write_text("\n".join(lines) + "\n")

        points: List[Tuple[int, float]] = []
        files: List[int] = []
        nbytes: List[int] = []
        change_bytes: List[float] = []
        cache = str(tmp / "update")
        k = 0
        for rnd in range(ROUNDS):
            for n in BATCH_SIZES:
                before = _objects(store)
                records = []
                for _ in range(n):
                    d = docs[(k * 7919) % len(docs)]  # Spread over the catalogue (7,919 is prime).
                    k += 1
                    records.append((f"e{k}", json.dumps({id_field: d[id_field], "_set": {numeric: k % 97 + 0.5}})))
                t0 = time.perf_counter()
                is_error, kind, payload = libsearch.handle_update_lambda_event(_sqs(records), index_url=url,
                                                                                   cache_dir=cache)
                ms = (time.perf_counter() - t0) * 1000.0
                if is_error or json.loads(payload).get("batchItemFailures"):
                    raise ProfileError(f"update batch failed: {kind}: {payload.decode('utf-8', 'replace')[:300]}")
                if rnd == 0 and n == BATCH_SIZES[0]:
                    continue  # The first opens the working copy (a cold instance): not a batch's cost.
                points.append((n, ms))
                after = _objects(store)
                new = {name: size for name, size in after.items() if name not in before}
                files.append(len(new))
                nbytes.append(sum(new.values()))
                logs = sorted((store / "changes").iterdir())
                change_bytes.append(logs[-1].stat().st_size / n)
        commit_ms, per_event = _fit([(n, statistics.median(ms for m, ms in points if m == n)) for n in BATCH_SIZES])
        files_live = len(_manifest_files(store))

        rebuild_ms: List[float] = []
        for r in range(REBUILDS):
            event = json.dumps({"export": export.resolve().as_uri(),
                                "export_started": int(time.time() * 1000)}).encode()
            t0 = time.perf_counter()
            is_error, kind, payload = libsearch.handle_rebuild_event(event, index_url=url,
                                                                             cache_dir=tmp / f"rebuild{r}")
            rebuild_ms.append((time.perf_counter() - t0) * 1000.0)
            if is_error:
                raise ProfileError(f"rebuild failed: {kind}: {payload.decode('utf-8', 'replace')[:300]}")
        live = _manifest_files(store)
        sizes = _objects(store)
        index_bytes = sum(sizes.get(f"{name}.{h}", 0) for name, h in live.items())
    n_docs = len(docs)
    return UpdateCosts(
        apply_ms_per_event=round(per_event, 4), commit_ms=round(commit_ms, 3),
        files_per_commit=round(statistics.fmean(files), 2), bytes_per_commit=round(statistics.fmean(nbytes), 1),
        change_bytes_per_event=round(statistics.median(change_bytes), 1),
        rebuild_ms_per_1k=round(statistics.median(rebuild_ms) / n_docs * 1000.0, 2),
        index_bytes_per_1k=round(index_bytes / n_docs * 1000.0, 1), files_per_index=float(len(live)),
        export_bytes_per_product=round(sum(len(ln.encode()) + 1 for ln in lines) / n_docs, 1),
        products=float(n_docs), files_live=float(files_live),
        source=f"measured {time.strftime('%Y-%m-%d')} by libsearch_advisor.update_profile on {n_docs:,} products "
               f"({pathlib.Path(catalogue).name}): {ROUNDS} rounds of SQS batches of {', '.join(map(str, BATCH_SIZES))} "
               f"price changes and {REBUILDS} rebuilds, on a local store (no object-store latency); 1-minute load "
               f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
