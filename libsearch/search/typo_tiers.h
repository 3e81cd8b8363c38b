// Typo tiers: with SearchRequest::typos in relevance order, every doc that
// matches without a typo ranks above every doc that needs one.
#pragma once

#include <cstdint>
#include <memory>

#include "libsearch/index.h"
#include "query/query.h"
#include "query/scoring.h"

namespace libsearch::internal {

class IndexImpl;

// Whether docs match a typo request without its typos (the exact tier),
// asked in increasing doc order.
class ExactTier {
 public:
  // The request's query without typos and without its filters: asked only
  // about docs that pass them.
  static Result<std::unique_ptr<ExactTier>> Create(const IndexImpl& index,
                                                   const SearchRequest& req);
  // 0 if doc matches without typos, else 1. REQUIRES: docs increase.
  uint32_t At(uint32_t doc) {
    if (scorer_->doc() < doc) scorer_->Advance(doc);
    return scorer_->doc() == doc ? 0 : 1;
  }
  bool corrupt() const { return ctx_->corrupt(); }

 private:
  std::unique_ptr<Query> query_;
  std::unique_ptr<ScorerContext> ctx_;
  std::unique_ptr<Scorer> scorer_;
};

}  // namespace libsearch::internal
