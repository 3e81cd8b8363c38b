"""Lambda event builders in the shapes AWS sends (API Gateway HTTP API payload
format 2.0 and Lambda Function URLs), used by the Lambda tests of both runtimes."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, Optional


def _http(method: str, raw_query: str, body: Optional[str], base64_body: bool, function_url: bool) -> Dict[str, Any]:
    domain = "abcdefg.lambda-url.us-east-1.on.aws" if function_url else "id.execute-api.us-east-1.amazonaws.com"
    event: Dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default" if function_url else "ANY /search",
        "rawPath": "/search",
        "rawQueryString": raw_query,
        "headers": {
            "content-type": "application/json",
            "host": domain,
            "user-agent": "pytest",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012" if not function_url else "anonymous",
            "apiId": "abcdefg",
            "domainName": domain,
            "domainPrefix": "abcdefg",
            "http": {
                "method": method,
                "path": "/search",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": "$default" if function_url else "ANY /search",
            "stage": "$default",
            "time": "12/Mar/2024:19:03:58 +0000",
            "timeEpoch": 1710270238000,
        },
        "isBase64Encoded": base64_body,
    }
    if not function_url:
        event["pathParameters"] = {}
        event["stageVariables"] = {}
    if raw_query:
        event["queryStringParameters"] = {}  # Decoded copy; the handlers read rawQueryString.
    if body is not None:
        event["body"] = base64.b64encode(body.encode()).decode() if base64_body else body
    return event


def apigw_v2(method: str = "POST", raw_query: str = "", body: Optional[str] = None, base64_body: bool = False) -> Dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event."""
    return _http(method, raw_query, body, base64_body, function_url=False)


def function_url(method: str = "POST", raw_query: str = "", body: Optional[str] = None, base64_body: bool = False) -> Dict[str, Any]:
    """A Lambda Function URL event (the same format, other context fields)."""
    return _http(method, raw_query, body, base64_body, function_url=True)


def request(**fields: Any) -> str:
    """A search request body."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
