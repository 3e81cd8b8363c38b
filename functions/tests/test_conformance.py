"""Conformance: the four surfaces give byte-identical answers.

For every request below, the C++ Lambda bootstrap (under the emulator), the
Python Lambda handler (under awslambdaric), the Cloud Run function (under
functions-framework) and the HTTP service return the same bytes, apart from
took_us: the same hit lists (ids, scores as printed, order), documents,
facets, highlights, cursors and suggestions, and for bad requests the same
status and error.

Requests reach the Lambdas twice: as a direct invocation (the event is the
request) and as an API Gateway v2 / Function URL event whose body is the
exact bytes the HTTP surfaces get, base64-encoded, so odd bytes (a BOM,
invalid UTF-8, whitespace padding, pretty printing) reach all four alike.
"""

from __future__ import annotations

import base64
import json
import random
import urllib.parse
from typing import Any, Dict, List, Tuple

from conftest import HttpSurface, Lambda, no_took

QUERIES = [
    "peanut butter", "chocolate", "dark chocolate", '"dark chocolate" -milk', "organic (apple OR pear) juice",
    "product_name:cookies chocolate chip", "crème brûlée", "creme brulee", "olive oil", "extra virgin olive oil",
    "tea coffee", "green tea", "orange juice", "apple", "sugar -salt", "rice", "pasta sauce", "tomato",
    "cheese", "greek yogurt", "honey", "almond milk", "coconut", "whole wheat bread", "chicken breast",
    "salmon", "vanilla ice cream", "potato chips", "granola", "cereal", "mayonnaise", "mustard", "vinegar",
    "peanuts", "butter", "wi-fi", "coca-cola", "salt_100g:<0.1 water", "sugars_100g:[0 TO 1] proteins_100g:>=20",
    "barcode:0855094006359", "ingredients:soy", "+organic -sugar", "NOT salt", "", "bio", "café", "jalapeño",
    "strawberry jam", "maple syrup", "sparkling water",
]

# What people type into a search box: read as words where the syntax is broken.
RAW_TEXT = [
    "alpha (+)- thalassemia", "star wars:the clone wars", "usb c:hdmi adapter", "OR", "(", ")", '"',
    '48" sliding barn door', "peanut butter (crunchy", "chocolate)", "-", "+", "AND", "NOT", "tea OR",
    "OR tea", "salt_100g:", "sugars_100g:[1 TO", "sugars_100g:abc", "((((((((((tea", "c++ programming",
    "100% juice", "tea & coffee", "milk!!!", "*", "choc*", "tea^2", "~tea", "rock 'n' roll", "50:50 mix",
    "colour:red", "a:b:c", "\\", "[", "{", "}", "tea AND", "\t", "🍫 chocolate", "é",
]

# Misspellings that match nothing: the answer carries a suggestion. ("penut"
# and "bttr" are left out: in the bundled catalogue "penut" is as near the
# French "peut" as "peanut", and "bttr" is two edits from "butter", which
# "did you mean" does not reach for short words; see README.)
MISSPELT = ["chocolatte biscuitz", "peanut buttr", "strawbery jamm", "oliv oyl", "choclate chip", "olive oyl"]

PREFIXES = ["c", "ch", "cho", "choc", "choco", "pea", "peanut b", "gre", "oli", "van", "tea ", "organic a"]


