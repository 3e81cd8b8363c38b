// Unions: docs any clause matches, the matching clauses' scores summed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "query/scorer.h"
#include "query/scorers/term_scorer.h"

namespace libsearch::internal {

// A union's cost and global bound: its children's, summed (the bound in
// double and in child order, as Score() sums).
template <typename Children>
uint64_t SumCost(const Children& children) {
  uint64_t c = 0;
  for (const auto& ch : children) c += ch->cost();
  return c;
}
template <typename Children>
float SumMaxScore(Children& children) {
  double sum = 0;
  for (auto& c : children) sum += c->MaxScore();
  return static_cast<float>(sum);
}

// Union: the doc is the smallest child doc; the score sums matching children
// in child order.
class DisjunctionScorer final : public Scorer {
 public:
  explicit DisjunctionScorer(std::vector<std::unique_ptr<Scorer>> children);
  ScorerFamily family() const override { return ScorerFamily::kDisjunction; }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override {
    if (doc_ == kNoMoreDocs) return doc_;
    return terms_.empty() ? NextOf(children_) : NextOf(terms_);
  }
  uint32_t Advance(uint32_t t) override {
    return terms_.empty() ? AdvanceOf(children_, t) : AdvanceOf(terms_, t);
  }
  float Score() override { return terms_.empty() ? ScoreOf(children_) : ScoreOf(terms_); }
  uint64_t cost() const override { return SumCost(children_); }
  float MaxScore() override { return SumMaxScore(children_); }
  uint32_t ShallowAdvance(uint32_t target) override {
    uint32_t up_to = kNoMoreDocs;
    for (auto& c : children_) up_to = std::min(up_to, c->ShallowAdvance(target));
    return up_to;
  }
  float GetMaxScore(uint32_t up_to) override {
    double sum = 0;
    for (auto& c : children_) sum += c->GetMaxScore(up_to);
    return static_cast<float>(sum);
  }

  // --- For collection strategies (MaxScore, COUNT), in Score()'s order.
  const std::vector<std::unique_ptr<Scorer>>& clauses() const { return children_; }
  // The clauses as terms when every clause is one, else empty.
  const std::vector<TermScorer*>& terms() const { return terms_; }
  // Hands the clauses over (leaving this scorer empty and exhausted).
  std::vector<std::unique_ptr<Scorer>> TakeClauses();
  // Marks the scorer exhausted, after a strategy moved its clauses itself.
  void Exhaust() { doc_ = kNoMoreDocs; }

 private:
  // The loops read each child's doc from docs_ (kept in step with the child:
  // only these loops move a child while the union is live; strategies that
  // move children themselves exhaust the union), so a step over many
  // clauses, most of them elsewhere (a word's typo expansions), scans one
  // array instead of calling every child.
  uint32_t Update() {
    doc_ = kNoMoreDocs;
    for (const uint32_t d : docs_) doc_ = std::min(doc_, d);
    return doc_;
  }
  template <typename Kids>
  uint32_t NextOf(Kids& kids) {
    for (size_t i = 0; i < docs_.size(); ++i) {
      if (docs_[i] == doc_) docs_[i] = kids[i]->Next();
    }
    return Update();
  }
  template <typename Kids>
  uint32_t AdvanceOf(Kids& kids, uint32_t t) {
    for (size_t i = 0; i < docs_.size(); ++i) {
      if (docs_[i] < t) docs_[i] = kids[i]->Advance(t);
    }
    return Update();
  }
  template <typename Kids>
  float ScoreOf(Kids& kids) {
    double sum = 0;
    for (size_t i = 0; i < docs_.size(); ++i) {
      if (docs_[i] == doc_) sum += kids[i]->Score();
    }
    return static_cast<float>(sum);
  }

  std::vector<std::unique_ptr<Scorer>> children_;
  std::vector<TermScorer*> terms_;  // children_ as terms, or empty.
  std::vector<uint32_t> docs_;      // Per child: its doc().
  uint32_t doc_ = kNoMoreDocs;
};

}  // namespace libsearch::internal
