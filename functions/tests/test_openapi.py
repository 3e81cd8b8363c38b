"""libsearch-service against its OpenAPI description (functions/http_service/openapi.yaml).

* ``test_spec_is_valid_openapi``: the document is valid OpenAPI 3.0, and
  ``test_spec_lists_every_route`` finds every route of the server in it.
* ``test_schemathesis``: Schemathesis (property-based) generates requests from
  the spec, valid ones and, with ``--mode all``, invalid ones, and checks every
  answer: no 5xx, every status code and content type documented, every body
  matching its schema, every request the spec forbids refused with a 4xx
  (``negative_data_rejection``), unlisted methods 405 with ``Allow``. The
  generation is derandomised (``--generation-deterministic``) and bounded
  (``MAX_EXAMPLES`` per operation), and each request has a timeout, so a hang
  fails the run.
* ``test_every_key_conforms`` and ``test_errors_conform``: fixed requests that
  use every request key, GET parameter and error path the random run rarely
  reaches (real field names, a real cursor, bodies over the limit). Each
  answer is validated against the spec by the same Schemathesis checks.
* ``test_unlisted_methods`` and ``test_refused_bodies_are_not_requests``: 405
  with the spec's methods in ``Allow``; a body the server did not read is
  never taken for the next request on the connection.
* ``test_readme_matches_spec``: README's "Search API" section lists the same
  request keys and GET parameters as the spec.

The README format read: under a heading that contains "Search API", the first
Markdown table has one row per request key, the key in the first column
(header "key", backticks optional). The GET parameters are either a column
of that table whose header contains "GET", holding each key's parameters in
backticks (checked key by key):

    | key | type, default | GET | meaning |
    |---|---|---|---|
    | `query` | string, `""` | `q`, `query` | the query text |
    | `filters` | string or list | `filter`, `filters` (repeatable) | ... |

(an empty cell or a dash for none), or, without such a column, a paragraph of
the section starting "On GET" that names every parameter in backticks
(checked as a set; `true` and `false` are not names).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
from typing import Any, Dict, List, Set

import pytest

from conftest import FUNCTIONS, ROOT, HttpSurface, http, raw_exchange, require

SPEC = FUNCTIONS / "http_service" / "openapi.yaml"
README = ROOT / "README.md"
# Per request; a slower answer is a hang and fails the run.
REQUEST_TIMEOUT = 10.0
# Generated cases per operation and mode (the coverage phase adds its own
# deterministic boundary cases on top).
MAX_EXAMPLES = int(os.environ.get("LIBSEARCH_SCHEMATHESIS_EXAMPLES", "150"))
# Checks that would be wrong here: a request the schema allows may still be
# refused (an unknown field, a query syntax error), which is a documented 400.
EXCLUDED_CHECKS = ["positive_data_acceptance"]


def load_spec() -> Dict[str, Any]:
    import yaml

    return yaml.safe_load(SPEC.read_text())


def schemathesis_module():
    try:
        import schemathesis
    except ImportError:
        require(False, "the schemathesis package")
    return schemathesis


def base_url(service: HttpSurface) -> str:
    return f"http://127.0.0.1:{service.port}"


def test_spec_is_valid_openapi() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(load_spec())


# schemathesis.toml for the run. Rejections of invalid requests may be any
# documented 4xx (413 for a body over 64 KiB, 414 for a request line over
# 8 KiB). Unlisted methods must be 405, except QUERY: cpp-httplib refuses
# methods it does not know with 400 before any handler runs (the spec says so).
SCHEMATHESIS_CONFIG = """
[cache]
enabled = false

[phases.coverage]
unexpected-methods = ["get", "put", "post", "delete", "options", "patch", "trace"]

