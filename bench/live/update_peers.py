"""Update + commit of the same batches in libsearch, Lucene and Tantivy (issue 17).

Builds the 818k Open Food Facts catalogue into each engine once, then applies
the same batches of 1,000 changes to each, committing after every batch:

- ``set``: 1,000 price changes (``sugars_100g``, the field libsearch's
  bench/live_bench.cc changes). libsearch: ``_set`` (in place, an update
  file); Lucene: ``updateNumericDocValue`` (its doc-values update); Tantivy
  has no in-place update: delete by id + add the whole document.
- ``upsert``: 1,000 whole products with a changed name. libsearch: an
  upsert; Lucene: ``updateDocument``; Tantivy: delete + add.

Every engine keeps one writer open across its batches (opening it is not
timed); a batch's time is applying its lines plus the commit, measured inside
each driver. The first batch of each kind is a warm-up (JIT, page cache) and
is reported but left out of the medians.

Indexes: the peers (bench/peers drivers ``live-index``) hold id, text
(product name + ingredients, normalised as bench/peers does) and price;
libsearch is measured twice: with the bundled catalogue schema (every field
of examples/products/schema.json, sources kept) and with the peers' three
fields. Results: bench/results/<date>-<machine>-update-<commit>.{md,json}.

Needs build/bench/libsearch_update_peer (cmake -DLIBSEARCH_BUILD_BENCHMARKS=ON)
and the peer drivers in build-peers/ (bench/peers/setup.sh).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import unicodedata
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NON_ALNUM = re.compile(r"[\W_]+")
PEER_SCHEMA = {
    "id": "id",
    "fields": {
        "text": {"type": "text", "language": "none", "fold_accents": False},
        "price": {"type": "float", "stored": True},
    },
}


def log(*args: object) -> None:
    print("[update_peers]", *args, file=sys.stderr, flush=True)


def normalise(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(t for t in NON_ALNUM.split(s) if t)


class Product:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.id = str(doc["barcode"])
        price = doc.get("sugars_100g")
        self.price: float | None = float(price) if isinstance(price, (int, float)) else None
        self.text = normalise(
            str(doc.get("product_name", "")) + " " + str(doc.get("ingredients", ""))
        )


def tsv_line(pid: str, price: float | None, text: str) -> str:
    return f"{pid}\t{'' if price is None else repr(price)}\t{text}\n"


def peer_json(pid: str, price: float | None, text: str) -> str:
    doc: dict[str, Any] = {"id": pid, "text": text}
    if price is not None:
        doc["price"] = price
    return json.dumps(doc) + "\n"


def write_inputs(products: list[Product], work: str, batches: int, seed: int) -> None:
    """The corpora and every batch in each engine's input form."""
    with open(os.path.join(work, "peers.tsv"), "w", encoding="utf-8") as tsv, open(
        os.path.join(work, "peers.jsonl"), "w", encoding="utf-8"
    ) as pj:
        for p in products:
            tsv.write(tsv_line(p.id, p.price, p.text))
            pj.write(peer_json(p.id, p.price, p.text))
    rng = random.Random(seed)
    for k in range(batches):
        files = {
            name: open(os.path.join(work, f"{name}-{k}"), "w", encoding="utf-8")
            for name in (
                "set.tsv", "set.jsonl", "set-peer.jsonl",
                "upsert.tsv", "upsert.jsonl", "upsert-peer.jsonl",
            )
        }
        for _ in range(1000):
            p = products[rng.randrange(len(products))]
            price = rng.randrange(3000) / 100.0
            files["set.tsv"].write(tsv_line(p.id, price, p.text))
            files["set.jsonl"].write(
                json.dumps({"barcode": p.id, "_set": {"sugars_100g": price}}) + "\n"
            )
            files["set-peer.jsonl"].write(json.dumps({"id": p.id, "_set": {"price": price}}) + "\n")
        for _ in range(1000):
            p = products[rng.randrange(len(products))]
            doc = dict(p.doc)
            doc["product_name"] = str(doc.get("product_name", "")) + " new recipe"
            text = p.text + " new recipe"
            files["upsert.tsv"].write(tsv_line(p.id, p.price, text))
            files["upsert.jsonl"].write(json.dumps(doc) + "\n")
            files["upsert-peer.jsonl"].write(peer_json(p.id, p.price, text))
        for f in files.values():
            f.close()


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores"


