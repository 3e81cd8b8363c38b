#include "search/visit_all.h"

#include <atomic>
#include <cstring>

namespace libsearch::internal {
namespace {

std::atomic<bool> batched{true};

using Value = HitOrder::Position::Value;

// A doc's value of the leading numeric sort key, and the order of two such
// values (HitOrder::CompareValues: missing values last either way).
struct LeadKey {
  const NumericColumn* column;
  bool descending;
  bool plain_float;  // A float column without an overlay: values read as is.
  Value Of(uint32_t d) const {
    Value v;
    v.has = column->Has(d);
    if (!v.has) return v;
    if (plain_float) {
      std::memcpy(&v.v, column->values + 8ull * d, 8);
    } else {
      v.v = column->Value(d);
    }
    return v;
  }
  int Compare(const Value& a, const Value& b) const {
    if (a.has != b.has) return a.has ? -1 : 1;
    if (!a.has) return 0;
    const int cmp = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
    return descending ? -cmp : cmp;
  }
};

}  // namespace

void SetBatchedVisitAll(bool on) { batched.store(on, std::memory_order_relaxed); }
bool BatchedVisitAll() { return batched.load(std::memory_order_relaxed); }

uint64_t VisitBlocks(MatchBlocks* matches, const HitOrder& order, const HitOrder::Position* cursor,
                     TypoTier* tiers, std::span<FacetCounter* const> counters,
                     SortCollector* sorted) {
  LeadKey lead{nullptr, false, false};
  lead.column = order.LeadingNumeric(&lead.descending);
  lead.plain_float = lead.column != nullptr && lead.column->overlay_docs == nullptr &&
                     lead.column->spec->type == FieldType::kFloat;
  const bool keeps = sorted->keep() > 0;
  // One key: MayKeep says yes to a tie on it (the score settles it).
  const bool one_key = lead.column != nullptr && order.num_keys() == 1;
  const bool has_cursor = cursor != nullptr;
  const Value after = has_cursor && lead.column != nullptr ? cursor->values[0] : Value{};
  // The worst kept entry's leading value and score, once the collector is full.
  bool full = false;
  Value worst;
  float worst_score = 0;
  const auto refresh = [&] {
    full = sorted->full();
    if (full && lead.column != nullptr) {
      worst = lead.Of(sorted->worst_doc());
      worst_score = sorted->worst_score();
    }
  };
  refresh();
  // MayKeep's verdict, from the leading value where it settles it: a doc
  // strictly worse than the worst kept one, or strictly before the cursor,
  // is out (kOut); strictly between them, in; a tie needs the other keys.
  // With one key, a tie with the worst kept entry is kept iff its score is
  // higher (a later doc with the same score ranks after): kIfHigher.
  enum Verdict { kOut, kIn, kIfHigher };
  const auto may_keep = [&](uint32_t d) {
    if (!keeps) return kOut;
    if (lead.column == nullptr) return sorted->MayKeep(d) ? kIn : kOut;
    const Value v = lead.Of(d);
    int tie = 0;
    if (has_cursor) {
      const int c = lead.Compare(v, after);
      if (c < 0) return kOut;
      tie |= c == 0;
    }
    if (full) {
      const int c = lead.Compare(worst, v);
      if (c < 0) return kOut;
      if (c == 0 && one_key) return kIfHigher;
      tie |= c == 0;
    }
    return tie == 0 || one_key || sorted->MayKeep(d) ? kIn : kOut;
  };
  uint64_t total = 0;
  uint32_t docs[MatchBlocks::kBlockDocs];
  for (;;) {
    const uint32_t n = matches->Fill(docs, [&](uint32_t d) {
      const Verdict verdict = may_keep(d);
      if (verdict == kOut) return;
      float score;
      if (verdict == kIfHigher) {
        // Offer would refuse it unless its score is higher.
        if (!matches->ScoreAbove(worst_score, &score) || !(score > worst_score)) return;
      } else {
        score = matches->Score();
      }
      sorted->Offer({score, d, tiers != nullptr ? tiers->At(d) : 0});
      refresh();
    });
    if (n == 0) break;
    total += n;
    for (FacetCounter* c : counters) c->AddBlock(docs, n);
  }
  return total;
}

void CountBlocks(MatchBlocks* matches, FacetCounter* counter) {
  uint32_t docs[MatchBlocks::kBlockDocs];
  for (;;) {
    const uint32_t n = matches->Fill(docs, [](uint32_t) {});
    if (n == 0) break;
    counter->AddBlock(docs, n);
  }
}

}  // namespace libsearch::internal
