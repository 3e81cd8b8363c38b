// Index::Open and IndexImpl::Search, the search pipeline stage by stage
// (search/index_impl.h lists the stages' files).
#include "libsearch/index.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "libsearch/version.h"
#include "search/index_impl.h"
#include "search/segmented_index.h"
#include "search/sharded_index.h"
#include "storage/shard_map.h"

namespace libsearch {
namespace internal {

IndexImpl::IndexImpl(std::unique_ptr<IndexReader> reader, const OpenOptions& options)
    : reader_(std::move(reader)),
      options_(options),
      filter_cache_(std::make_shared<FilterCache>(options.filter_cache_bytes)) {}

Status IndexImpl::Init() {
  LIBSEARCH_RETURN_IF_ERROR(InitAnalyzers());
  return InitSynonyms();
}

Result<SearchResponse> IndexImpl::Search(const SearchRequest& req) const {
  const auto start = std::chrono::steady_clock::now();
  LIBSEARCH_RETURN_IF_ERROR(reader_->Intact());
  Result<SearchResponse> resp = SearchUnchecked(req);
  // Damage found while searching (a section's first use) outranks both the
  // answer, which it may have changed, and any error it caused.
  LIBSEARCH_RETURN_IF_ERROR(reader_->Intact());
  if (resp.ok()) {
    resp->took_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - start)
                                              .count());
  }
  return resp;
}

Result<SearchResponse> IndexImpl::SearchUnchecked(const SearchRequest& req) const {
  LIBSEARCH_RETURN_IF_ERROR(Validate(req));
  LIBSEARCH_ASSIGN_OR_RETURN(Collected found, Collect(req));
  SearchResponse& resp = found.resp;
  LIBSEARCH_RETURN_IF_ERROR(Finish(req, found.matched, &resp));
  resp.suggestion = CheckedSuggestion(*this, *this, req, resp.total);
  return std::move(resp);
}

Result<std::unique_ptr<Index>> IndexImpl::Reopen() const {
  return Index::Open(reader_->path(), options_);
}

Result<Collected> IndexImpl::Collect(const SearchRequest& req, const ForeignCursor* cursor,
                                     const Query* words) const {
  LIBSEARCH_ASSIGN_OR_RETURN(SearchPlan plan, Plan(req, cursor, words));
  return Execute(req, std::move(plan));
}

Status IndexImpl::Finish(const SearchRequest& req, const MatchedTerms& matched,
                         SearchResponse* resp) const {
  LIBSEARCH_ASSIGN_OR_RETURN(std::vector<std::string> stored, FetchStored(req, resp));
  HighlightHits(req, matched, stored, resp);
  FillDocuments(req, std::move(stored), resp);
  return Status::Ok();
}

}  // namespace internal

Result<std::unique_ptr<Index>> Index::Open(const std::string& path, const OpenOptions& options) {
  LIBSEARCH_RETURN_IF_ERROR(ValidateBm25Params(options.bm25));
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    if (internal::IsShardMapDir(path)) return ShardedIndex::Open(path, options);
  }
  if (!options.shards.empty()) {
    return Status::InvalidArgument("'" + path +
                                   "' is not a sharded index: OpenOptions::shards applies to "
                                   "sharded indexes only");
  }
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return internal::SegmentedIndex::Open(path, options);
  }
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader, internal::IndexReader::Open(path, options.checksums));
  auto index = std::make_unique<internal::IndexImpl>(std::move(reader), options);
  LIBSEARCH_RETURN_IF_ERROR(index->Init());
  return std::unique_ptr<Index>(std::move(index));
}

std::vector<Result<SearchResponse>> Index::SearchBatch(
    const std::vector<SearchRequest>& requests) const {
  std::vector<Result<SearchResponse>> out;
  out.reserve(requests.size());
  for (const SearchRequest& r : requests) out.push_back(Search(r));
  return out;
}

Result<ChecksumPolicy> ParseChecksumPolicy(const std::string& name) {
  for (ChecksumPolicy p :
       {ChecksumPolicy::kOnFirstUse, ChecksumPolicy::kAtOpen, ChecksumPolicy::kOff}) {
    if (name == ChecksumPolicyName(p)) return p;
  }
  const bool printable = name.size() <= 40 && std::all_of(name.begin(), name.end(), [](char c) {
                           return c >= 0x20 && c < 0x7f;
                         });
  return Status::InvalidArgument("checksums: expected first-use, open or off, got " +
                                 (printable ? "'" + name + "'" : std::string("another value")));
}

const char* ChecksumPolicyName(ChecksumPolicy policy) {
  switch (policy) {
    case ChecksumPolicy::kOnFirstUse: return "first-use";
    case ChecksumPolicy::kAtOpen: return "open";
    case ChecksumPolicy::kOff: return "off";
  }
  return "first-use";
}

const char* Version() { return LIBSEARCH_VERSION_STRING; }

}  // namespace libsearch
