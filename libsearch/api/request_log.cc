// The request log line (libsearch/request_log.h).
#include "libsearch/request_log.h"

#include <xxhash.h>

#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "api/json_text.h"
#include "util/json_parse.h"
#include "util/utf8.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;

// The answer's leading keys are read from its text: the library wrote it, so
// they are where it put them, and a large answer is not parsed again. Past
// this many bytes a key is not looked for.
constexpr size_t kHeadBytes = 256;

// The unsigned number right after `key` (its first occurrence in the head of
// `text`), if there is one.
std::optional<uint64_t> NumberAfter(std::string_view text, std::string_view key) {
  const size_t at = text.substr(0, kHeadBytes).find(key);
  if (at == std::string_view::npos) return std::nullopt;
  size_t i = at + key.size();
  if (i >= text.size() || text[i] < '0' || text[i] > '9') return std::nullopt;
  uint64_t v = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && v < UINT64_MAX / 10; ++i) {
    v = v * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  return v;
}

// The "query" member of a request object's text ("" if there is none).
std::string QueryOfJson(std::string_view request_json) {
  Json parsed;
  if (!internal::ParseJson(request_json, "the request", internal::kMaxJsonDepth, &parsed).ok()) {
    return "";
  }
  return StringMember(parsed, "query");
}

std::string QueryOfQueryString(std::string_view raw_query) {
  const Result<std::string> json = QueryStringToRequestJson(raw_query, OwnerLimits());
  return json.ok() ? QueryOfJson(*json) : "";
}

// The HTTP status an error body {"error":{"code":...}} stands for: the
// codes of libsearch/json.h and those the handlers answer themselves.
int StatusOfErrorCode(std::string_view code) {
  if (code == "payload_too_large") return 413;
  if (code == "deadline_exceeded") return 504;
  if (code == "method_not_allowed") return 405;
  for (int c = 1; c <= static_cast<int>(StatusCode::kAborted); ++c) {
    if (ErrorCodeName(static_cast<StatusCode>(c)) == code) {
      return HttpStatusOf(static_cast<StatusCode>(c));
    }
  }
  return 500;
}

// What a reply body says: its total and took_us when it is a search
// response, the status of its error code when it is an error.
void ReadReplyBody(std::string_view body, RequestLogRecord* record, std::optional<uint64_t>* took) {
  constexpr std::string_view kError = "{\"error\":{\"code\":\"";
  if (body.substr(0, kError.size()) == kError) {
    const std::string_view rest = body.substr(kError.size());
    record->status = StatusOfErrorCode(rest.substr(0, rest.find('"')));
    return;
  }
  record->total = NumberAfter(body, "{\"total\":");
  *took = NumberAfter(body, ",\"took_us\":");
}

// `s` as a JSON string of ASCII only (invalid UTF-8 as U+FFFD): a line
// reader that splits on Unicode line breaks (U+0085, U+2028, U+2029; Python's
// str.splitlines) still sees one line.
std::string AsciiJsonQuote(std::string_view s) {
  return Json(std::string(s)).dump(-1, ' ', true, Json::error_handler_t::replace);
}

// The record of a search answered as a JsonReply: its status and, when it
// answered, the total and the engine's took_us (else -1: the surface's own).
RequestLogRecord OfJsonReply(std::string query, const JsonReply& reply) {
  RequestLogRecord record;
  record.status = reply.status;
  record.query = std::move(query);
  std::optional<uint64_t> engine_took;
  if (reply.status == 200) ReadReplyBody(reply.body, &record, &engine_took);
  record.took_us = engine_took ? static_cast<int64_t>(*engine_took) : -1;
  return record;
}

}  // namespace

std::string QueryHash(std::string_view query) {
  // Called directly, not through util/hash.h: logs of different versions
  // must group alike, so the function is part of the line's format.
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64,
                static_cast<uint64_t>(XXH3_64bits(query.data(), query.size())));
  return hex;
}

