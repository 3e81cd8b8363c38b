// The request JSON model (libsearch/json.h) against the small catalogue: the
// input is a request body, also read as a GET query string and as a `batch`
// line. Checked: the handlers never throw, answer a documented HTTP status
// and a JSON body (a response, or an error object for a 4xx/5xx); a request
// ParseSearchRequest accepts gets the same answer as the engine gives it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "libsearch/json.h"

namespace libsearch::fuzz {
namespace {

void CheckReply(const JsonReply& reply, std::string_view input) {
  const int s = reply.status;
  FUZZ_CHECK(s == 200 || s == 400 || s == 404 || s == 413 || s == 500 || s == 501 || s == 504,
             "status " + std::to_string(s));
  FUZZ_CHECK(s != 500, "500 for a request: " + reply.body + " for " + std::string(input));
  FUZZ_CHECK(IsJson(reply.body), "invalid JSON body: " + reply.body);
  const auto body = nlohmann::json::parse(reply.body);
  FUZZ_CHECK(body.is_object() && (s == 200) == !body.contains("error"), reply.body);
}

void Run(std::string_view input) {
  const std::unique_ptr<Index> opened = OpenSmallIndex();
  const Index& index = *opened;
  const JsonReply posted = HandleSearchJson(index, input);
  CheckReply(posted, input);
  const Result<SearchRequest> parsed = ParseSearchRequest(index, input);
  FUZZ_CHECK(parsed.ok() || posted.status != 200, "the handler accepted what the parser refused");

  CheckReply(HandleSearchQueryString(index, input), input);

  SearchRequest line = *ParseSearchRequest(index, "{}");
  const Result<BatchQueryId> id = ParseBatchQueryInto(input, OwnerLimits(), &line);
  if (id.ok()) {
    FUZZ_CHECK(IsJson(id->json), "batch id: " + id->json);
    const Result<SearchResponse> r = index.Search(line);
    if (r.ok()) FUZZ_CHECK(IsJson(SearchResponseToJson(*r, line)), "response");
  }
}

}  // namespace
}  // namespace libsearch::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  libsearch::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