[checks.negative_data_rejection]
expected-statuses = [400, 404, 413, 414]
"""


def test_schemathesis(service: HttpSurface, tmp_path: pathlib.Path) -> None:
    """The property-based run over every operation of the spec."""
    schemathesis_module()
    report = tmp_path / "report.xml"
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(SPEC),
        "--url", base_url(service),
        "--checks", "all", "--exclude-checks", ",".join(EXCLUDED_CHECKS),
        "--mode", "all",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--request-timeout", str(REQUEST_TIMEOUT),
        # Connections are kept alive: a request answered before its body was
        # read closes its connection (Connection: close), so the body is never
        # read as the next request (test_refused_bodies_are_not_requests and
        # test_service_connections.py check that on their own).
        "--workers", "2",
        "--report", "junit", "--report-junit-path", str(report),
        "--no-color",
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="160")
    # Run in an empty directory: no .hypothesis/ or cache in the tree.
    try:
        out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"schemathesis did not finish in 600 s:\n{e.stdout}")
    text = out.stdout + out.stderr
    print(text)
    assert out.returncode == 0, "schemathesis found failures:\n" + text[-30000:]
    # Every operation ran (a spec the tool cannot read would test nothing).
    tested = set(re.findall(r'<testcase[^>]* name="([A-Z]+ /[^"]*)"', report.read_text()))
    operations = {f"{method.upper()} {path}" for path, item in load_spec()["paths"].items() for method in item}
    assert tested == operations, operations ^ tested


# ---------------------------------------------------------------------------
# Fixed requests, validated by the same checks.

def strict_checks() -> List[Any]:
    checks = schemathesis_module().checks
    return [checks.not_a_server_error, checks.status_code_conformance,
            checks.content_type_conformance, checks.response_schema_conformance,
            checks.response_headers_conformance]


@pytest.fixture(scope="module")
def api():
    return schemathesis_module().openapi.from_path(SPEC)


def post(api, service: HttpSurface, body: Any, raw: bytes | None = None) -> Any:
    """POSTs `body` (or the raw bytes) to /search; returns the response once
    the spec's checks pass on it."""
    op = api["/search"]["POST"]
    case = op.Case(body=body, media_type="application/json")
    if raw is None:
        response = case.call(base_url=base_url(service), timeout=REQUEST_TIMEOUT)
    else:
        import requests

        response = requests.post(base_url(service) + "/search", data=raw, timeout=REQUEST_TIMEOUT,
                                 headers={"content-type": "application/json"})
    case.validate_response(response, checks=strict_checks())
    return response


def get(api, service: HttpSurface, path: str, query: Dict[str, Any] | None = None) -> Any:
    op = api[path]["GET"]
    case = op.Case(query=query) if query else op.Case()
    response = case.call(base_url=base_url(service), timeout=REQUEST_TIMEOUT)
    case.validate_response(response, checks=strict_checks())
    return response


# Every request key, with values that work on the bundled catalogue.
EVERY_KEY_REQUESTS: List[Dict[str, Any]] = [
    {"query": "peanut butter", "k": 3, "offset": 1, "operator": "and", "exact_total": True},
    {"query": "", "k": 0, "include_docs": False},
    {"query": "chocolate", "filters": "sugars_100g:<20", "fields": "product_name", "k": 2},
    {"query": "chocolate", "filters": ["sugars_100g:<20", "is_healthy:false"],
     "fields": ["product_name", "ingredients"], "operator": "or", "k": 2},
    {"query": "tea", "k": 2, "facets": ["country:5", "nutrition_band", "sugars_100g:*..5,5..20,20..*"],
     "filters": ["country:France"], "disjunctive": ["country"]},
    {"query": "tea", "k": 1, "facets": "is_healthy", "disjunctive": "is_healthy"},
    {"query": "cereal", "k": 3, "sort": "sugars_100g:asc,_score"},
    {"query": "cereal", "k": 3, "sort": ["sugars_100g:desc", "_score"]},
    {"query": "choclate chip coo", "typos": True, "prefix": True, "max_expansions": 1, "k": 3},
    {"query": "dark chocolate", "k": 3, "highlight": "product_name"},
    {"query": "dark chocolate", "k": 3, "highlight": ["product_name", "ingredients"]},
    {"query": "dark chocolate", "k": 3, "highlight": {"fields": ["product_name"], "pre_tag": "[",
                                                      "post_tag": "]", "fragment_bytes": 16}},
    {"query": "milk", "k": 2, "synonyms": False, "suggest": False, "retrieve": ["product_name", "sugars_100g"]},
    {"query": "milk", "k": 2, "retrieve": "product_name"},
    {"query": "chocolat peanutt", "suggest": True, "k": 3},
    {"query": "(tea OR coffee) -green", "syntax": "full", "max_expansions": 1000, "k": 2},
    {"query": "peanut butter", "field_scoring": "per_field", "k": 2},
    {"query": "peanut butter", "field_scoring": "bm25f", "k": 2},
    {"query": "peanut butter", "field_scoring": "bm25f_combined_length", "k": 2},
    {"query": "peanut butter", "partial_results": True, "k": 2},  # One index has no shards to miss.
    {"query": "tea \"unclosed (paren", "syntax": "simple", "k": 2},
    {"query": "x" * 2048, "k": 1},
    {"k": 1000, "offset": 9000, "include_docs": False},
    {"filters": ["sugars_100g:<5"] * 32, "k": 1},
]


