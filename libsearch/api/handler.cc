// The request handler of every network surface (libsearch/json.h): JSON or
// a query string in, an HTTP status and JSON body out.
#include <algorithm>
#include <exception>
#include <string>

#include "libsearch/json.h"

namespace libsearch {
namespace {

JsonReply StatusReply(const Status& status) {
  return ErrorReply(HttpStatusOf(status.code()), ErrorCodeName(status.code()), status.message());
}

JsonReply TooLarge(std::string_view what, size_t bytes, size_t limit) {
  return ErrorReply(413, "payload_too_large",
                    std::string(what) + " is " + std::to_string(bytes) + " bytes; the limit is " +
                        std::to_string(limit));
}

}  // namespace

JsonReply HandleSearchJson(const Index& index, std::string_view request_json,
                           const HandleOptions& options) {
  if (request_json.size() > options.limits.max_body_bytes) {
    return TooLarge("request body", request_json.size(), options.limits.max_body_bytes);
  }
  try {
    Result<SearchRequest> req = ParseSearchRequest(index, request_json, options.limits);
    if (!req.ok()) return StatusReply(req.status());
    if (options.deadline && std::chrono::system_clock::now() >= *options.deadline) {
      return ErrorReply(504, "deadline_exceeded",
                        "the invocation deadline passed before the search started");
    }
    Result<SearchResponse> resp = index.Search(*req);
    if (!resp.ok()) return StatusReply(resp.status());
    return {200, SearchResponseToJson(*resp, *req)};
  } catch (const std::exception& e) {
    // Out of memory, mostly; the surface stays up and says so.
    return ErrorReply(500, "internal", std::string("search failed: ") + e.what());
  }
}

JsonReply HandleSearchQueryString(const Index& index, std::string_view raw_query,
                                  const HandleOptions& options) {
  if (raw_query.size() > options.limits.max_body_bytes) {
    return TooLarge("query string", raw_query.size(), options.limits.max_body_bytes);
  }
  Result<std::string> json = QueryStringToRequestJson(raw_query, options.limits);
  if (!json.ok()) return StatusReply(json.status());
  // The limit applied to the query string; its JSON form is a little longer.
  HandleOptions json_options = options;
  json_options.limits.max_body_bytes = std::max(json->size(), options.limits.max_body_bytes);
  return HandleSearchJson(index, *json, json_options);
}

}  // namespace libsearch
