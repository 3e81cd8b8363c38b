#include "query/scorers/led_union_scorer.h"

#include <algorithm>

namespace libsearch::internal {

LedUnionScorer::LedUnionScorer(std::vector<std::unique_ptr<Scorer>> children,
                               std::vector<bool> leads)
    : children_(std::move(children)), leads_(std::move(leads)) {
  docs_.reserve(children_.size());
  for (size_t i = 0; i < children_.size(); ++i) {
    docs_.push_back(children_[i]->doc());
    if (leads_[i]) lead_index_.push_back(static_cast<uint32_t>(i));
  }
  followers_from_ = 0;
  Update();
}

uint32_t LedUnionScorer::Update() {
  doc_ = kNoMoreDocs;
  for (const uint32_t i : lead_index_) doc_ = std::min(doc_, docs_[i]);
  return doc_;
}

uint32_t LedUnionScorer::Next() {
  if (doc_ == kNoMoreDocs) return doc_;
  for (const uint32_t i : lead_index_) {
    if (docs_[i] == doc_) docs_[i] = children_[i]->Next();
  }
  return Update();
}

uint32_t LedUnionScorer::Advance(uint32_t target) {
  for (const uint32_t i : lead_index_) {
    if (docs_[i] < target) docs_[i] = children_[i]->Advance(target);
  }
  return Update();
}

// DisjunctionScorer::Score's arithmetic, the followers brought to the doc
// first. While every follower is past the doc, only leads can match it:
// their sum in clause order is the same sum.
float LedUnionScorer::Score() {
  double sum = 0;
  if (followers_from_ > doc_) {
    for (const uint32_t i : lead_index_) {
      if (docs_[i] == doc_) sum += children_[i]->Score();
    }
    return static_cast<float>(sum);
  }
  uint32_t from = kNoMoreDocs;
  for (size_t i = 0; i < children_.size(); ++i) {
    uint32_t d = docs_[i];
    if (!leads_[i]) {
      if (d < doc_) d = docs_[i] = children_[i]->Advance(doc_);
      from = std::min(from, d);
    }
    if (d == doc_) sum += children_[i]->Score();
  }
  followers_from_ = from;
  return static_cast<float>(sum);
}

uint64_t LedUnionScorer::cost() const {
  uint64_t c = 0;
  for (size_t i = 0; i < children_.size(); ++i) {
    if (leads_[i]) c += children_[i]->cost();
  }
  return c;
}

// The bounds of every clause: a led doc may match all of them.
float LedUnionScorer::MaxScore() {
  double sum = 0;
  for (auto& c : children_) sum += c->MaxScore();
  return static_cast<float>(sum);
}

uint32_t LedUnionScorer::ShallowAdvance(uint32_t target) {
  uint32_t up_to = kNoMoreDocs;
  for (auto& c : children_) up_to = std::min(up_to, c->ShallowAdvance(target));
  return up_to;
}

float LedUnionScorer::GetMaxScore(uint32_t up_to) {
  double sum = 0;
  for (auto& c : children_) sum += c->GetMaxScore(up_to);
  return static_cast<float>(sum);
}

}  // namespace libsearch::internal
