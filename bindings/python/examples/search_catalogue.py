#!/usr/bin/env python3
"""Index the bundled product catalogue and run a few searches.

Usage (after ``pip install .`` at the repository root)::

    python3 bindings/python/examples/search_catalogue.py [--index products.idx]

Without ``--index`` the index goes to a temporary directory. It also shows a
faceted, sorted, typo-tolerant search and the same request as a JSON model
request (``Index.handle_json``), as the network surfaces answer it.
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile
import time

import libsearch

CATALOGUE = pathlib.Path(__file__).resolve().parents[3] / "examples" / "products"


def build(index_path: pathlib.Path) -> None:
    """Builds the index of the bundled catalogue at ``index_path``."""
    schema = libsearch.Schema.from_file(CATALOGUE / "schema.json")
    builder = libsearch.IndexBuilder(schema)
    start = time.perf_counter()
    stats = builder.add_jsonl(CATALOGUE / "products.jsonl.gz")
    builder.build(index_path)
    print(f"indexed {stats.docs_added} products into {index_path} in {time.perf_counter() - start:.2f} s")


def show(index: libsearch.Index, query: str, **options: object) -> None:
    """Runs one search and prints its best hits."""
    result = index.search(query, k=5, **options)  # type: ignore[arg-type]
    extra = "".join(f" {k}={v!r}" for k, v in options.items())
    more = "" if result.total_exact else "at least "
    print(f"\n>>> {query!r}{extra}: {more}{result.total} matches in {result.took_us} us")
    for rank, hit in enumerate(result, start=1 + int(options.get("offset", 0))):  # type: ignore[call-overload]
        name = hit.doc.get("product_name", "")
        sugar = hit.doc.get("sugars_100g")
        sugar_text = f"  sugar {sugar} g/100g" if sugar is not None else ""
        print(f"{rank:3}. {hit.score:8.4f}  {hit.id:<15} {name[:60]}{sugar_text}")
    for field, counts in result.facets.items():
        print(f"     facet {field}: " + ", ".join(f"{c.value} ({c.count})" for c in counts))


def main() -> None:
    """Builds (or reuses) the index, then searches it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=pathlib.Path, help="index file to write (default: a temporary file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index_path = args.index or pathlib.Path(tmp) / "products.idx"
        build(index_path)
        with libsearch.Index.open(index_path) as index:
            print(f"{index.num_docs} documents, fields: {[f.name for f in index.schema.fields]}")
            show(index, "peanut butter")
            show(index, '"dark chocolate" -milk')
            show(index, "organic (apple OR pear) juice")
            show(index, "product_name:cookies chocolate chip")
            show(index, "crème brûlée")
            show(index, "tea coffee", operator="or", fields=["product_name"])
            show(index, "olive oil", offset=5)
            show(index, "choclate", typos=True, filters=["sugars_100g:<30"], sort="sugars_100g:asc,_score",
                 facets=["country:3"])
            status, body = index.handle_json('{"query": "choc", "prefix": true, "k": 2, "retrieve": "product_name"}')
            print(f"\nJSON request -> {status} {body[:160]}...")
            print("\nhow 'sugar -salt' is read:", index.explain("sugar -salt"))

            queries = ["rice", "pasta", "honey", "yogurt"]
            results = index.batch(queries, k=3, include_docs=False)
            print("\nbatch:", {q: r.ids for q, r in zip(queries, results)})
            try:
                index.search("colour:red", syntax="full")
            except libsearch.InvalidArgument as e:
                print(f"\nbad query -> {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
