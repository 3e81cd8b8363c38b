"""The search request handler for the Python surfaces.

The Python twin of ``search_handler.cc``: the AWS Lambda Python handler and
the Cloud Functions function call it, the C++ bootstrap and the HTTP service
call the C++ one. Both run the same checks in the same order with the same
messages and print the same JSON (the CLI's shape, scores by the CLI's
``%.9g`` rule), so all four surfaces answer a request byte for byte alike
apart from ``took_us`` (``functions/tests/test_conformance.py``).

Example::

    import libsearch, search_handler
    index = libsearch.Index.open("products.idx")
    status, body = search_handler.handle_search(index, b'{"query": "peanut butter", "k": 3}')
    # status == 200, body == '{"total":97,"total_exact":true,"took_us":...,"hits":[...]}'

Only the standard library and the ``libsearch`` package are used.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional, Tuple, Union
from urllib.parse import unquote_to_bytes

import libsearch

__all__ = [
    "Limits",
    "LIMITS",
    "handle_search",
    "handle_query_string",
    "query_string_to_request",
    "error_response",
    "search_response_json",
    "json_depth",
    "json_string",
]

Response = Tuple[int, str]


class Limits:
    """Request limits; the same numbers as ``Limits`` in search_handler.h."""

    max_body_bytes = 64 * 1024
    max_depth = 4
    max_k = 1000
    max_offset = 10000
    max_query_bytes = 2048
    max_list_items = 32
    max_item_bytes = 1024


LIMITS = Limits()

KNOWN_KEYS = ("query", "k", "offset", "filters", "fields", "operator", "exact_total", "include_docs")
_KNOWN_KEYS_TEXT = ", ".join(KNOWN_KEYS)
_KNOWN_PARAMS_TEXT = "q, k, offset, filter, fields, operator, exact_total, include_docs"

# libsearch exception -> (HTTP status, error code); as HttpStatus/ErrorCode in C++.
_ERRORS = {
    "InvalidArgument": (400, "invalid_argument"),
    "ResourceExhausted": (400, "resource_exhausted"),
    "NotFound": (404, "not_found"),
    "Unimplemented": (501, "unimplemented"),
    "Corruption": (500, "corrupt_index"),
    "IOError": (500, "io_error"),
    "Internal": (500, "internal"),
}


def json_string(s: str) -> str:
    # The same escaping as nlohmann::json::dump: UTF-8 kept, control
    # characters as \uXXXX (lower-case hex), \b \f \n \r \t " \\ escaped.
    return json.dumps(s, ensure_ascii=False)


def error_response(status: int, code: str, message: str) -> Response:
    """``{"error": {"code": code, "message": message}}`` with ``status``."""
    return status, '{"error":{"code":' + json_string(code) + ',"message":' + json_string(message) + "}}"


def _invalid(message: str) -> Response:
    return error_response(400, "invalid_argument", message)


def _score_json(score: float) -> str:
    # The CLI's rule: the "%.9g" text of the float, read back as a double,
    # printed shortest (Python's repr is the shortest round-trip form).
    return repr(float("%.9g" % score))


def search_response_json(result: "libsearch.SearchResult", include_docs: bool) -> str:
    """A search result in the CLI's JSON shape (the C++ SearchResponseJson)."""
    parts: List[str] = []
    if include_docs:
        for hit in result:
            doc = hit.doc_json or "{}"
            parts.append('{"id":' + json_string(hit.id) + ',"score":' + _score_json(hit.score) + ',"doc":' + doc + "}")
    else:
        for id_, score in zip(result.ids, result.scores):
            parts.append('{"id":' + json_string(id_) + ',"score":' + _score_json(score) + "}")
    return (
        '{"total":%d,"total_exact":%s,"took_us":%d,"hits":[%s]}'
        % (result.total, "true" if result.total_exact else "false", result.took_us, ",".join(parts))
    )