def test_every_key_conforms(api, service: HttpSurface) -> None:
    spec_keys = set(load_spec()["components"]["schemas"]["SearchRequest"]["properties"])
    used: Set[str] = set()
    for body in EVERY_KEY_REQUESTS:
        used |= set(body)
        response = post(api, service, body)
        assert response.status_code == 200, (body, response.text)
        result = response.json()
        if body.get("include_docs") is False:
            assert all("doc" not in h for h in result["hits"]), body
        if "highlight" in body:
            assert all("highlights" in h for h in result["hits"]), body
        assert list(result["facets"]) == [f.split(":")[0] for f in
                                          ([body["facets"]] if isinstance(body.get("facets"), str)
                                           else body.get("facets", []))], body
    assert used >= spec_keys - {"search_after"}, spec_keys - used

    # A cursor from one page is the next page's search_after.
    first = post(api, service, {"query": "cereal", "k": 2, "sort": "sugars_100g:asc,_score"}).json()
    assert first["next_cursor"], first
    second = post(api, service, {"query": "cereal", "k": 2, "sort": "sugars_100g:asc,_score",
                                 "search_after": first["next_cursor"]})
    assert second.status_code == 200, second.text
    assert {h["id"] for h in second.json()["hits"]}.isdisjoint(h["id"] for h in first["hits"])

    # The same through GET, every parameter.
    spec_params = {p["name"] for p in load_spec()["paths"]["/search"]["get"]["parameters"]}
    queries: List[Dict[str, Any]] = [
        {"q": "peanut butter", "k": 3, "offset": 1, "operator": "or", "exact_total": "true",
         "include_docs": "0", "typos": "1", "prefix": "false", "synonyms": "true", "suggest": "false",
         "syntax": "simple", "max_expansions": 10, "field_scoring": "per_field", "partial_results": "false"},
        {"query": "tea", "filter": ["sugars_100g:<20"], "filters": ["is_healthy:false"], "fields": ["product_name,ingredients"],
         "facet": ["country:5"], "facets": ["sugars_100g:*..5,5..*"], "disjunctive": ["country"],
         "highlight": ["product_name"], "retrieve": ["product_name,sugars_100g"],
         "sort": "_score,sugars_100g:desc"},
        {"q": "cereal", "k": 2, "sort": "sugars_100g:asc", "search_after": first["next_cursor"]},
    ]
    used = set()
    for query in queries:
        used |= set(query)
        response = get(api, service, "/search", query)
        assert response.status_code == 200, (query, response.text)
    assert used == spec_params, spec_params ^ used

    for path in ("/", "/app.js", "/style.css", "/schema", "/healthz", "/metrics"):
        response = get(api, service, path)
        assert response.status_code == 200, (path, response.text[:500])
    # The demo files revalidate: the same ETag answers 304.
    for path in web_paths():
        etag = get(api, service, path).headers["etag"]
        etag = etag[0] if isinstance(etag, list) else etag
        op = api[path]["GET"]
        case = op.Case(headers={"If-None-Match": etag})
        response = case.call(base_url=base_url(service), timeout=REQUEST_TIMEOUT)
        case.validate_response(response, checks=strict_checks())
        assert response.status_code == 304 and not response.content, (path, response.status_code)


def web_paths() -> List[str]:
    """The URL of each demo file the service compiles in (web/*; index.html is /)."""
    return sorted("/" if f.name == "index.html" else "/" + f.name
                  for f in (FUNCTIONS / "http_service" / "web").iterdir() if f.is_file())


def test_spec_lists_every_route() -> None:
    """Every file of the demo page is a path of the spec (the server routes
    each one), as are the fixed routes."""
    paths = set(load_spec()["paths"])
    assert paths >= set(web_paths()) | {"/search", "/schema", "/healthz", "/metrics"}, paths


# Requests every surface must refuse with a 4xx and the error schema.
BAD_BODIES: List[Any] = [
    {"k": 1001}, {"k": -1}, {"k": 1.5}, {"k": "10"}, {"offset": 10001}, {"query": 7},
    {"query": "x" * 2049}, {"query": "é" * 1500},  # 1500 characters, 3000 bytes
    {"filters": ["a"] * 33}, {"filters": "é" * 600}, {"filters": [1]},
    {"operator": "AND"}, {"syntax": "lucene"}, {"max_expansions": 0}, {"max_expansions": 1001},
    {"field_scoring": "dismax"},
    {"typos": "yes"}, {"highlight": 3}, {"highlight": {"fields": ["product_name"], "colour": "red"}},
    {"highlight": {"fields": "product_name", "fragment_bytes": 15}},
    {"highlight": {"fields": "product_name", "pre_tag": "<" * 65}},
    {"search_after": "x" * 1025}, {"search_after": "not a cursor"},
    {"facets": "product_name:0..x"}, {"facets": ["country", "country"]}, {"disjunctive": "country"},
    {"sort": "sugars_100g:sideways"}, {"sort": "no_such_field"}, {"retrieve": "no_such_field"},
    {"highlight": "no_such_field"}, {"fields": "no_such_field"}, {"filters": "colour:red"},
    {"query": "(unclosed", "syntax": "full"},
    {"unknown": 1}, [], "text", None, {"highlight": {"fields": [[["deep"]]]}},
]


