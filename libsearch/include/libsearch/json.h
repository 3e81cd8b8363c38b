// File: libsearch/json.h
//
// The search API's one JSON model: a request object in, a response object
// out. Every surface reads and writes through it (the CLI's --json and
// `batch`, Python, the Lambda bootstraps, the Cloud Run function and the
// HTTP service), so one request gives the same bytes everywhere. README
// "Search API" lists the keys; functions/http_service/openapi.yaml is the
// same model as OpenAPI.
//
// Request:
//   {"query": "choc", "k": 10, "prefix": true, "typos": true,
//    "filters": ["sugars_100g:<20"], "facets": ["brands:5", "sugars_100g:0..5,5..*"],
//    "disjunctive": ["brands"], "sort": "sugars_100g:asc,_score",
//    "highlight": ["product_name"], "retrieve": ["product_name", "brands"]}
// Response:
//   {"total": 97, "total_exact": true, "took_us": 404,
//    "hits": [{"id": "0855094006359", "score": 14.5601, "doc": {...},
//              "highlights": {"product_name": "Dark <em>choc</em>olate"}}],
//    "facets": {"brands": [{"value": "lindt", "count": 9}]},
//    "next_cursor": "...", "suggestion": null}
// Errors:
//   {"error": {"code": "invalid_argument", "message": "..."}}
//
// Example:
//   auto index = libsearch::Index::Open("products.idx");
//   libsearch::JsonReply r = libsearch::HandleSearchJson(**index, R"({"query": "tea"})");
//   // r.status == 200, r.body == {"total":...}
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/export.h"
#include "libsearch/index.h"
#include "libsearch/status.h"

