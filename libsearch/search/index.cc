// Index::Open and IndexImpl::Search, the search pipeline stage by stage
// (search/index_impl.h lists the stages' files).
#include "libsearch/index.h"

#include <sys/stat.h>

#include <chrono>

#include "libsearch/version.h"
#include "search/index_impl.h"
#include "search/segmented_index.h"

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
  LIBSEARCH_RETURN_IF_ERROR(Validate(req));
  LIBSEARCH_ASSIGN_OR_RETURN(Collected found, Collect(req));
  SearchResponse& resp = found.resp;
  LIBSEARCH_RETURN_IF_ERROR(Finish(req, found.matched, &resp));
  resp.suggestion = CheckedSuggestion(*this, *this, req, resp.total);
  resp.took_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                           std::chrono::steady_clock::now() - start)
                                           .count());
  return std::move(resp);
}

Result<std::unique_ptr<Index>> IndexImpl::Reopen() const {
  return Index::Open(reader_->path(), options_);
}

Result<Collected> IndexImpl::Collect(const SearchRequest& req, const ForeignCursor* cursor) const {
  LIBSEARCH_ASSIGN_OR_RETURN(SearchPlan plan, Plan(req, cursor));
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
    return internal::SegmentedIndex::Open(path, options);
  }
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader, internal::IndexReader::Open(path));
  if (options.verify_checksums) LIBSEARCH_RETURN_IF_ERROR(reader->Verify());
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

const char* Version() { return LIBSEARCH_VERSION_STRING; }

}  // namespace libsearch
