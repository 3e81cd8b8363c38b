"""tools/spark/build_shards.py in Spark's local mode (issue 23, item 2): the
bundled catalogue built into 3 shards by PySpark answers as one index of it
(ids, scores, doc numbers, facets, cursors), and passes verify (routing,
order). Built into S3 (moto's server, signatures checked), it is served by a
replica, and a shard function's replica downloads only its shard and the
statistics (item 3)."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from test_sharded import CASES

import libsearch

from conftest import CATALOGUE, REPO, SCHEMA_FILE


def require(ok: bool, what: str) -> None:
    """Missing runtime: a skip, or a failure under LIBSEARCH_REQUIRE_RUNTIMES=1."""
    if ok:
        return
    if os.environ.get("LIBSEARCH_REQUIRE_RUNTIMES") == "1":
        pytest.fail(f"missing {what} (tools/install-deps.sh installs it)")
    pytest.skip(f"missing {what}")


@pytest.mark.parametrize("form", ["jsonl", "parquet", "s3"])
def test_spark_local_build_answers_as_one_index(
    tmp_path: pathlib.Path, index: libsearch.Index, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        require(False, "pyspark")
    require(shutil.which("java") is not None, "java (default-jre-headless)")
    out = tmp_path / "products.shards"
    source, extra = str(CATALOGUE), []
    if form == "parquet":  # The same rows, in the same order.
        import gzip

        import pyarrow.json
        import pyarrow.parquet

        plain = tmp_path / "products.jsonl"
        with gzip.open(CATALOGUE, "rb") as f:
            plain.write_bytes(f.read())
        source, extra = str(tmp_path / "products.parquet"), ["--parquet"]
        pyarrow.parquet.write_table(pyarrow.json.read_json(plain), source)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1"}
    output, moto = str(out), None
    if form == "s3":
        from test_remote import BUCKET, Moto

        moto = Moto(tmp_path)
        for name, value in moto.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        env.update(moto.env())
        output = f"s3://{BUCKET}/products.shards"
    try:
        run = subprocess.run(
            [sys.executable, str(REPO / "tools" / "spark" / "build_shards.py"), "--master", "local[2]",
             "--schema", str(SCHEMA_FILE), "--input", source, "--shards", "3",
             "--output", output, *extra],
            env=env, capture_output=True, text=True, timeout=600,
        )
        assert run.returncode == 0, run.stdout + run.stderr[-4000:]
        assert "indexed 10000 docs (0 bad lines skipped) into 3 shards" in run.stdout
        assert "docs per shard: 3257 3397 3346" in run.stdout  # As ShardedWriter routes them.
        if moto is not None:
            keys = moto.keys("products.shards/")
            assert "products.shards/SHARDS" in keys and "products.shards/shard-001/MANIFEST" in keys
            assert any(k.startswith("products.shards/stats/shard-002/") for k in keys)
            # A shard function: its shard and the others' statistics, no other shard.
            shard = libsearch.IndexReplica.open(output, cache_dir=tmp_path / "shard-1", shards=[1])
            assert (tmp_path / "shard-1" / "shard-001" / "MANIFEST").exists()
            assert not (tmp_path / "shard-1" / "shard-000").exists()
            assert (tmp_path / "shard-1" / "stats" / "shard-000").is_dir()
            with pytest.raises(libsearch.InvalidArgument, match="fan-out coordinator"):
                shard.index.search("tea")
            # The whole index, mirrored for the comparison below.
            replica = libsearch.IndexReplica.open(output, cache_dir=tmp_path / "whole")
            out = tmp_path / "whole"
            assert replica.index.num_docs == index.num_docs
    finally:
        if moto is not None:
            moto.stop()
    with libsearch.ShardedIndex(out) as sharded:
        sharded.verify()
        assert sharded.num_docs == index.num_docs
        for case in CASES:
            options = {k: v for k, v in case.items() if k != "query"}
            want = index.search(case["query"], **options)
            got = sharded.search(case["query"], **options)
            assert (got.ids, got.scores) == (want.ids, want.scores), case
            assert [h.doc_number for h in got] == [h.doc_number for h in want], case
            assert (got.facets, got.next_cursor) == (want.facets, want.next_cursor), case
            assert [h.doc for h in got] == [h.doc for h in want], case