def run_json(cmd: list[str]) -> dict[str, Any]:
    load = os.getloadavg()[0]
    t0 = time.monotonic()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["wall_s"] = round(time.monotonic() - t0, 3)
    result["load_before"] = round(load, 2)
    result["load_after"] = round(os.getloadavg()[0], 2)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="products-818k.jsonl (bench/live/run.sh)")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "eval", "update_peers"))
    ap.add_argument("--peers", default=os.path.join(ROOT, "build-peers"))
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "bench", "libsearch_update_peer"))
    ap.add_argument("--java-home", default=os.environ.get("JAVA_HOME", ""),
                    help="default: the JDK bench/peers/setup.sh built the Lucene driver with")
    ap.add_argument("--batches", type=int, default=6, help="per kind; the first is a warm-up")
    ap.add_argument("--limit", type=int, default=0, help="first N products only (a quick look)")
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--skip", action="append", default=[], help="leave out an engine (by name)")
    args = ap.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    log("reading", args.corpus)
    products: list[Product] = []
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                products.append(Product(json.loads(line)))
            if args.limit and len(products) >= args.limit:
                break
    write_inputs(products, args.work, args.batches, seed=17)
    peer_schema = os.path.join(args.work, "peer-schema.json")
    with open(peer_schema, "w", encoding="utf-8") as f:
        json.dump(PEER_SCHEMA, f)

    if not args.java_home:  # The driver's class files need the JDK that compiled them.
        env_file = os.path.join(args.peers, "peers.env")
        if os.path.exists(env_file):
            with open(env_file, encoding="utf-8") as f:
                for line in f:
                    if line.startswith("JAVA_HOME="):
                        args.java_home = line.strip().split("=", 1)[1]
    java = os.path.join(args.java_home, "bin", "java") if args.java_home else "java"
    lucene = [
        java, "-Xmx2g", "-XX:+UseParallelGC", "-cp",
        os.path.join(args.peers, "lucene", "lucene-peer-1.0.jar") + ":"
        + os.path.join(args.peers, "lucene", "lib", "*"),
        "LucenePeer",
    ]
    tantivy = [os.path.join(args.peers, "tantivy-target", "release", "tantivy_peer")]
    w = args.work
    engines: dict[str, dict[str, Any]] = {
        "libsearch (catalogue schema)": {
            "index": [args.bench, "index", os.path.join(ROOT, "examples/products/schema.json"),
                      args.corpus, f"{w}/libsearch-catalogue"],
            "update": [args.bench, "update", f"{w}/libsearch-catalogue"],
            "ext": {"set": "set.jsonl", "upsert": "upsert.jsonl"},
        },
        "libsearch (peer schema)": {
            "index": [args.bench, "index", peer_schema, f"{w}/peers.jsonl", f"{w}/libsearch-peer"],
            "update": [args.bench, "update", f"{w}/libsearch-peer"],
            "ext": {"set": "set-peer.jsonl", "upsert": "upsert-peer.jsonl"},
        },
        "Lucene": {
            "index": lucene + ["live-index", f"{w}/peers.tsv", f"{w}/lucene"],
            "update": lucene + ["live-update", f"{w}/lucene"],
            "ext": {"set": "set.tsv", "upsert": "upsert.tsv"},
            "mode": True,
        },
        "Tantivy": {
            "index": tantivy + ["live-index", f"{w}/peers.tsv", f"{w}/tantivy"],
            "update": tantivy + ["live-update", f"{w}/tantivy"],
            "ext": {"set": "set.tsv", "upsert": "upsert.tsv"},
            "mode": True,
        },
    }
    if args.limit:  # The catalogue schema reads the corpus file itself.
        args.skip.append("libsearch (catalogue schema)")
    for name in args.skip:
        engines.pop(name, None)
    results: dict[str, Any] = {}
    for name, e in engines.items():
        log("building", name)
        r: dict[str, Any] = {"index": run_json(e["index"])}
        for kind in ("set", "upsert"):
            files = [f"{w}/{e['ext'][kind]}-{k}" for k in range(args.batches)]
            cmd = e["update"] + ([kind] if e.get("mode") else []) + files
            log(name, kind)
            r[kind] = run_json(cmd)
            timed = r[kind]["batches_ms"][1:]
            r[kind]["median_ms"] = round(statistics.median(timed), 1)
            if "reopen_ms" in r[kind]:
                r[kind]["reopen_median_ms"] = round(statistics.median(r[kind]["reopen_ms"][1:]), 2)
        results[name] = r
        log(name, {k: r[k].get("median_ms") for k in ("set", "upsert")})

    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=True).stdout.strip() != ""
    date = datetime.date.today().isoformat()
    report = {
        "date": date, "libsearch_commit": commit + ("+dirty" if dirty else ""),
        "machine": machine(), "products": len(products), "batches": args.batches,
        "engines": results,
    }
    os.makedirs(args.results, exist_ok=True)
    stem = os.path.join(args.results, f"{date}-update-{commit}")
    with open(stem + ".json", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    base = results.get("libsearch (catalogue schema)") or results["libsearch (peer schema)"]
    lines = [
        f"# Update + commit of 1,000-change batches, {date} (issue 17)",
        "",
        f"`bench/live/update_peers.py`, libsearch {report['libsearch_commit']}, {report['machine']},"
        f" {len(products):,} products; {args.batches} batches per kind, the first a warm-up;"
        " median of the others, ms per batch (apply + commit). Load average (1 min) before"
        " / after each engine's run in the JSON.",
        "",
        "| engine | `_set` price batch | ratio to libsearch | upsert batch | ratio to libsearch |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['set']['median_ms']} | {r['set']['median_ms'] / base['set']['median_ms']:.2f}x"
            f" | {r['upsert']['median_ms']} | "
            f"{r['upsert']['median_ms'] / base['upsert']['median_ms']:.2f}x |"
        )
    lines.append("")
    for name, r in results.items():
        if "reopen_median_ms" in r["set"]:
            lines.append(f"- {name}: `Reopen()` after a `_set` commit {r['set']['reopen_median_ms']}"
                         f" ms, after an upsert commit {r['upsert']['reopen_median_ms']} ms (median).")
    with open(stem + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
