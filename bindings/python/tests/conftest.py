"""Shared fixtures: the bundled catalogue, an index of it built once per run,
and the C++ CLI for the identical-results test.

The tests import the *installed* package (``pip install .``), never the
source tree; ``make test-python`` installs it first.
"""

from __future__ import annotations

import gzip
import json
import os
import pathlib
from typing import Any, Dict, Iterator, List

import pytest

import libsearch

REPO = pathlib.Path(__file__).resolve().parents[3]
CATALOGUE = REPO / "examples" / "products" / "products.jsonl.gz"
SCHEMA_FILE = REPO / "examples" / "products" / "schema.json"


def pytest_report_header() -> str:
    return f"libsearch {libsearch.__version__} from {pathlib.Path(libsearch.__file__).parent}"


@pytest.fixture(scope="session", autouse=True)
def _installed_package() -> None:
    # The extension only exists in the installed copy; make sure the source
    # directory never shadows it.
    assert hasattr(libsearch, "_core")
    assert not pathlib.Path(libsearch.__file__).resolve().is_relative_to(REPO / "bindings")


@pytest.fixture(scope="session")
def schema() -> libsearch.Schema:
    return libsearch.Schema.from_file(SCHEMA_FILE)


@pytest.fixture(scope="session")
def catalogue_docs() -> List[Dict[str, Any]]:
    with gzip.open(CATALOGUE, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def index_path(tmp_path_factory: pytest.TempPathFactory, schema: libsearch.Schema) -> pathlib.Path:
    path = tmp_path_factory.mktemp("index") / "products.idx"
    builder = libsearch.IndexBuilder(schema)
    stats = builder.add_jsonl(CATALOGUE)
    assert stats.docs_added == 10000
    builder.build(path)
    return path


@pytest.fixture(scope="session")
def index(index_path: pathlib.Path) -> Iterator[libsearch.Index]:
    with libsearch.Index.open(index_path) as ix:
        yield ix


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    """The C++ CLI (``make build``), from $LIBSEARCH_CLI or build/tools/libsearch."""
    env = os.environ.get("LIBSEARCH_CLI")
    path = pathlib.Path(env) if env else REPO / "build" / "tools" / "libsearch"
    if not path.is_file():
        if env:
            pytest.fail(f"LIBSEARCH_CLI={env} does not exist")
        pytest.skip("no CLI at build/tools/libsearch (run make build, or set LIBSEARCH_CLI)")
    return path