def valid_requests() -> List[Dict[str, Any]]:
    """At least 200 requests that together use every request key."""
    out: List[Dict[str, Any]] = [{"query": q, "k": 10} for q in QUERIES]
    out += [{"query": q} for q in RAW_TEXT]
    out += [{"query": q, "syntax": "simple", "k": 5} for q in MISSPELT]
    out += [{"query": q, "prefix": True, "typos": True, "k": 8, "highlight": ["product_name"]} for q in PREFIXES]
    out += [
        {"query": "chocolate", "k": 25, "offset": 5},
        {"query": "chocolate", "k": 1000, "include_docs": False},
        {"query": "tea coffee", "operator": "or", "k": 20},
        {"query": "sugar", "fields": ["product_name"], "k": 15},
        {"query": "sugar", "fields": "ingredients"},
        {"query": "chocolate", "filters": ["sugars_100g:<5", "is_healthy:true"], "k": 30},
        {"query": "", "filters": "proteins_100g:[20 TO *]", "k": 10, "exact_total": True},
        {"query": "", "k": 0, "exact_total": True},
        {"query": "milk", "k": 3, "exact_total": False, "include_docs": True},
        {"k": 5},
        {"query": "organic", "k": 50, "offset": 950, "include_docs": False},
        {"query": "choclate", "typos": True, "k": 20},
        {"query": "peanutt buter", "typos": True},
        {"query": "choclate", "typos": False, "suggest": False},
        {"query": "tea", "synonyms": False},
        {"query": "tea", "retrieve": ["product_name", "sugars_100g"], "k": 5},
        {"query": "tea", "retrieve": "product_name", "include_docs": True},
        {"query": "chocolate", "max_expansions": 3, "prefix": True},
        {"query": "organic (apple OR pear) juice", "syntax": "full"},
        {"query": "(", "syntax": "simple"},
        {"query": "chocolate", "highlight": {"fields": ["product_name", "ingredients"], "pre_tag": "[",
                                             "post_tag": "]", "fragment_bytes": 60}},
    ]
    rng = random.Random(15)
    facet_specs = ["country", "country:3", "is_healthy", "nutrition_band:2", "sugars_100g:0..5,5..20,20..*",
                   "proteins_100g:..10,10..", "fat_100g:0..1,1..10"]
    sorts = ["sugars_100g:asc", "sugars_100g:desc", "proteins_100g:desc,_score", "_score", "country,_score:asc",
             "nutrition_band:desc,sugars_100g"]
    filters = ["country:France", "is_healthy:true", "nutrition_band:(green OR amber)", "sugars_100g:<10",
               "country:(France OR Germany)"]
    words = ["chocolate", "tea", "milk", "juice", "organic", "bread", "cheese", "salt", "", "choco", "yogurt"]
    while len(out) < 240:
        r: Dict[str, Any] = {"query": rng.choice(words), "k": rng.choice([0, 1, 5, 10, 20])}
        if rng.random() < 0.7:
            specs = rng.sample(facet_specs[:4], rng.randint(1, 2)) + rng.sample(facet_specs[4:], rng.randint(0, 1))
            by_field = {f.split(":")[0]: f for f in specs}  # One facet per field.
            r["facets"] = list(by_field.values())
            fields = list(by_field)
            if rng.random() < 0.5:
                r["disjunctive"] = [fields[0]]
        if rng.random() < 0.5:
            r["sort"] = rng.choice(sorts)
        if rng.random() < 0.5:
            r["filters"] = rng.sample(filters, rng.randint(1, 2))
        if rng.random() < 0.3:
            r["typos"] = True
        if rng.random() < 0.3:
            r["prefix"] = True
        if rng.random() < 0.3:
            r["highlight"] = ["product_name"]
        if rng.random() < 0.2:
            r["offset"] = rng.randint(0, 30)
        if rng.random() < 0.2:
            r["include_docs"] = False
        if rng.random() < 0.2:
            r["retrieve"] = ["product_name"]
        out.append(r)
    return out


def bad_requests() -> List[Any]:
    """At least 60 requests every surface must refuse the same way."""
    out: List[Any] = [
        {"query": "colour:red", "syntax": "full"}, {"query": "(apple", "syntax": "full"},
        {"query": "x", "fields": ["nope"]}, {"query": "x", "filters": ["sugars_100g:<"]}, {"query": 5},
        {"k": 1001}, {"k": -1}, {"k": 1.5}, {"k": "10"}, {"k": None}, {"k": True}, {"offset": 9995, "k": 10},
        {"offset": -3}, {"offset": 10001}, {"filters": [1]}, {"filters": {"a": "b"}},
        {"filters": ["is_healthy:true"] * 33}, {"operator": "xor"}, {"operator": None}, {"exact_total": "yes"},
        {"include_docs": None}, {"typos": 1}, {"prefix": "true"}, {"synonyms": []}, {"suggest": 0},
        {"query": "x", "facet": ["country"]}, {"querry": "x"}, {"query": "a" * 3000},
        {"query": [[["deep"]]]}, {"facets": ["country:0"]}, {"facets": ["country:x"]},
        {"facets": ["sugars_100g:5..1"]}, {"facets": ["sugars_100g:a..b"]}, {"facets": ["sugars_100g:1"]},
        {"facets": ["product_name"]}, {"facets": ["nope"]}, {"facets": ["country", "country:2"]},
        {"facets": [":3"]}, {"facets": 5}, {"disjunctive": ["country"]},
        {"facets": ["country"], "disjunctive": ["is_healthy"]}, {"sort": "sugars_100g:down"},
        {"sort": "-sugars_100g"}, {"sort": "nope"}, {"sort": "product_name"}, {"sort": ","}, {"sort": 3},
        {"search_after": "garbage", "sort": "sugars_100g"}, {"search_after": "x" * 2000},
        {"highlight": ["sugars_100g"]}, {"highlight": ["nope"]}, {"highlight": {"field": ["product_name"]}},
        {"highlight": {"fields": ["product_name"], "fragment_bytes": 1}}, {"highlight": 1},
        {"retrieve": ["nope"]}, {"retrieve": ["image_urls"]}, {"syntax": "lucene"}, {"syntax": 1},
        {"max_expansions": 0}, {"max_expansions": 1001}, [1, 2, 3], "just a string", 17, None,
    ]
    return out