def json_depth(text: str, limit: int) -> int:
    """The deepest nesting of [] and {} in JSON text (strings skipped).

    Returns ``limit + 1`` as soon as the limit is exceeded.
    """
    # Fewer brackets than the limit cannot nest deeper: the common case.
    if text.count("[") + text.count("{") <= limit:
        return 0
    depth = max_depth = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
            continue
        if c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > max_depth:
                max_depth = depth
                if max_depth > limit:
                    return limit + 1
        elif c in "]}":
            depth -= 1
    return max_depth


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON.


def _bounded(value: Any, name: str, maximum: int) -> Union[int, Response]:
    if type(value) is not int or value < 0 or value > maximum:
        return _invalid(f"{name} must be an integer from 0 to {maximum}")
    return value


def _string_list(value: Any, name: str, limits: Limits) -> Union[List[str], Response]:
    shape = f"{name} must be a string or an array of strings"
    if isinstance(value, str):
        out = [value]
    elif isinstance(value, list):
        if len(value) > limits.max_list_items:
            return _invalid(f"{name} has {len(value)} entries; the limit is {limits.max_list_items}")
        if not all(isinstance(v, str) for v in value):
            return _invalid(shape)
        out = list(value)
    else:
        return _invalid(shape)
    for i, item in enumerate(out):
        n = len(item.encode("utf-8"))
        if n > limits.max_item_bytes:
            return _invalid(f"{name} entry {i + 1} is {n} bytes; the limit is {limits.max_item_bytes}")
    return out