def test_errors_conform(api, service: HttpSurface) -> None:
    for body in BAD_BODIES:
        response = post(api, service, body)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
    for raw in (b"", b"{nope", b"\xff\xfe{}", b'{"query": "\xff"}', b"[[[[[[]]]]]]"):
        response = post(api, service, {}, raw=raw)
        assert 400 <= response.status_code < 500, (raw, response.status_code, response.text)
    # Over the body limit: 413 (read and counted), and far over it (refused unread).
    for size in (70_000, 2_000_000):
        response = post(api, service, {}, raw=json.dumps({"query": "x" * size}).encode())
        assert response.status_code == 413, response.text
    for query in ({"k": "ten"}, {"q": "é" * 1500}, {"filter": ["a"] * 33}, {"operator": "xor"},
                  {"typos": "yes"}, {"max_expansions": 0}, {"facet": ["country:0"]}):
        response = get(api, service, "/search", query)
        assert 400 <= response.status_code < 500, (query, response.status_code, response.text)
    # Unknown and repeated parameters, bad escapes, a request line over 8 KiB.
    error_schema = load_spec()["components"]["schemas"]["Error"]
    import jsonschema

    for raw_query, status in (("colour=red", 400), ("k=1&k=2", 400), ("q=%zz", 400), ("q=%ff", 400),
                              ("q=" + "x" * 9000, 414), ("q=" + "x" * 70000, None)):
        status_got, headers, body = http("GET", base_url(service) + "/search?" + raw_query)
        assert status_got == status if status else status_got in (413, 414), (raw_query[:40], status_got, body)
        assert headers["content-type"].startswith("application/json"), headers
        jsonschema.validate(json.loads(body), error_schema)
    # Not in the spec: unknown paths are 404, unlisted methods 405 with Allow.
    for method, path, status in (("GET", "/nope", 404), ("PUT", "/search", 405), ("DELETE", "/healthz", 405),
                                 ("POST", "/metrics", 405)):
        status_got, headers, body = http(method, base_url(service) + path, b"{}" if method != "GET" else None)
        assert status_got == status, (method, path, status_got, body)
        jsonschema.validate(json.loads(body), error_schema)
        if status == 405:
            assert headers.get("allow"), headers


