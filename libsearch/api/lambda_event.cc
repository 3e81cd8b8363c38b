// AWS Lambda events over the JSON model (libsearch/lambda_event.h).
#include "libsearch/lambda_event.h"

#include <nlohmann/json.hpp>
#include <string>

#include "api/json_text.h"
#include "libsearch/fan_out.h"
#include "util/json_parse.h"

namespace libsearch {
namespace {

using Json = nlohmann::ordered_json;  // Keeps the caller's key order.

std::string HttpEnvelope(const JsonReply& r) {
  return "{\"statusCode\":" + std::to_string(r.status) +
         ",\"headers\":{\"content-type\":\"application/json\"},\"body\":" + JsonQuote(r.body) +
         ",\"isBase64Encoded\":false}";
}

JsonReply HandleHttpEvent(const Index& index, const Json& event, const HandleOptions& options) {
  const Json& http = *Member(*Member(event, "requestContext"), "http");
  const std::string method = StringMember(http, "method");
  if (method == "GET") {
    return HandleSearchQueryString(index, StringMember(event, "rawQueryString"), options);
  }
  if (method != "POST") {
    return ErrorReply(405, "method_not_allowed",
                      "method " + JsonQuote(method) + " is not allowed; use GET or POST");
  }
  std::string body = StringMember(event, "body");
  const Json* b64 = Member(event, "isBase64Encoded");
  if (b64 != nullptr && b64->is_boolean() && b64->get<bool>()) {
    // Reject a body too large before decoding it (the size it decodes to).
    size_t chars = body.size();
    while (chars > 0 && body[chars - 1] == '=') --chars;
    const size_t decoded_size = chars * 6 / 8;
    if (decoded_size > options.limits.max_body_bytes) {
      return ErrorReply(413, "payload_too_large",
                        "request body is " + std::to_string(decoded_size) +
                            " bytes; the limit is " +
                            std::to_string(options.limits.max_body_bytes));
    }
    std::optional<std::string> decoded = Base64Decode(body);
    if (!decoded) {
      return ErrorReply(400, "invalid_argument", "request body is not valid base64");
    }
    body = std::move(*decoded);
  }
  return HandleSearchJson(index, body, options);
}

}  // namespace

std::string LambdaErrorPayload(std::string_view type, std::string_view message) {
  return "{\"errorMessage\":" + JsonQuote(message) + ",\"errorType\":" + JsonQuote(type) +
         ",\"stackTrace\":[]}";
}

std::optional<std::string> Base64Decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

LambdaReply HandleLambdaEvent(const Index& index, std::string_view event,
                              const HandleOptions& options) {
  Json parsed;
  if (const Status s = internal::ParseJson(event, "the event", internal::kMaxJsonDepth, &parsed);
      !s.ok()) {
    return {true, "Runtime.UnmarshalError", "Unable to unmarshal input: " + s.message()};
  }
  const Json* context = Member(parsed, "requestContext");
  const Json* http = context != nullptr ? Member(*context, "http") : nullptr;
  if (StringMember(parsed, "version") == "2.0" && http != nullptr && http->is_object()) {
    return {false, "", HttpEnvelope(HandleHttpEvent(index, parsed, options))};
  }
  if (Member(parsed, "httpMethod") != nullptr) {
    return {false, "",
            HttpEnvelope(
                ErrorReply(400, "invalid_argument",
                           "API Gateway payload format 1.0 is not supported; use an HTTP API with "
                           "payload format 2.0 or a Function URL"))};
  }
  // A coordinator's shard request (libsearch/fan_out.h): the shard
  // function's part of a fan-out search, answered as the reply object
  // (errors included: the coordinator reads them from the payload).
  if (Member(parsed, "shard_request") != nullptr) {
    return {false, "", HandleShardRequest(index, event).body};
  }
  // A direct event reaches the Python runtime parsed, and its handler sees
  // only the compact JSON again; the same text here keeps the body limit
  // (whitespace padding) and the key order the same on both.
  return {false, "", HandleSearchJson(index, parsed.dump(), options).body};
}

}  // namespace libsearch
