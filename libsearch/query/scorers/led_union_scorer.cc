#include "query/scorers/led_union_scorer.h"

#include <algorithm>

namespace libsearch::internal {

LedUnionScorer::LedUnionScorer(std::vector<std::unique_ptr<Scorer>> children,
                               std::vector<bool> leads)
    : children_(std::move(children)), leads_(std::move(leads)) {
  Update();
}

uint32_t LedUnionScorer::Update() {
  doc_ = kNoMoreDocs;
  for (size_t i = 0; i < children_.size(); ++i) {
    if (leads_[i]) doc_ = std::min(doc_, children_[i]->doc());
  }
  return doc_;
}

uint32_t LedUnionScorer::Next() {
  if (doc_ == kNoMoreDocs) return doc_;
  for (size_t i = 0; i < children_.size(); ++i) {
    if (leads_[i] && children_[i]->doc() == doc_) children_[i]->Next();
  }
  return Update();
}

uint32_t LedUnionScorer::Advance(uint32_t target) {
  for (size_t i = 0; i < children_.size(); ++i) {
    if (leads_[i] && children_[i]->doc() < target) children_[i]->Advance(target);
  }
  return Update();
}

// DisjunctionScorer::Score's arithmetic, the followers brought to the doc first.
float LedUnionScorer::Score() {
  double sum = 0;
  for (size_t i = 0; i < children_.size(); ++i) {
    Scorer* c = children_[i].get();
    uint32_t d = c->doc();
    if (!leads_[i] && d < doc_) d = c->Advance(doc_);
    if (d == doc_) sum += c->Score();
  }
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