def test_unlisted_methods(service: HttpSurface) -> None:
    """A method a path does not list is 405 method_not_allowed, with an Allow
    header naming exactly the spec's methods for that path."""
    import jsonschema

    error_schema = load_spec()["components"]["schemas"]["Error"]
    for path, item in load_spec()["paths"].items():
        listed = {m.upper() for m in item}
        for method in sorted({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"} - listed):
            status, headers, body = http(method, base_url(service) + path, b"{}" if method != "GET" else None)
            assert status == 405, (method, path, status, body[:200])
            jsonschema.validate(json.loads(body), error_schema)
            assert json.loads(body)["error"]["code"] == "method_not_allowed"
            assert {m.strip() for m in headers.get("allow", "").split(",")} == listed, (method, path, headers)


def exchange(port: int, chunks: List[bytes], settle: float = 0.5) -> List[str]:
    """Sends each chunk on one connection, reading for `settle` s after each;
    returns the status code of every answer ("EOF" once the server closed)."""
    got, closed = raw_exchange(port, chunks, settle, last_wait=settle)
    return [c.decode() for c in re.findall(rb"HTTP/1\.1 (\d{3}) ", got)] + (["EOF"] if closed else [])


def test_refused_bodies_are_not_requests(service: HttpSurface) -> None:
    """A request the server answers before reading its body (405 for an
    unlisted method; 400 for a method the HTTP library does not know; 415 for
    multipart/form-data) must not leave that body on a
    kept-alive connection to be read as the next request: the body is skipped
    or the connection closed. Here the body is itself a request (GET
    /metrics), sent once the headers are answered, and must not be answered."""
    smuggled = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    honest = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    failures = []
    for method, content_type in ((b"PUT", b"text/plain"), (b"DELETE", b"text/plain"),
                                 (b"PATCH", b"text/plain"), (b"QUERY", b"text/plain"),
                                 (b"POST", b"multipart/form-data")):
        head = b"%s /search HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
            method, content_type, len(smuggled))
        answers = exchange(service.port, [head, smuggled, honest])
        # The honest request answered once, or the connection closed.
        if answers[:1] not in (["400"], ["405"], ["415"]) or answers[1:] not in (["200"], ["EOF"]):
            failures.append(f"{method.decode()} /search, Content-Type {content_type.decode()}, "
                            f"{len(smuggled)}-byte body sent after the answer to the headers: "
                            f"answers {answers}")
    assert not failures, "a refused request's body was read as a request:\n" + "\n".join(failures)


# ---------------------------------------------------------------------------
# README and spec describe the same API.

def readme_search_api_section() -> List[str]:
    """The lines of README's section whose heading contains "Search API"."""
    lines = README.read_text().splitlines()
    start = level = None
    fenced = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        m = re.match(r"^(#+)\s+(.*)$", line)
        if m and not fenced and "Search API" in m.group(2):
            start, level = i + 1, len(m.group(1))
            break
    assert start is not None, 'README.md has no heading containing "Search API"'
    section: List[str] = []
    in_code = False
    for line in lines[start:]:
        if line.startswith("```"):
            in_code = not in_code
        m = re.match(r"^(#+)\s", line)
        if m and not in_code and len(m.group(1)) <= level:
            break
        section.append("" if in_code or line.startswith("```") else line)
    return section


def table_rows(section: List[str]) -> List[List[str]]:
    """The first table's rows (cells), header first, separator dropped."""
    rows: List[List[str]] = []
    for line in section:
        if not line.lstrip().startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
            continue  # The separator row.
        rows.append(cells)
    return rows


def backticked_names(text: str) -> Set[str]:
    """Parameter names written in backticks (values such as `true` left out)."""
    return set(re.findall(r"`([A-Za-z_]+)`", text)) - {"true", "false"}


def test_readme_matches_spec() -> None:
    """README's Search API table has one row per request key (first column,
    header "key"), and the GET parameters are either a table column whose
    header contains "GET" (names in backticks; checked key by key) or, without
    such a column, the section's paragraph that starts with "On GET" (checked
    as a set)."""
    spec = load_spec()
    keys = set(spec["components"]["schemas"]["SearchRequest"]["properties"])
    params: Dict[str, Set[str]] = {}
    for p in spec["paths"]["/search"]["get"]["parameters"]:
        assert p.get("x-json-key") in keys, f"GET parameter {p['name']}: x-json-key {p.get('x-json-key')!r} is no request key"
        params.setdefault(p["x-json-key"], set()).add(p["name"])

    section = readme_search_api_section()
    rows = table_rows(section)
    assert rows, 'README "Search API" section has no table'
    header = [c.strip("` ").lower() for c in rows[0]]
    assert header[0] == "key", f"the table's first column should be 'key', got {rows[0]}"
    get_cols = [i for i, h in enumerate(header) if "get" in h]
    readme_keys: Set[str] = set()
    readme_params: Dict[str, Set[str]] = {}
    for cells in rows[1:]:
        key = cells[0].strip().strip("`").strip()
        assert re.fullmatch(r"[a-z_]+", key), f"README row key {cells[0]!r}"
        readme_keys.add(key)
        if get_cols and len(cells) > get_cols[0]:
            cell = cells[get_cols[0]]
            names = backticked_names(cell)
            assert names or cell.strip() in ("", "-", "—", "–"), \
                f"README row {key}: write the GET parameter names in backticks, got {cell!r}"
            readme_params[key] = names
    assert readme_keys == keys, (
        f"only in README: {sorted(readme_keys - keys)}; only in the spec: {sorted(keys - readme_keys)}")
    if get_cols:
        for key in sorted(keys):
            assert readme_params.get(key, set()) == params.get(key, set()), (
                f"{key}: README lists GET {sorted(readme_params.get(key, set()))}, "
                f"the spec {sorted(params.get(key, set()))}")
        return
    paragraphs = "\n".join(section).split("\n\n")
    on_get = [p for p in paragraphs if p.strip().startswith("On GET")]
    assert on_get, 'README "Search API": no "GET" column in the table and no paragraph starting "On GET"'
    spec_names = set().union(*params.values())
    readme_names = backticked_names(on_get[0])
    assert readme_names == spec_names, (
        f"GET parameters only in README: {sorted(readme_names - spec_names)}; "
        f"only in the spec: {sorted(spec_names - readme_names)}")
