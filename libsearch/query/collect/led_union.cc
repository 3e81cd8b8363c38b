#include "query/collect/led_union.h"

#include <algorithm>
#include <vector>

namespace libsearch::internal {
namespace {

// The followers' matches from some doc on, in doc order: per doc, each
// matching follower's (clause index, score), in clause order.
struct FollowerMatches {
  std::vector<uint32_t> docs;
  std::vector<uint32_t> begin;  // Per doc: its first entry; one more at the end.
  std::vector<std::pair<uint32_t, float>> entries;
  std::vector<double> sums;  // Per doc: its entries' scores summed.
};

FollowerMatches ReadFollowers(LedUnionScorer* s, uint32_t from) {
  FollowerMatches m;
  std::vector<Scorer*> followers;
  std::vector<uint32_t> index, docs;
  for (size_t i = 0; i < s->children().size(); ++i) {
    if (s->leads()[i]) continue;
    Scorer* c = s->children()[i].get();
    followers.push_back(c);
    index.push_back(static_cast<uint32_t>(i));
    docs.push_back(c->doc() < from ? c->Advance(from) : c->doc());
  }
  while (true) {
    const uint32_t x = docs.empty() ? kNoMoreDocs : *std::min_element(docs.begin(), docs.end());
    if (x == kNoMoreDocs) break;
    m.docs.push_back(x);
    m.begin.push_back(static_cast<uint32_t>(m.entries.size()));
    double sum = 0;
    for (size_t f = 0; f < followers.size(); ++f) {
      if (docs[f] != x) continue;
      const float score = followers[f]->Score();
      m.entries.emplace_back(index[f], score);
      sum += score;
      docs[f] = followers[f]->Next();
    }
    m.sums.push_back(sum);
  }
  m.begin.push_back(static_cast<uint32_t>(m.entries.size()));
  return m;
}

}  // namespace

uint64_t LedUnionCollectTop(LedUnionScorer* s, TopK* top, uint64_t count_up_to) {
  uint64_t n = 0;
  uint32_t d = s->doc();
  for (; d != kNoMoreDocs && n < count_up_to; d = s->Next(), ++n) top->Push(s->Score(), d);
  if (d == kNoMoreDocs) return n;
  const FollowerMatches f = ReadFollowers(s, d);
  const auto& children = s->children();
  std::vector<Scorer*> leads;
  std::vector<uint32_t> lead_index;  // Per lead: its clause index.
  for (size_t i = 0; i < children.size(); ++i) {
    if (!s->leads()[i]) continue;
    leads.push_back(children[i].get());
    lead_index.push_back(static_cast<uint32_t>(i));
  }
  auto min_lead = [&] {
    uint32_t x = kNoMoreDocs;
    for (Scorer* l : leads) x = std::min(x, l->doc());
    return x;
  };
  size_t next_f = 0;  // The first recorded follower doc >= the current doc.
  // Score() of the union at lead doc x: every matching clause in clause
  // order (the leads' and the recorded followers' merged by index).
  auto score = [&](uint32_t x) {
    while (next_f < f.docs.size() && f.docs[next_f] < x) ++next_f;
    const bool has_f = next_f < f.docs.size() && f.docs[next_f] == x;
    uint32_t e = has_f ? f.begin[next_f] : 0;
    const uint32_t e_end = has_f ? f.begin[next_f + 1] : 0;
    double sum = 0;
    for (size_t j = 0; j < leads.size(); ++j) {
      for (; e < e_end && f.entries[e].first < lead_index[j]; ++e) sum += f.entries[e].second;
      if (leads[j]->doc() == x) sum += leads[j]->Score();
    }
    for (; e < e_end; ++e) sum += f.entries[e].second;
    return static_cast<float>(sum);
  };
  auto next = [&](uint32_t x) {
    for (Scorer* l : leads) {
      if (l->doc() == x) l->Next();
    }
  };
  for (uint32_t x = min_lead(); x != kNoMoreDocs;) {
    if (!top->full()) {
      top->Push(score(x), x);
      next(x);
      x = min_lead();
      continue;
    }
    uint32_t up_to = kNoMoreDocs;
    for (Scorer* l : leads) {
      if (l->doc() != kNoMoreDocs) up_to = std::min(up_to, l->ShallowAdvance(x));
    }
    double bound = 0;
    for (Scorer* l : leads) {
      if (l->doc() != kNoMoreDocs) bound += l->GetMaxScore(up_to);
    }
    while (next_f < f.docs.size() && f.docs[next_f] < x) ++next_f;
    double follower_max = 0;
    for (size_t j = next_f; j < f.docs.size() && f.docs[j] <= up_to; ++j) {
      follower_max = std::max(follower_max, f.sums[j]);
    }
    const bool skip = static_cast<float>(bound + follower_max) <= top->min_score();
    if (!skip && static_cast<float>(bound) <= top->min_score()) {
      // Only a doc with followers can win here: those recorded, each
      // looked up in the leads.
      for (size_t j = next_f; j < f.docs.size() && f.docs[j] <= up_to; ++j) {
        const uint32_t y = f.docs[j];
        if (static_cast<float>(bound + f.sums[j]) <= top->min_score()) continue;
        for (Scorer* l : leads) {
          if (l->doc() < y) l->Advance(y);
        }
        if (min_lead() == y) top->Push(score(y), y);
      }
    }
    if (skip || static_cast<float>(bound) <= top->min_score()) {
      if (up_to >= kNoMoreDocs - 1) break;
      for (Scorer* l : leads) {
        if (l->doc() <= up_to) l->Advance(up_to + 1);
      }
      x = min_lead();
      continue;
    }
    for (; x <= up_to && x != kNoMoreDocs; x = min_lead()) {
      top->Push(score(x), x);
      next(x);
    }
  }
  s->Exhaust();
  return n + 1;
}

}  // namespace libsearch::internal
