"""Many rounds of 1,000-upsert batches on one index directory (issue 17).

The cost of a commit must follow its own changes, not the deletes piled up
by earlier ones. This applies N batches of 1,000 whole-product upserts (random
products with a changed name, as bench/live/update_peers.py writes them), then
6 batches of 1,000 `_set` price changes, each committed by one IndexWriter, to
a copy of an index directory of the catalogue, through
build/bench/libsearch_update_peer (which also times Reopen() after each
commit). Run it with two builds of libsearch_update_peer to compare them.

  python3 bench/live/update_rounds.py --corpus products-818k.jsonl \\
      --base DIR --work /tmp/rounds [--bench BIN] [--batches 40]

DIR is an index directory of the corpus, one segment (`libsearch_update_peer
index SCHEMA CORPUS DIR` makes one); it is copied, not changed. Prints one JSON
object: batch and reopen times per round, the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_batches(corpus: str, work: str, batches: int, seed: int) -> tuple[list[str], list[str]]:
    with open(corpus, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    rng = random.Random(seed)
    upserts, sets = [], []
    for k in range(batches):
        path = os.path.join(work, f"upsert-{k:03d}.jsonl")
        with open(path, "w", encoding="utf-8") as out:
            for _ in range(1000):
                doc = dict(docs[rng.randrange(len(docs))])
                doc["product_name"] = str(doc.get("product_name", "")) + " new recipe"
                out.write(json.dumps(doc) + "\n")
        upserts.append(path)
    for k in range(6):
        path = os.path.join(work, f"set-{k:03d}.jsonl")
        with open(path, "w", encoding="utf-8") as out:
            for _ in range(1000):
                doc = docs[rng.randrange(len(docs))]
                change = {"sugars_100g": rng.randrange(3000) / 100.0}
                out.write(json.dumps({"barcode": str(doc["barcode"]), "_set": change}) + "\n")
        sets.append(path)
    return upserts, sets


def run(bench: str, index: str, batches: list[str]) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    out = subprocess.run([bench, "update", index, *batches], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout)
    result["load_before"] = load_before
    result["load_after"] = os.getloadavg()[0]
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--base", required=True, help="index directory of the corpus (copied)")
    ap.add_argument("--work", required=True)
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "bench", "libsearch_update_peer"))
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    upserts, sets = write_batches(args.corpus, args.work, args.batches, args.seed)
    index = os.path.join(args.work, "index")
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(args.base, index, ignore=shutil.ignore_patterns("LOCK"))
    upsert = run(args.bench, index, upserts)
    set_ = run(args.bench, index, sets)
    ms = upsert["batches_ms"]
    report = {
        "upsert": upsert,
        "set": set_,
        "upsert_median_first5_ms": statistics.median(ms[:5]),
        "upsert_median_last10_ms": statistics.median(ms[-10:]),
        "upsert_median_ms": statistics.median(ms),
        "upsert_total_s": sum(ms) / 1000,
    }
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