std::string RequestLogLine(const RequestLogRecord& record, bool include_query) {
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(record.time.time_since_epoch()).count();
  char time[32];
  std::snprintf(time, sizeof(time), "%" PRId64 ".%03" PRId64, ms / 1000, ms % 1000);
  std::string out = "{\"libsearch_request\":1,\"time\":";
  out += time;
  out += ",\"surface\":" + AsciiJsonQuote(record.surface);
  out += record.cold ? ",\"cold\":true" : ",\"cold\":false";
  out += ",\"status\":" + std::to_string(record.status);
  out += ",\"took_us\":" + std::to_string(record.took_us);
  out += ",\"total\":" + (record.total ? std::to_string(*record.total) : std::string("null"));
  out += ",\"query_len\":" + std::to_string(internal::CodePointCount(record.query));
  out += ",\"query_hash\":\"" + QueryHash(record.query) + "\"";
  if (include_query) out += ",\"query\":" + AsciiJsonQuote(record.query);
  out += "}";
  return out;
}

RequestLogger::RequestLogger(RequestLogOptions options) : options_(std::move(options)) {}

std::string RequestLogger::Line(RequestLogRecord record, std::chrono::microseconds took) {
  record.time = std::chrono::system_clock::now();
  record.surface = options_.surface;
  record.cold = !served_.exchange(true);
  if (record.took_us < 0) record.took_us = took.count();
  return RequestLogLine(record, options_.include_query);
}

std::string RequestLogger::SearchJson(std::string_view request_json, const JsonReply& reply,
                                      std::chrono::microseconds took) {
  return Line(OfJsonReply(QueryOfJson(request_json), reply), took);
}

std::string RequestLogger::SearchQueryString(std::string_view raw_query, const JsonReply& reply,
                                             std::chrono::microseconds took) {
  return Line(OfJsonReply(QueryOfQueryString(raw_query), reply), took);
}

std::string RequestLogger::LambdaEvent(std::string_view event, const LambdaReply& reply,
                                       std::chrono::microseconds took) {
  RequestLogRecord record;
  record.took_us = -1;
  Json parsed;
  if (!internal::ParseJson(event, "the event", internal::kMaxJsonDepth, &parsed).ok()) {
    record.status = 500;  // Runtime.UnmarshalError: the invocation fails.
    return Line(std::move(record), took);
  }
  const Json* context = Member(parsed, "requestContext");
  const Json* http = context != nullptr ? Member(*context, "http") : nullptr;
  std::optional<uint64_t> engine_took;
  if (StringMember(parsed, "version") == "2.0" && http != nullptr && http->is_object()) {
    // The shapes of HandleLambdaEvent (lambda_event.cc): the reply is
    // {"statusCode":N,...,"body":"<the JSON reply, quoted>"}.
    const std::string method = StringMember(*http, "method");
    if (method == "GET") {
      record.query = QueryOfQueryString(StringMember(parsed, "rawQueryString"));
    } else if (method == "POST") {
      std::string body = StringMember(parsed, "body");
      const Json* b64 = Member(parsed, "isBase64Encoded");
      if (b64 != nullptr && b64->is_boolean() && b64->get<bool>()) {
        body = Base64Decode(body).value_or("");
      }
      record.query = QueryOfJson(body);
    }
    record.status = static_cast<int>(NumberAfter(reply.payload, "{\"statusCode\":").value_or(500));
    if (record.status == 200) {
      record.total = NumberAfter(reply.payload, "\"body\":\"{\\\"total\\\":");
      engine_took = NumberAfter(reply.payload, ",\\\"took_us\\\":");
    }
  } else if (Member(parsed, "httpMethod") != nullptr) {
    record.status = 400;  // Payload format 1.0, refused.
  } else {
    record.query = StringMember(parsed, "query");
    record.status = 200;
    ReadReplyBody(reply.payload, &record, &engine_took);
  }
  if (reply.is_error) record.status = 500;
  if (engine_took) record.took_us = static_cast<int64_t>(*engine_took);
  return Line(std::move(record), took);
}

std::string RequestLogger::Refused(int status, std::chrono::microseconds took) {
  RequestLogRecord record;
  record.status = status;
  record.took_us = -1;
  return Line(std::move(record), took);
}

}  // namespace libsearch