# Raw bodies for the HTTP surfaces (and base64 API Gateway events): every
# input the issue names, as bytes. Each answers the same everywhere.
RAW_BODIES: List[bytes] = [
    b"", b"{nope", b"\xff\xfe", b'{"query": "\\ud800"}', b'{"query": "\\udfff x"}', b'{"k": NaN}',
    b'{"k": 1e400}', b'{"junk": -1e999, "query": "tea"}', b'{"query": "tea"} trailing',
    b"\xef\xbb\xbf" + b'{"query": "tea", "k": 3}',  # A UTF-8 BOM: skipped.
    b" " * 70000 + b'{"query": "tea"}',  # Over the limit with whitespace: 413.
    b'{"query": "tea",\n  "k": 3,\n  "facets": ["country"]\n}\n',  # Pretty-printed.
    b'  \t\r\n{"query":"milk"}\r\n  ',
    b'{"query": "caf\xc3\xa9", "k": 2}', b'{"query": "caf\xe9"}', b'{"query": "\\u0000tea"}',
    b'{"query": "tea", "query": "milk"}', b"[" * 5 + b"]" * 5, b'{"a":' * 10 + b"1" + b"}" * 10,
    b"null", b"true", b'"tea"', b"0",
]


def compact(request: Any) -> bytes:
    return json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()


def http_event(body: bytes) -> bytes:
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": "/search", "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/search", "protocol": "HTTP/1.1"}, "requestId": "c"},
        "body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True,
    }
    return json.dumps(event).encode()


def lambda_http(fn: Lambda, body: bytes) -> Tuple[int, str]:
    _, out = fn.invoke(http_event(body))
    envelope = json.loads(out)
    return envelope["statusCode"], envelope["body"]


def all_four(cpp_lambda: Lambda, py_lambda: Lambda, gcf: HttpSurface, service: HttpSurface,
             body: bytes) -> Tuple[int, str]:
    """The one (status, body) all four give for `body` over HTTP."""
    s_status, s_body = service.post(body)
    g_status, g_body = gcf.post(body)
    c_status, c_body = lambda_http(cpp_lambda, body)
    p_status, p_body = lambda_http(py_lambda, body)
    reference = no_took(s_body)
    assert (g_status, no_took(g_body)) == (s_status, reference), body[:200]
    assert (c_status, no_took(c_body)) == (s_status, reference), body[:200]
    assert (p_status, no_took(p_body)) == (s_status, reference), body[:200]
    return s_status, reference


def test_four_surfaces_byte_identical(cpp_lambda: Lambda, py_lambda: Lambda, gcf: HttpSurface,
                                      service: HttpSurface) -> None:
    requests = valid_requests()
    assert len(requests) >= 200
    used = {key for r in requests for key in r}
    assert used >= {"query", "k", "offset", "filters", "fields", "operator", "facets", "disjunctive", "sort",
                    "typos", "prefix", "highlight", "synonyms", "suggest", "exact_total", "include_docs",
                    "retrieve", "syntax", "max_expansions"}, used
    compared_hits = suggestions = facets = highlights = 0
    cursors: List[Dict[str, Any]] = []
    for request in requests:
        body = compact(request)
        # Direct invocation on both Lambdas.
        _, cpp = cpp_lambda.invoke(body)
        _, py = py_lambda.invoke(body)
        assert no_took(py) == no_took(cpp), request
        status, reference = all_four(cpp_lambda, py_lambda, gcf, service, body)
        assert status == 200, (request, reference)
        assert no_took(cpp) == reference, request
        result = json.loads(reference)
        compared_hits += len(result["hits"])
        suggestions += result["suggestion"] is not None
        facets += len(result["facets"])
        highlights += sum(1 for h in result["hits"] if h.get("highlights"))
        if result["next_cursor"] and len(cursors) < 20 and request.get("offset", 0) == 0 and request.get("k"):
            cursors.append({**request, "search_after": result["next_cursor"]})
    # The next pages, by cursor (search_after), on all four.
    for request in cursors:
        status, _ = all_four(cpp_lambda, py_lambda, gcf, service, compact(request))
        assert status == 200, request
    assert len(cursors) == 20
    assert compared_hits > 2000 and facets > 100 and highlights > 50, (compared_hits, facets, highlights)
    assert suggestions >= len(MISSPELT), suggestions


