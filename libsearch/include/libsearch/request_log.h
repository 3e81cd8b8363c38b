// File: libsearch/request_log.h
//
// The request log: every surface (the C++ and Python Lambda functions, the
// Cloud Run function, the HTTP service) writes one JSON line per search
// request to its standard output, which CloudWatch Logs / Cloud Logging /
// the container runtime keep. The advisor's hourly job
// (advisor/libsearch_advisor/logs.py) turns the lines into traffic.
//
//   {"libsearch_request":1,"time":1764583200.125,"surface":"lambda-cpp",
//    "cold":true,"status":200,"took_us":412,"total":37,"query_len":13,
//    "query_hash":"a3c1e2f5d8b70946"}
//
// time: Unix seconds, to the millisecond, when the answer was ready.
// cold: the first request the process (an execution environment, an
// instance) logs. status: the HTTP status; a direct Lambda invocation has
// the status of its error code (200 when it answered), a Runtime API error
// (Runtime.UnmarshalError) 500. took_us: the engine's took_us when the
// search ran, else the surface's own measure. total: the matches of an
// answered search, null otherwise. query_len: the query's code points.
// query_hash: XXH3-64 (seed 0, libxxhash) of the query's bytes as 16
// lowercase hex digits; the advisor only groups by it (zero-result
// queries). The raw query ("query") is written only with
// RequestLogOptions::include_query: queries can be personal data. The line
// is ASCII: other characters are \u escapes, so no reader that splits at
// Unicode line breaks (U+2028, U+0085) can cut it.
//
// Example (the C++ Lambda bootstrap; `took` is its own measure):
//   libsearch::RequestLogger log({.surface = "lambda-cpp", .include_query = false});
//   libsearch::LambdaReply reply = libsearch::HandleLambdaEvent(index, event);
//   std::puts(log.LambdaEvent(event, reply, took).c_str());
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "libsearch/export.h"
#include "libsearch/json.h"
#include "libsearch/lambda_event.h"

namespace libsearch {

// What one line says.
struct RequestLogRecord {
  std::chrono::system_clock::time_point time;
  std::string surface;  // "lambda-cpp", "lambda-python", "gcf-python", "service".
  bool cold = false;
  int status = 200;
  int64_t took_us = 0;
  std::optional<uint64_t> total;  // Absent: the request was not answered with hits.
  std::string query;              // Any bytes; the line stays valid JSON.
};

struct RequestLogOptions {
  std::string surface;  // Written as "surface".
  // Also write the raw query as "query" (invalid UTF-8 becomes U+FFFD).
  // Off by default; the surfaces turn it on with LIBSEARCH_LOG_QUERIES=1.
  bool include_query = false;
};

// The line for `record` (JSON text, no newline), with the raw query iff
// `include_query`.
LIBSEARCH_EXPORT std::string RequestLogLine(const RequestLogRecord& record,
                                            bool include_query = false);

// XXH3-64 of `query`'s bytes, as 16 lowercase hex digits.
LIBSEARCH_EXPORT std::string QueryHash(std::string_view query);

// A process's request log: turns what a surface received and answered into
// the line, with the query, status, total and took_us read from the
// library's own request and response formats. The first line it makes is
// the cold one. Thread-safe.
class LIBSEARCH_EXPORT RequestLogger {
 public:
  explicit RequestLogger(RequestLogOptions options);

  // Each returns the line of one request just answered. `took` is the
  // surface's own measure of the request, written when the answer carries
  // no took_us (an error).

  // A JSON request body and HandleSearchJson's reply.
  std::string SearchJson(std::string_view request_json, const JsonReply& reply,
                         std::chrono::microseconds took);
  // A URL query string and HandleSearchQueryString's reply.
  std::string SearchQueryString(std::string_view raw_query, const JsonReply& reply,
                                std::chrono::microseconds took);
  // A Lambda event and HandleLambdaEvent's reply (any of its event shapes).
  std::string LambdaEvent(std::string_view event, const LambdaReply& reply,
                          std::chrono::microseconds took);
  // A request refused before its query was read (a body over the limit, a
  // client too slow, a method not allowed): status only.
  std::string Refused(int status, std::chrono::microseconds took);

 private:
  // Stamps the time, surface and cold flag; a negative record.took_us (the
  // answer had none) becomes `took`.
  std::string Line(RequestLogRecord record, std::chrono::microseconds took);

  RequestLogOptions options_;
  std::atomic<bool> served_{false};
};

}  // namespace libsearch
