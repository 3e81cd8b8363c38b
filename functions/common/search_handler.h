// File: functions/common/search_handler.h
//
// The one request handler behind every deployment surface (AWS Lambda, the
// HTTP service, and, through its Python twin search_handler.py, the Python
// Lambda handler and the Cloud Functions function). It takes the JSON text
// of a search request and returns an HTTP-like response whose body is the
// CLI's JSON shape:
//
//   {"total": 97, "total_exact": true, "took_us": 404,
//    "hits": [{"id": "0855094006359", "score": 14.5601, "doc": {...}}]}
//
// or a structured error with the matching HTTP status:
//
//   {"error": {"code": "invalid_argument", "message": "..."}}
//
// It uses the public C++ API only. Each surface converts its own event shape
// (API Gateway v2, Function URL, direct invoke, HTTP request) into a call to
// HandleSearch or HandleQueryString, and the response back.
//
// Example:
//   auto index = libsearch::Index::Open("products.idx");
//   libsearch::functions::HttpLikeResponse r = libsearch::functions::HandleSearch(
//       **index, R"({"query": "peanut butter", "k": 3})");
//   // r.status == 200, r.body_json == {"total":97,...}
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <libsearch/index.h>
#include <libsearch/status.h>

namespace libsearch::functions {

// Request limits. The defaults are what every surface enforces; the Python
// twin (search_handler.py) has the same numbers.
struct Limits {
  size_t max_body_bytes = 64 * 1024;  // Request body or query string.
  int max_depth = 4;                  // JSON nesting ({} and [] levels).
  size_t max_k = 1000;
  size_t max_offset = 10000;
  size_t max_query_bytes = 2048;
  size_t max_list_items = 32;         // Entries of "filters" and of "fields".
  size_t max_item_bytes = 1024;       // Bytes of one filter or field name.
};

struct HandleOptions {
  Limits limits;
  // The caller's deadline (Lambda's Lambda-Runtime-Deadline-Ms). A request
  // that arrives after it gets 504 deadline_exceeded without searching. The
  // engine has no time budget yet, so a search that starts in time runs to
  // completion.
  std::optional<std::chrono::system_clock::time_point> deadline;
};

struct HttpLikeResponse {
  int status = 200;       // HTTP status code.
  std::string body_json;  // The response body (JSON text).
};

// The keys a request may have, in the order they are checked:
// "query", "k", "offset", "filters", "fields", "operator", "exact_total",
// "include_docs". Anything else is rejected (facets, sort and highlight are
// not in the engine yet).
inline constexpr std::string_view kKnownKeys =
    "query, k, offset, filters, fields, operator, exact_total, include_docs";

// Runs the search `request_json` describes on `index` and returns the
// response. Never throws; every failure becomes an error response:
//   400 invalid_argument / resource_exhausted, 404 not_found,
//   413 payload_too_large, 500 corrupt_index / io_error / internal,
//   501 unimplemented, 504 deadline_exceeded.
HttpLikeResponse HandleSearch(const Index& index, std::string_view request_json,
                              const HandleOptions& options = {});

// The same for a URL query string (without the '?'), as GET /search takes:
//   q (or query), k, offset, filter (repeatable), fields (comma-separated,
//   repeatable), operator, exact_total, include_docs (true|false|1|0).
// The parameters become the JSON request above, then HandleSearch runs.
HttpLikeResponse HandleQueryString(const Index& index, std::string_view raw_query,
                                   const HandleOptions& options = {});

// The JSON request a query string stands for, or an invalid_argument /
// payload_too_large error response.
struct QueryStringResult {
  std::optional<HttpLikeResponse> error;
  std::string request_json;
};
QueryStringResult QueryStringToRequestJson(std::string_view raw_query, const Limits& limits = {});

// {"error": {"code": code, "message": message}} with `status`.
HttpLikeResponse ErrorResponse(int status, std::string_view code, std::string_view message);

// The error response for a non-OK engine status (see HandleSearch).
HttpLikeResponse StatusResponse(const Status& status);

// The snake_case error code and HTTP status for an engine status code.
std::string_view ErrorCode(StatusCode code);
int HttpStatus(StatusCode code);

// A search response in the CLI's JSON shape. Scores are floats printed the
// CLI's way: the "%.9g" text read back as a double, printed shortest.
std::string SearchResponseJson(const SearchResponse& response, bool include_docs);

// A score as JSON: ShortestDouble of the float's "%.9g" text read back.
std::string ScoreJson(float score);

// The shortest decimal that reads back to `d`, laid out as Python's repr()
// ("4.59955311", "15.0", "1e-05", "1e+16"); "null" if not finite. The CLI
// prints the same double through nlohmann::json, whose Grisu2 is not always
// shortest (4.5995531099999996 for 4.59955311): same value, other text.
std::string ShortestDouble(double d);

// JSON text of `s` as a string literal (quotes included). Invalid UTF-8 is
// replaced by U+FFFD.
std::string JsonString(std::string_view s);

// Whether `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

// The deepest nesting of [] and {} in JSON text (strings are skipped).
// Stops counting once `limit` is exceeded and returns limit + 1.
int JsonDepth(std::string_view text, int limit);

}  // namespace libsearch::functions
