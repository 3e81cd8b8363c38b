"""Builds a sharded libsearch index with PySpark (issue 23, item 2).

Reads a catalogue (JSON Lines, plain or .gz; Parquet with --parquet), numbers
every document by its position in the input (what one index of the file would
give it), routes it to ``libsearch.shard_of(id, N)``, builds each shard in its
own task (``mapPartitionsWithIndex``, the libsearch Python package on the
executors) and then publishes the shard map (``libsearch.publish_shard_map``).
The result is the directory ``libsearch shard`` writes; every surface opens it.

    spark-submit tools/spark/build_shards.py --schema schema.json \\
        --input products.jsonl.gz --shards 7 --output /shared/products.shards

The output is a directory every executor and the driver see (local mode, a
shared mount), or object storage: ``s3://BUCKET/PREFIX``, ``gs://BUCKET/PREFIX``
(or ``file:///DIR``). Then each task builds its shard in a local temporary
directory and uploads it (``libsearch.upload_shard``: the shard as a remote
index under ``PREFIX/shard-NNN/`` and its statistics under ``PREFIX/stats/``),
and the driver publishes the map (``libsearch.publish_remote_shard_map``);
every surface opens it with ``IndexReplica`` (``LIBSEARCH_INDEX=s3://...``),
a shard function with ``LIBSEARCH_SHARD=N`` downloading only its shard and
the statistics. Credentials as the library reads them (AWS_* on the
executors; GCS: the metadata server, or GOOGLE_OAUTH_ACCESS_TOKEN).

    spark-submit tools/spark/build_shards.py --schema schema.json \
        --input s3://shop-exports/catalogue.parquet --parquet --shards 16 \
        --output s3://shop-indexes/catalogue
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from typing import Any, Dict, Iterable, Iterator, List, Tuple

import libsearch


def shard_name(i: int) -> str:
    return f"shard-{i:03d}"


def route(schema_json: str, num_shards: int, item: Tuple[str, int]) -> Tuple[int, Tuple[int, str]]:
    """(shard, (sequence number, line)); a line without an id goes to shard 0,
    whose writer then reports it."""
    line, seq = item
    id_field = json.loads(schema_json)["id"]
    try:
        doc = json.loads(line)
        shard = libsearch.shard_of(str(doc[id_field]) if not isinstance(doc[id_field], bool)
                                   else str(doc[id_field]).lower(), num_shards)
    except (ValueError, KeyError, TypeError):
        shard = 0
    return shard, (seq, line)


def is_url(output: str) -> bool:
    return "://" in output


def build_shard(output: str, schema_json: str, options: Dict[str, Any], index: int,
                rows: Iterable[Tuple[int, Tuple[int, str]]]) -> Iterator[Dict[str, Any]]:
    """Builds shard `index` from its rows, in sequence order (one index's order),
    in `output` or, for object storage, in a local directory it then uploads."""
    schema = libsearch.shard_schema(libsearch.Schema(json.loads(schema_json)))
    docs: List[Tuple[int, str]] = sorted(row for _, row in rows)
    local = tempfile.mkdtemp(prefix="libsearch-shard-") if is_url(output) else output
    try:
        path = os.path.join(local, shard_name(index))
        skipped, next_seq = 0, 0
        with libsearch.IndexWriter.create(path, schema, merge_on_commit=False) as writer:
            for seq, line in docs:
                try:
                    doc = json.loads(line)
                    if not isinstance(doc, dict):
                        raise ValueError("not a JSON object")
                    doc["_shard_seq"] = seq
                    writer.upsert(doc)
                    next_seq = seq + 1
                except (ValueError, libsearch.InvalidArgument) as e:
                    if not options["skip_bad"]:
                        raise ValueError(f"input line {seq + 1}: {e}") from None
                    skipped += 1
            info = writer.commit()
        result: Dict[str, Any] = {"shard": index, "docs": info["live_docs"], "skipped": skipped}
        if is_url(output):
            uploaded = libsearch.upload_shard(local, shard_name(index), output)
            uploaded["next_seq"] = next_seq
            result["uploaded"] = uploaded
        yield result
    finally:
        if is_url(output):
            shutil.rmtree(local, ignore_errors=True)


def build(spark: Any, schema_file: str, input: str, num_shards: int, output: str, *,
          parquet: bool = False, skip_bad: bool = False) -> List[Dict[str, Any]]:
    """Builds the sharded index of `input` at `output` in the given
    SparkSession (what main() does after starting one; a test builds
    several shard counts in one session). Returns each shard's
    ``{"shard", "docs", "skipped"}`` in shard order."""
    sc = spark.sparkContext
    if __name__ != "__main__" and not getattr(sc, "_libsearch_build_shards", False):
        # Imported (a notebook, a test): the tasks' functions are this
        # module's, which the executors import by name.
        sc.addPyFile(os.path.abspath(__file__))
        sc._libsearch_build_shards = True
    schema = libsearch.Schema.from_file(schema_file)
    schema_json = schema.to_json()
    output = output if is_url(output) else os.path.abspath(output)
    if not is_url(output):
        os.makedirs(output, exist_ok=False)
    lines: Any  # An RDD of JSON texts, one per document.
    if parquet:
        lines = spark.read.parquet(input).toJSON()
    else:
        lines = sc.textFile(input).filter(lambda s: s.strip() != "")
    n = num_shards
    options = {"skip_bad": skip_bad}
    results = (
        lines.zipWithIndex()  # Input order: partitions in order, lines in order.
        .map(lambda item: route(schema_json, n, item))
        .partitionBy(n, lambda shard: shard)
        .mapPartitionsWithIndex(lambda i, rows: build_shard(output, schema_json, options, i, rows))
        .collect()
    )
    results.sort(key=lambda r: r["shard"])
    if is_url(output):
        libsearch.publish_remote_shard_map(output, schema, [r.pop("uploaded") for r in results])
    else:
        libsearch.publish_shard_map(output, schema, [shard_name(i) for i in range(n)])
    return results


def main(argv: List[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schema", required=True, help="schema JSON file")
    ap.add_argument("--input", required=True, help="JSON Lines (plain or .gz), or Parquet with --parquet")
    ap.add_argument("--parquet", action="store_true", help="the input is Parquet: one row per document")
    ap.add_argument("--shards", type=int, required=True, help="number of shards (1 to 4096)")
    ap.add_argument("--output", required=True,
                    help="directory of the sharded index (new), or s3://, gs://, file:// URL")
    ap.add_argument("--skip-bad", action="store_true", help="skip and count bad lines")
    ap.add_argument("--master", default=None, help="Spark master (default: spark-submit's)")
    args = ap.parse_args(argv)

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("libsearch-build-shards")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    try:
        results = build(spark, args.schema, args.input, args.shards, args.output,
                        parquet=args.parquet, skip_bad=args.skip_bad)
        docs = sum(r["docs"] for r in results)
        skipped = sum(r["skipped"] for r in results)
        print(f"indexed {docs} docs ({skipped} bad lines skipped) into {args.shards} shards at {args.output}")
        print("  docs per shard: " + " ".join(str(r["docs"]) for r in results))
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