namespace libsearch {

// Bounds on a request, so that one hostile request cannot cost much. The
// defaults are what every network surface enforces.
struct JsonLimits {
  size_t max_body_bytes = 64 * 1024;  // Request body or query string.
  int max_depth = 4;                  // JSON nesting ({} and [] levels).
  size_t max_k = 1000;
  size_t max_offset = 10000;
  size_t max_query_bytes = 2048;
  size_t max_list_items = 32;    // Entries of each list key.
  size_t max_item_bytes = 1024;  // Bytes of one list entry or of a cursor.
};

// Limits for requests the index's owner writes rather than a network client
// (a schema's search_defaults, the CLI's flags, batch files): only the
// engine's own bounds apply (k + offset <= 10,000, the parser's limits).
LIBSEARCH_EXPORT JsonLimits OwnerLimits();

// The request keys, in the order they are read.
inline constexpr std::string_view kRequestKeys =
    "query, k, offset, filters, fields, operator, facets, disjunctive, sort, search_after, "
    "typos, prefix, highlight, synonyms, suggest, exact_total, include_docs, retrieve, "
    "syntax, max_expansions, field_scoring, partial_results";

// Parses a request object (JSON text) into `*request`, over the values
// already in it: a key that is absent leaves its field as it is. Errors are
// InvalidArgument naming the key and what it takes; a body over
// limits.max_body_bytes is ResourceExhausted. A UTF-8 byte order mark
// before the object is skipped.
[[nodiscard]] LIBSEARCH_EXPORT Status ParseSearchRequestInto(std::string_view json,
                                                             const JsonLimits& limits,
                                                             SearchRequest* request);

// The id of a `batch` query line, as JSON text (for JSON output) and as
// plain text (a string id unquoted, anything else its JSON text; for TREC
// runs).
struct BatchQueryId {
  std::string json;
  std::string text;
};

// One line of a batch file, {"id": ..., ...any request key}: the keys other
// than "id" are read into `*request` as ParseSearchRequestInto does, with the
// same limits (limits.max_depth counts the whole line).
[[nodiscard]] LIBSEARCH_EXPORT Result<BatchQueryId> ParseBatchQueryInto(std::string_view line,
                                                                        const JsonLimits& limits,
                                                                        SearchRequest* request);

// The request an index answers a JSON object with: the library's defaults,
// then the index's `search_defaults` (Schema::search_defaults_json()), then
// the keys of `json`.
[[nodiscard]] LIBSEARCH_EXPORT Result<SearchRequest> ParseSearchRequest(
    const Index& index, std::string_view json, const JsonLimits& limits = {});

// A URL query string (without '?') as the JSON request it stands for: q (or
// query), k, offset, filter/filters (repeatable), fields (comma-separated,
// repeatable), operator, facet/facets (repeatable; ranges hold commas),
// disjunctive (comma-separated), sort, search_after, typos, prefix,
// highlight (comma-separated), synonyms, suggest, exact_total, include_docs
// (true|false|1|0), retrieve (comma-separated), syntax, max_expansions,
// field_scoring, partial_results (true|false|1|0).
// Over limits.max_body_bytes is ResourceExhausted.
[[nodiscard]] LIBSEARCH_EXPORT Result<std::string> QueryStringToRequestJson(
    std::string_view raw_query, const JsonLimits& limits = {});

// "brands", "brands:20" (keyword: the 20 most frequent values) or
// "sugars_100g:0..5,5..20,20..*" (numeric ranges [lo, hi); "*" or nothing
// is an open end; the range text is its label).
[[nodiscard]] LIBSEARCH_EXPORT Result<FacetRequest> ParseFacetSpec(std::string_view spec);

// "price:desc,brands,_score": fields in turn, each ":asc" (the default) or
// ":desc"; "_score" is relevance (best first unless ":asc").
[[nodiscard]] LIBSEARCH_EXPORT Result<std::vector<SortField>> ParseSortSpec(std::string_view spec);

// The response object above. `request` says which optional parts to write:
// "doc" iff include_docs, "highlights" iff highlight fields were asked for.
LIBSEARCH_EXPORT std::string SearchResponseToJson(const SearchResponse& response,
                                                  const SearchRequest& request);

// {"error": {"code": ..., "message": ...}} for a non-OK status.
LIBSEARCH_EXPORT std::string ErrorToJson(const Status& status);

// A float score as JSON: the shortest decimal that reads back to the same
// float, laid out as Python's repr() ("14.5601", "15.0", "1e-05").
LIBSEARCH_EXPORT std::string ScoreToJson(float score);

// The snake_case API code and HTTP status of a status code:
// invalid_argument and resource_exhausted 400, not_found 404, conflict 409,
// unimplemented 501, corrupt_index, io_error and internal 500, unavailable
// 503 (a shard of a fan-out search failed; libsearch/fan_out.h).
LIBSEARCH_EXPORT std::string_view ErrorCodeName(StatusCode code);
LIBSEARCH_EXPORT int HttpStatusOf(StatusCode code);

struct JsonReply {
  int status = 200;  // HTTP status.
  std::string body;  // JSON text: a response or an error object.
};

struct HandleOptions {
  JsonLimits limits;
  // The caller's deadline (Lambda-Runtime-Deadline-Ms). A request handled
  // after it gets 504 deadline_exceeded without searching; a search that
  // starts in time runs to completion.
  std::optional<std::chrono::system_clock::time_point> deadline;
};

// Parses, searches and writes the response; never throws. Statuses: 200,
// 400 (invalid_argument, resource_exhausted), 404, 413 payload_too_large
// (body over the limit), 500, 501, 504 deadline_exceeded.
LIBSEARCH_EXPORT JsonReply HandleSearchJson(const Index& index, std::string_view request_json,
                                            const HandleOptions& options = {});

// The same for a GET query string (QueryStringToRequestJson).
LIBSEARCH_EXPORT JsonReply HandleSearchQueryString(const Index& index, std::string_view raw_query,
                                                   const HandleOptions& options = {});

// An error reply: {"error": {"code": code, "message": message}}.
LIBSEARCH_EXPORT JsonReply ErrorReply(int status, std::string_view code, std::string_view message);

}  // namespace libsearch
