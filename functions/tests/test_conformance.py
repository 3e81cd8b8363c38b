"""Conformance: the four surfaces give byte-identical answers.

For every request below, the C++ Lambda bootstrap (under the emulator), the
Python Lambda handler (under awslambdaric), the Cloud Functions function
(under functions-framework) and the HTTP service return the same bytes, apart
from took_us: the same hit lists (ids, scores as printed, order), the same
documents, the same totals, and for bad requests the same status and error.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Dict, List

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

REQUESTS: List[Dict[str, Any]] = (
    [{"query": q, "k": 10} for q in QUERIES]
    + [
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
    ]
)

BAD_REQUESTS: List[Any] = [
    {"query": "colour:red"},
    {"query": "(apple"},
    {"query": "x", "fields": ["nope"]},
    {"query": "x", "filters": ["sugars_100g:<"]},
    {"query": 5},
    {"k": 1001},
    {"k": -1},
    {"k": 1.5},
    {"k": "10"},
    {"offset": 9995, "k": 10},
    {"filters": [1]},
    {"filters": ["is_healthy:true"] * 33},
    {"operator": "xor"},
    {"exact_total": "yes"},
    {"include_docs": None},
    {"query": "x", "facets": ["brand"]},
    {"query": "a" * 3000},
    {"query": "z" * 70000},
    {"query": [[["deep"]]]},
    [1, 2, 3],
    "just a string",
]


def compact(request: Any) -> bytes:
    return json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()


def test_four_surfaces_byte_identical(cpp_lambda: Lambda, py_lambda: Lambda, gcf: HttpSurface,
                                      service: HttpSurface) -> None:
    assert len(REQUESTS) >= 50
    compared_hits = 0
    for request in REQUESTS:
        body = compact(request)
        _, cpp = cpp_lambda.invoke(body)
        _, py = py_lambda.invoke(body)
        gcf_status, gcf_body = gcf.post(body)
        svc_status, svc_body = service.post(body)
        assert gcf_status == svc_status == 200, (request, svc_body)
        reference = no_took(cpp)
        assert no_took(py) == reference, request
        assert no_took(gcf_body) == reference, request
        assert no_took(svc_body) == reference, request
        result = json.loads(reference)
        assert "error" not in result, (request, result)
        compared_hits += len(result["hits"])
    assert compared_hits > 500  # 972 on the bundled catalogue today


def test_errors_identical(cpp_lambda: Lambda, py_lambda: Lambda, gcf: HttpSurface, service: HttpSurface) -> None:
    for request in BAD_REQUESTS:
        body = compact(request)
        _, cpp = cpp_lambda.invoke(body)
        _, py = py_lambda.invoke(body)
        gcf_status, gcf_body = gcf.post(body)
        svc_status, svc_body = service.post(body)
        assert "error" in json.loads(cpp), (request, cpp)
        assert py == cpp, request
        assert gcf_body == cpp, request
        assert svc_body == cpp, request
        assert gcf_status == svc_status and svc_status in (400, 413), (request, svc_status)
    # Raw bodies only HTTP can carry.
    for raw in [b"", b"{nope", b"\xff\xfe", b'{"query": "\\ud800"}', b'{"k": NaN}']:
        gcf_status, gcf_body = gcf.post(raw)
        svc_status, svc_body = service.post(raw)
        assert (gcf_status, gcf_body) == (svc_status, svc_body), raw
        assert json.loads(svc_body)["error"]["message"] == "request body is not valid JSON", raw


def test_query_strings_identical(gcf: HttpSurface, service: HttpSurface) -> None:
    """GET with URL parameters: the same parsing on the Python and C++ sides."""
    strings = [urllib.parse.urlencode({"q": q, "k": 7}) for q in QUERIES[:20]] + [
        "q=tea&filter=sugars_100g%3A%3C5&filter=is_healthy:true&fields=product_name,ingredients&operator=or",
        "q=chocolate&offset=10&k=5&include_docs=0&exact_total=1",
        "query=cr%C3%A8me+br%C3%BBl%C3%A9e",
        "q=x&k=ten", "q=x&colour=red", "q=%zz", "q=%ff", "q=x&include_docs=maybe", "q=x&&&k=2",
    ]
    for qs in strings:
        g_status, _, g_body = gcf.get(qs)
        s_status, _, s_body = service.get(qs)
        assert g_status == s_status, qs
        assert no_took(g_body) == no_took(s_body), qs
