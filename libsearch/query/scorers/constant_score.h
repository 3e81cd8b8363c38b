// Scorers whose every match scores 0 (filters): empty, match-all, numeric
// range, precomputed doc set, and any scorer made unscored. They share the
// bounds (0 everywhere, one window to the end) through ConstantScorer.
#pragma once

#include <cstdint>
#include <memory>

#include "index/index_reader.h"
#include "query/query.h"
#include "query/scorer.h"
#include "util/doc_set.h"

namespace libsearch::internal {

class ConstantScorer : public Scorer {
 public:
  ScorerFamily family() const override { return ScorerFamily::kConstant; }
  float Score() override { return 0; }
  float MaxScore() override { return 0; }
  uint32_t ShallowAdvance(uint32_t) override { return kNoMoreDocs; }
  float GetMaxScore(uint32_t) override { return 0; }
};

// Matches nothing (a missing term or field).
class EmptyScorer final : public ConstantScorer {
 public:
  ScorerFamily family() const override { return ScorerFamily::kEmpty; }
  uint32_t doc() const override { return kNoMoreDocs; }
  uint32_t Next() override { return kNoMoreDocs; }
  uint32_t Advance(uint32_t) override { return kNoMoreDocs; }
  uint64_t cost() const override { return 0; }
};

class MatchAllScorer final : public ConstantScorer {
 public:
  explicit MatchAllScorer(uint32_t num_docs)
      : num_docs_(num_docs), doc_(num_docs ? 0 : kNoMoreDocs) {}
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ + 1 < num_docs_ ? doc_ + 1 : kNoMoreDocs; }
  uint32_t Advance(uint32_t t) override { return doc_ = t < num_docs_ ? t : kNoMoreDocs; }
  uint64_t cost() const override { return num_docs_; }

 private:
  uint32_t num_docs_;
  uint32_t doc_;
};

// Docs whose numeric value lies in a range, read from the column.
// Advance() scans forward, so inside a conjunction led by a rarer clause it
// only looks at candidate docs. Block {min, max} (1.4 files) let the scan
// jump over blocks the range cannot match, and accept docs of a block the
// range covers by the presence bit alone.
class RangeScorer final : public ConstantScorer {
 public:
  RangeScorer(const NumericColumn* column, uint32_t num_docs, const Query& q)
      : column_(column),
        num_docs_(num_docs),
        lo_(q.lo),
        hi_(q.hi),
        lo_inclusive_(q.lo_inclusive),
        hi_inclusive_(q.hi_inclusive) {
    doc_ = Scan(0);
  }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ == kNoMoreDocs ? doc_ : Scan(doc_ + 1); }
  uint32_t Advance(uint32_t t) override { return doc_ = Scan(t); }
  uint64_t cost() const override { return num_docs_; }

 private:
  bool InRange(double v) const {
    return (lo_inclusive_ ? v >= lo_ : v > lo_) && (hi_inclusive_ ? v <= hi_ : v < hi_);
  }
  bool Matches(uint32_t d) const { return column_->Has(d) && InRange(column_->Value(d)); }
  uint32_t Scan(uint32_t d);

  const NumericColumn* column_;
  uint32_t num_docs_;
  double lo_, hi_;
  bool lo_inclusive_, hi_inclusive_;
  uint32_t doc_ = kNoMoreDocs;
  uint32_t block_ = ~0u;  // The block covered_ and disjoint_ describe.
  bool covered_ = false, disjoint_ = false;
};

// The docs of a precomputed set (a cached filter). Inside a conjunction led
// by another clause it is asked Advance(candidate) and mostly answers with a
// membership test; the iterator catches up (one seek) only when the
// candidate is not in the set or Next() is called.
class DocSetScorer final : public ConstantScorer {
 public:
  explicit DocSetScorer(std::shared_ptr<const DocSet> set)
      : set_(std::move(set)), it_(*set_), doc_(it_.doc(kNoMoreDocs)) {}
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override;
  uint32_t Advance(uint32_t t) override;
  uint64_t cost() const override { return set_->cardinality(); }

 private:
  std::shared_ptr<const DocSet> set_;
  DocSet::Iterator it_;
  uint32_t doc_;
  bool stale_ = false;  // it_ is behind doc_.
};

// A filter: the wrapped scorer's matches with score 0 (and bounds 0).
// Counting strategies may look through it (inner()).
class UnscoredScorer final : public ConstantScorer {
 public:
  explicit UnscoredScorer(std::unique_ptr<Scorer> inner) : inner_(std::move(inner)) {}
  ScorerFamily family() const override { return ScorerFamily::kUnscored; }
  uint32_t doc() const override { return inner_->doc(); }
  uint32_t Next() override { return inner_->Next(); }
  uint32_t Advance(uint32_t t) override { return inner_->Advance(t); }
  uint64_t cost() const override { return inner_->cost(); }
  Scorer* inner() const { return inner_.get(); }

 private:
  std::unique_ptr<Scorer> inner_;
};

}  // namespace libsearch::internal
