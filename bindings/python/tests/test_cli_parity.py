"""The Python package and the C++ CLI give identical answers: same index
bytes, and for >= 100 queries drawn with a fixed seed from the catalogue's
vocabulary, the same total, ids, order, scores and stored documents."""

from __future__ import annotations

import json
import pathlib
import random
import re
import struct
import subprocess
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import pytest

import libsearch

from conftest import CATALOGUE, SCHEMA_FILE

SEED = 20240605
WORD = re.compile(r"[a-z]{3,}")


class Case(NamedTuple):
    """One query and the CLI options it runs with."""

    query: str
    offset: int = 0
    fields: Optional[str] = None  # comma-separated, as the CLI takes them
    operator: str = "and"
    exact_total: bool = False
    filters: Tuple[str, ...] = ()
    facets: Tuple[str, ...] = ()  # CLI --facet specs
    sort: str = ""  # CLI --sort
    prefix: bool = False
    typos: bool = False
    highlight: str = ""


def words(text: Any) -> List[str]:
    return WORD.findall(text.lower()) if isinstance(text, str) else []


def make_cases(docs: List[Dict[str, Any]]) -> List[Case]:
    """Queries built from random documents' own words, so most have hits."""
    rng = random.Random(SEED)
    cases: List[Case] = []
    kinds = ["one", "and2", "and3", "or", "phrase", "exclude", "not", "name_field", "ingr_field",
             "group", "operator_or", "fields_opt", "offset", "required", "barcode", "keyword",
             "exact_total", "filter", "range", "facet", "range_facet", "sort", "prefix", "typos",
             "highlight"]
    while len(cases) < 200:
        kind = kinds[len(cases) % len(kinds)]
        doc = rng.choice(docs)
        name, ingr = words(doc.get("product_name")), words(doc.get("ingredients"))
        pool = name + ingr
        if len(name) < 2 or len(pool) < 4:
            continue
        a, b, c = rng.sample(pool, 3)
        other = words(rng.choice(docs).get("product_name")) or ["salt"]
        x = rng.choice(other)
        if kind == "one":
            cases.append(Case(a))
        elif kind == "and2":
            cases.append(Case(f"{a} {b}"))
        elif kind == "and3":
            cases.append(Case(f"{a} {b} {c}"))
        elif kind == "or":
            cases.append(Case(f"{a} OR {x}"))
        elif kind == "phrase":
            i = rng.randrange(len(name) - 1)
            cases.append(Case(f'"{name[i]} {name[i + 1]}"'))
        elif kind == "exclude":
            cases.append(Case(f"{a} -{x}"))
        elif kind == "not":
            cases.append(Case(f"{a} {b} NOT {x}"))
        elif kind == "name_field":
            cases.append(Case(f"product_name:{name[0]} {b}"))
        elif kind == "ingr_field":
            cases.append(Case(f"ingredients:{rng.choice(ingr or pool)}"))
        elif kind == "group":
            cases.append(Case(f"({a} OR {x}) {b}"))
        elif kind == "operator_or":
            cases.append(Case(f"{a} {x} {c}", operator="or"))
        elif kind == "fields_opt":
            cases.append(Case(f"{name[0]} {name[1]}", fields="product_name"))
        elif kind == "offset":
            cases.append(Case(a, offset=rng.randrange(1, 30)))
        elif kind == "required":
            cases.append(Case(f"+{a} {x}", operator="or"))
        elif kind == "barcode":
            cases.append(Case(f"barcode:{doc['barcode']} OR {x}", operator="or"))
        elif kind == "filter":
            limit = rng.choice([1, 5, 10, 20])
            cases.append(Case(a, filters=(f"sugars_100g:<{limit}", rng.choice(["is_healthy:true", "fat_100g:>=1"]))))
        elif kind == "range":
            lo = rng.randrange(0, 10)
            cases.append(Case(f"{a} fat_100g:[{lo} TO {lo + rng.randrange(1, 20)}]"))
        elif kind == "facet":
            cases.append(Case(a, facets=("is_healthy",)))
        elif kind == "range_facet":
            cases.append(Case(f"{a} OR {x}", operator="or", facets=("sugars_100g:*..5,5..20,20..*", "is_healthy:1")))
        elif kind == "sort":
            field = rng.choice(["sugars_100g", "fat_100g", "proteins_100g", "is_healthy"])
            cases.append(Case(a, sort=f"{field}:{rng.choice(['asc', 'desc'])},_score"))
        elif kind == "prefix":
            long_words = [w for w in pool if len(w) >= 5] or [a]
            cases.append(Case(f"{b} {rng.choice(long_words)[:4]}", prefix=True))
        elif kind == "typos":
            long_words = [w for w in pool if len(w) >= 6] or ["chocolate"]
            w = rng.choice(long_words)
            i = rng.randrange(1, len(w) - 2)
            cases.append(Case(w[:i] + w[i + 1] + w[i] + w[i + 2:], typos=True))
        elif kind == "highlight":
            cases.append(Case(f"{a} {b}", highlight="product_name,ingredients"))
        elif kind == "exact_total":
            cases.append(Case(f"{a} OR {x}", operator="or", exact_total=True))
        elif kind == "keyword":
            cases.append(Case(f"is_healthy:{str(doc.get('is_healthy', True)).lower()} {a}"))
    return cases


