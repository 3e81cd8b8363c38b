// The query parser in both syntaxes, through Index::ExplainQuery and Search
// on the small catalogue. Input: one byte of options, then the query text.
//
// Checked: kSimple never fails on UTF-8 text within the byte limit (README
// "Query syntax"); a query kFull accepts, with its quotes paired, reads the
// same in both; every error is InvalidArgument; filters (always kFull) too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "util/utf8.h"

namespace libsearch::fuzz {
namespace {

constexpr size_t kMaxQueryBytes = 4096;  // ParseOptions::max_query_bytes.

void CheckError(const Status& s, const std::string& query) {
  FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument, s.ToString() + " for " + query);
}

void Run(uint8_t flags, const std::string& query) {
  const std::unique_ptr<Index> opened = OpenSmallIndex();
  const Index& index = *opened;
  SearchRequest req;
  req.query = query;
  req.prefix_last = (flags & 1) != 0;
  req.typos = (flags & 2) != 0;
  req.default_operator = (flags & 4) != 0 ? Operator::kOr : Operator::kAnd;
  req.synonyms = (flags & 8) == 0;
  if ((flags & 16) != 0) req.fields = {"body"};
  req.include_docs = (flags & 32) != 0;
  req.k = 3;

  req.syntax = QuerySyntax::kSimple;
  const Result<std::string> simple = index.ExplainQuery(req);
  const bool acceptable = internal::IsValidUtf8(query) && query.size() <= kMaxQueryBytes;
  if (acceptable) {
    FUZZ_CHECK(simple.ok(), "kSimple failed: " + simple.status().ToString());
  } else if (!simple.ok()) {
    CheckError(simple.status(), query);
  }
  req.syntax = QuerySyntax::kFull;
  const Result<std::string> full = index.ExplainQuery(req);
  if (!full.ok()) {
    CheckError(full.status(), query);
  } else if (simple.ok() && std::count(query.begin(), query.end(), '"') % 2 == 0) {
    FUZZ_CHECK(*simple == *full, "kSimple " + *simple + " != kFull " + *full);
  }

  req.syntax = (flags & 64) != 0 ? QuerySyntax::kFull : QuerySyntax::kSimple;
  const Result<SearchResponse> found = index.Search(req);
  if (!found.ok()) {
    CheckError(found.status(), query);
  } else {
    FUZZ_CHECK(req.syntax == QuerySyntax::kFull || acceptable, "searched an unacceptable query");
    FUZZ_CHECK(found->hits.size() <= found->total, "more hits than the total");
  }

  // The same text as a filter, which programs write: kFull, never scored.
  SearchRequest filtered;
  filtered.filters = {query};
  filtered.k = (flags & 128) != 0 ? 0 : 2;
  filtered.include_docs = false;
  const Result<SearchResponse> r = index.Search(filtered);
  if (!r.ok()) {
    CheckError(r.status(), query);
  } else {
    for (const Hit& h : r->hits) FUZZ_CHECK(h.score == 0, "a filter changed a score");
  }
}

}  // namespace
}  // namespace libsearch::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  libsearch::fuzz::Run(data[0], std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