def handle_search(
    index: "libsearch.Index",
    request_json: Union[str, bytes],
    *,
    limits: Limits = LIMITS,
    deadline_ms: Optional[float] = None,
) -> Response:
    """Runs the search ``request_json`` describes; returns (HTTP status, body).

    ``deadline_ms`` is the caller's deadline in Unix epoch milliseconds: a
    request that arrives after it gets 504 deadline_exceeded. Never raises
    for a bad request; every failure becomes an error response.
    """
    raw = request_json.encode("utf-8") if isinstance(request_json, str) else bytes(request_json)
    if len(raw) > limits.max_body_bytes:
        return error_response(
            413, "payload_too_large", f"request body is {len(raw)} bytes; the limit is {limits.max_body_bytes}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _invalid("request body is not valid JSON")
    if json_depth(text, limits.max_depth) > limits.max_depth:
        return _invalid(f"request JSON nests deeper than {limits.max_depth} levels")
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _invalid("request body is not valid JSON")
    if "\\u" in text:
        # A lone surrogate escape ("\\ud800") parses here but is not Unicode.
        try:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return _invalid("request body is not valid JSON")
    if not isinstance(body, dict):
        return _invalid("request body must be a JSON object")
    for key in body:
        if key not in KNOWN_KEYS:
            return _invalid(f"unknown key {json_string(key)}; known keys: {_KNOWN_KEYS_TEXT}")

    query = body.get("query", "")
    if not isinstance(query, str):
        return _invalid("query must be a string")
    try:
        query_bytes = len(query.encode("utf-8"))
    except UnicodeEncodeError:  # A lone surrogate escape: not valid Unicode.
        return _invalid("request body is not valid JSON")
    if query_bytes > limits.max_query_bytes:
        return _invalid(f"query is {query_bytes} bytes; the limit is {limits.max_query_bytes}")
    k = _bounded(body.get("k", 10), "k", limits.max_k)
    if isinstance(k, tuple):
        return k
    offset = _bounded(body.get("offset", 0), "offset", limits.max_offset)
    if isinstance(offset, tuple):
        return offset
    filters: List[str] = []
    if "filters" in body:
        got = _string_list(body["filters"], "filters", limits)
        if isinstance(got, tuple):
            return got
        filters = got
    fields: List[str] = []
    if "fields" in body:
        got = _string_list(body["fields"], "fields", limits)
        if isinstance(got, tuple):
            return got
        fields = got
    operator = body.get("operator", "and")
    if operator not in ("and", "or") or not isinstance(operator, str):
        return _invalid('operator must be "and" or "or"')
    exact_total = body.get("exact_total", False)
    if type(exact_total) is not bool:
        return _invalid("exact_total must be true or false")
    include_docs = body.get("include_docs", True)
    if type(include_docs) is not bool:
        return _invalid("include_docs must be true or false")

    if deadline_ms is not None and time.time() * 1000.0 >= deadline_ms:
        return error_response(504, "deadline_exceeded", "the invocation deadline passed before the search started")
    try:
        result = index.search(
            query,
            k,
            offset=offset,
            filters=filters,
            fields=fields,
            operator=operator,
            include_docs=include_docs,
            total_hits_threshold=None if exact_total else 1000,
        )
    except libsearch.LibsearchError as e:
        status, code = _ERRORS.get(e.code, (500, "internal"))
        return error_response(status, code, str(e))
    return 200, search_response_json(result, include_docs)


def _flag_param(v: str) -> Union[bool, str]:
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    return v


def _number_param(v: str) -> Union[int, str]:
    if 0 < len(v) <= 9 and all(c in "0123456789" for c in v):
        return int(v)
    return v


_HEX = frozenset(b"0123456789abcdefABCDEF")


def _url_decode(s: bytes) -> Optional[bytes]:
    # application/x-www-form-urlencoded: '+' is a space, %XX one byte; a
    # malformed escape is an error (unquote would pass it through).
    i = s.find(b"%")
    while i >= 0:
        if i + 2 >= len(s) or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
            return None
        i = s.find(b"%", i + 3)
    return unquote_to_bytes(s.replace(b"+", b" "))


def query_string_to_request(raw_query: Union[str, bytes], *, limits: Limits = LIMITS) -> Union[str, Response]:
    """The JSON request a URL query string stands for, or an error response.

    Parameters: q (or query), k, offset, filter (repeatable), fields
    (comma-separated, repeatable), operator, exact_total, include_docs.
    """
    raw = raw_query.encode("utf-8") if isinstance(raw_query, str) else bytes(raw_query)
    if len(raw) > limits.max_body_bytes:
        return error_response(
            413, "payload_too_large", f"query string is {len(raw)} bytes; the limit is {limits.max_body_bytes}"
        )
    req: Dict[str, Any] = {}
    filters: List[str] = []
    fields: List[str] = []
    for part in raw.split(b"&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition(b"=")
        name_b, value_b = _url_decode(raw_name), _url_decode(raw_value)
        if name_b is None or value_b is None:
            return _invalid("query string has an invalid percent escape")
        try:
            name, value = name_b.decode("utf-8"), value_b.decode("utf-8")
        except UnicodeDecodeError:
            return _invalid("query string is not valid UTF-8")
        if name in ("q", "query"):
            req["query"] = value
        elif name in ("k", "offset"):
            req[name] = _number_param(value)
        elif name in ("filter", "filters"):
            filters.append(value)
        elif name == "fields":
            fields.extend(f for f in value.split(",") if f)
        elif name == "operator":
            req["operator"] = value
        elif name in ("exact_total", "include_docs"):
            req[name] = _flag_param(value)
        else:
            return _invalid(f"unknown query parameter {json_string(name)}; known parameters: {_KNOWN_PARAMS_TEXT}")
    if filters:
        req["filters"] = filters
    if fields:
        req["fields"] = fields
    return json.dumps(req, ensure_ascii=False, separators=(",", ":"))


def handle_query_string(
    index: "libsearch.Index",
    raw_query: Union[str, bytes],
    *,
    limits: Limits = LIMITS,
    deadline_ms: Optional[float] = None,
) -> Response:
    """handle_search for a URL query string (GET /search?q=...)."""
    req = query_string_to_request(raw_query, limits=limits)
    if isinstance(req, tuple):
        return req
    return handle_search(index, req, limits=limits, deadline_ms=deadline_ms)