def run_cli(cli: pathlib.Path, index_path: pathlib.Path, case: Case) -> Dict[str, Any]:
    args = [str(cli), "search", "--json", "--k", "10", "--offset", str(case.offset),
            "--operator", case.operator]
    if case.fields:
        args += ["--fields", case.fields]
    if case.exact_total:
        args.append("--exact-total")
    for f in case.filters:
        args += ["--filter", f]
    for f in case.facets:
        args += ["--facet", f]
    if case.sort:
        args += ["--sort", case.sort]
    if case.prefix:
        args.append("--prefix")
    if case.typos:
        args.append("--typos")
    for field in filter(None, case.highlight.split(",")):
        args += ["--highlight", field]
    args += ["--", str(index_path), case.query]  # "--": queries may start with '-'
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    result: Dict[str, Any] = json.loads(out.stdout)
    return result


def facet_from_cli(spec: str) -> libsearch.Facet:
    """``field``, ``field:SIZE`` or ``field:LO..HI,...`` as a Facet (LO/HI ``*`` = open)."""
    field, _, rest = spec.partition(":")
    if not rest:
        return libsearch.Facet(field)
    if ".." not in rest:
        return libsearch.Facet(field, size=int(rest))
    ranges = []
    for r in rest.split(","):
        lo, hi = r.split("..")
        ranges.append((None if lo == "*" else float(lo), None if hi == "*" else float(hi), r))
    return libsearch.Facet(field, ranges=ranges)


def as_float32(x: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def test_python_and_cli_build_the_same_file(
    cli: pathlib.Path, index_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    out = tmp_path / "cli.idx"
    subprocess.run([str(cli), "index", "--schema", str(SCHEMA_FILE), "--input", str(CATALOGUE),
                    "--output", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == index_path.read_bytes()


def test_identical_results_to_cli(
    cli: pathlib.Path, index: libsearch.Index, index_path: pathlib.Path,
    catalogue_docs: List[Dict[str, Any]],
) -> None:
    cases = make_cases(catalogue_docs)
    assert len(cases) >= 100
    with_hits = 0
    compared_hits = 0
    for case in cases:
        expected = run_cli(cli, index_path, case)
        got = index.search(case.query, k=10, offset=case.offset,
                           fields=case.fields.split(",") if case.fields else None,
                           filters=case.filters,
                           facets=[facet_from_cli(f) for f in case.facets] or None,
                           sort=case.sort.split(",") if case.sort else None,
                           prefix=case.prefix, typos=case.typos,
                           highlight=case.highlight.split(",") if case.highlight else None,
                           operator="or" if case.operator == "or" else "and",
                           total_hits_threshold=None if case.exact_total else 1000)
        where = f"query {case}"
        assert got.total == expected["total"], where
        assert got.total_exact == expected["total_exact"], where
        assert got.ids == [h["id"] for h in expected["hits"]], where
        for hit, want in zip(got, expected["hits"]):
            # The CLI prints the shortest decimal that reads back to the same
            # float32; the Python score is that float32 exactly.
            assert hit.score == as_float32(want["score"]), where
            assert hit.doc == want["doc"], where
            assert hit.highlights == want.get("highlights", {}), where
        want_facets = {f: [(v["value"], v["count"]) for v in vs] for f, vs in expected.get("facets", {}).items()}
        assert {f: [(c.value, c.count) for c in cs] for f, cs in got.facets.items()} == want_facets, where
        assert got.next_cursor == expected.get("next_cursor"), where
        assert got.suggestion == expected.get("suggestion"), where
        with_hits += bool(expected["hits"])
        compared_hits += len(expected["hits"])
    # The queries come from real documents, so most of them match something.
    assert with_hits >= 0.8 * len(cases)
    assert compared_hits >= 800


def test_cli_batch_agrees_with_python_batch(
    cli: pathlib.Path, index: libsearch.Index, index_path: pathlib.Path, tmp_path: pathlib.Path,
    catalogue_docs: List[Dict[str, Any]],
) -> None:
    queries = [c.query for c in make_cases(catalogue_docs)
               if c == Case(c.query) or c == Case(c.query, exact_total=True)]
    qfile = tmp_path / "queries.jsonl"
    qfile.write_text("".join(json.dumps({"id": str(i), "query": q}) + "\n" for i, q in enumerate(queries)))
    out = subprocess.run([str(cli), "batch", str(index_path), "--queries", str(qfile), "--k", "10",
                          "--format", "json"], check=True, capture_output=True, text=True)
    expected = [json.loads(line) for line in out.stdout.splitlines()]
    got = index.batch(queries, k=10)
    assert len(expected) == len(got) == len(queries)
    for want, result in zip(expected, got):
        assert result.ids == [h["id"] for h in want["hits"]]
        assert [as_float32(h["score"]) for h in want["hits"]] == result.scores


@pytest.mark.parametrize("seed_query", ["peanut butter", "crème brûlée", '"dark chocolate" -milk'])
def test_explain_matches_cli(cli: pathlib.Path, index: libsearch.Index, index_path: pathlib.Path,
                             seed_query: str) -> None:
    out = subprocess.run([str(cli), "search", "--explain", "--", str(index_path), seed_query],
                         check=True, capture_output=True, text=True)
    assert index.explain(seed_query) == out.stdout.strip()
