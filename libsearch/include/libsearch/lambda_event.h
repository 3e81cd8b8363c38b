// File: libsearch/lambda_event.h
//
// Turns one Lambda event into the payload to post back, for the three event
// shapes the function accepts:
//
//   * API Gateway HTTP API (payload format 2.0) and Lambda Function URL
//     events ({"version": "2.0", "requestContext": {"http": {...}}, ...}):
//     GET takes the search from rawQueryString, POST from the body (base64
//     if isBase64Encoded). The reply is {statusCode, headers, body}, with
//     errors as 4xx/5xx envelopes (never the Runtime API error path, which
//     HTTP callers would only see as a bare 502).
//   * Direct invocation: the event is the search request itself
//     ({"query": ..., "k": ...}); the reply is the response JSON, or
//     {"error": {...}} for a bad request. The request is the event's compact
//     JSON (what the Python runtime hands its handler), so whitespace
//     around it does not count towards the body limit.
//   * A shard request of a fan-out coordinator ({"shard_request": ...},
//     libsearch/fan_out.h): the reply is HandleShardRequest's body (a
//     shard reply or an error object), for a shard function.
//   * An event that is not JSON: a Runtime API error of type
//     Runtime.UnmarshalError, as the AWS runtime clients report it.
//
// The C++ bootstrap and the Python Lambda handler (through the extension)
// both answer through this function. What can still differ is only what
// the Python runtime's own JSON parser decides before the handler runs, on
// direct events that are not plain JSON to both parsers (a lone surrogate
// escape, a number outside double range, a byte order mark); HTTP events
// carry the body as a string and answer the same bytes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "libsearch/export.h"
#include "libsearch/index.h"
#include "libsearch/json.h"

namespace libsearch {

struct LambdaReply {
  // True: post to /invocation/{id}/error with `error_type`, and `payload`
  // is the errorMessage (see LambdaErrorPayload).
  bool is_error = false;
  std::string error_type;
  std::string payload;  // JSON text to post to /response, or the message.
};

LIBSEARCH_EXPORT LambdaReply HandleLambdaEvent(const Index& index, std::string_view event,
                                               const HandleOptions& options = {});

// {"errorMessage": message, "errorType": type, "stackTrace": []}.
LIBSEARCH_EXPORT std::string LambdaErrorPayload(std::string_view type, std::string_view message);

// Standard base64 (RFC 4648, '=' padding optional; whitespace not allowed).
LIBSEARCH_EXPORT std::optional<std::string> Base64Decode(std::string_view in);

}  // namespace libsearch