def test_errors_identical(cpp_lambda: Lambda, py_lambda: Lambda, gcf: HttpSurface, service: HttpSurface) -> None:
    bad = bad_requests()
    assert len(bad) >= 60
    for request in bad:
        body = compact(request)
        _, cpp = cpp_lambda.invoke(body)
        _, py = py_lambda.invoke(body)
        assert py == cpp, request
        status, reference = all_four(cpp_lambda, py_lambda, gcf, service, body)
        assert "error" in json.loads(reference), (request, reference)
        assert reference == cpp.decode(), request
        assert status == 400, (request, status)


def test_direct_events_measured_compact(cpp_lambda: Lambda, py_lambda: Lambda) -> None:
    """A direct event padded with whitespace: both runtimes judge its compact JSON."""
    for padded in [b" " * 70000 + b'{"query": "tea", "k": 2}', b'{"query":\n\n "tea" ,  "k" : 2}  ']:
        _, cpp = cpp_lambda.invoke(padded)
        _, py = py_lambda.invoke(padded)
        assert no_took(cpp) == no_took(py), padded[-40:]
        assert json.loads(cpp)["total"] > 0


def test_raw_bodies_identical(cpp_lambda: Lambda, py_lambda: Lambda, gcf: HttpSurface,
                              service: HttpSurface) -> None:
    outcomes = {}
    for raw in RAW_BODIES:
        status, reference = all_four(cpp_lambda, py_lambda, gcf, service, raw)
        body = json.loads(reference)
        assert status in (200, 400, 413), (raw[:80], status)
        assert (status == 200) == ("error" not in body), (raw[:80], reference)
        outcomes[raw[:40]] = status
    assert outcomes[b"\xef\xbb\xbf" + b'{"query": "tea", "k": 3}'] == 200
    assert outcomes[(b" " * 70000)[:40]] == 413
    assert outcomes[b'{"query": "\\ud800"}'] == 400
    assert outcomes[b'{"k": 1e400}'] == 400


def test_query_strings_identical(cpp_lambda: Lambda, py_lambda: Lambda, gcf: HttpSurface,
                                 service: HttpSurface) -> None:
    """GET with URL parameters: one mapping, on every surface."""
    strings = [urllib.parse.urlencode({"q": q, "k": 7}) for q in QUERIES[:20] + RAW_TEXT[:10]] + [
        "q=tea&filter=sugars_100g%3A%3C5&filter=is_healthy:true&fields=product_name,ingredients&operator=or",
        "q=chocolate&offset=10&k=5&include_docs=0&exact_total=1",
        "query=cr%C3%A8me+br%C3%BBl%C3%A9e",
        "q=choc&prefix=1&typos=true&facet=country:3&facet=sugars_100g:0..5,5..*&disjunctive=country"
        "&filter=country:France&sort=sugars_100g:desc,_score&highlight=product_name&retrieve=product_name",
        "q=chocolatte+biscuitz&suggest=true", "q=tea&synonyms=0&syntax=full&max_expansions=5",
        "q=x&k=ten", "q=x&colour=red", "q=%zz", "q=%ff", "q=x&include_docs=maybe", "q=x&&&k=2", "q=a&q=b",
        "sort=-sugars_100g", "facet=nope", "",
    ]
    for qs in strings:
        s_status, _, s_body = service.get(qs)
        g_status, _, g_body = gcf.get(qs)
        assert (g_status, no_took(g_body)) == (s_status, no_took(s_body)), qs
        for fn in (cpp_lambda, py_lambda):
            event = {
                "version": "2.0", "routeKey": "$default", "rawPath": "/search", "rawQueryString": qs,
                "requestContext": {"http": {"method": "GET", "path": "/search"}, "requestId": "q"},
                "isBase64Encoded": False,
            }
            _, out = fn.invoke(json.dumps(event).encode())
            envelope = json.loads(out)
            assert (envelope["statusCode"], no_took(envelope["body"])) == (s_status, no_took(s_body)), qs
