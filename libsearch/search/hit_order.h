// The order of hits under SearchRequest::sort, and search_after cursors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "index/index_reader.h"
#include "libsearch/index.h"

namespace libsearch::internal {

// The order of hits under SearchRequest::sort: each sort field in turn
// (missing values last whatever the direction), then score descending, then
// doc ascending. Thread-safety: immutable.
class HitOrder {
 public:
  static Result<HitOrder> Create(const IndexReader& reader, const std::vector<SortField>& sort);
  // True iff (a, a_score) ranks strictly before (b, b_score).
  bool Before(uint32_t a, float a_score, uint32_t b, float b_score) const;
  // The order of a and b by the sort fields before the first `_score` key:
  // <0 if a ranks first, >0 if b does, 0 if that needs their scores. Lets
  // a collector reject a doc without scoring it.
  int CompareUnscored(uint32_t a, uint32_t b) const;

  // A sort value in a form other files (segments) can compare with their
  // own docs': numbers as themselves, keyword values as text.
  struct Portable {
    bool has = false;
    double number = 0;
    std::string text;
  };
  // A search_after position, which need not be a doc of this file: a hit
  // of another segment ranks here by its values, score, tier and doc.
  struct Position {
    // Per key (ignored for _score): numbers as themselves; keyword values as
    // twice their ordinal here, or, absent here, twice the ordinal of the
    // next greater term minus one (so they sort between their neighbours).
    struct Value {
      bool has = false;
      double v = 0;
    };
    std::vector<Value> values;
    float score = 0;
    // Ties on everything else: docs above this rank after the cursor (-1:
    // every doc of this file does; num_docs: none does).
    int64_t doc = 0;
    uint32_t tier = 0;  // Typo tier (relevance order only).
  };
  // The position of `doc` with `score` (and `tier`) in this file.
  Position CursorAt(uint32_t doc, float score, uint32_t tier = 0) const;
  // The sort values of `doc`, one per key, for CursorFrom in another file.
  std::vector<Portable> PortableValues(uint32_t doc) const;
  Position CursorFrom(const std::vector<Portable>& values, float score, int64_t doc,
                      uint32_t tier) const;
  // The first key's column if it is a numeric field (else null), and its
  // direction: a collector can reject most docs on that value alone.
  const NumericColumn* LeadingNumeric(bool* descending) const {
    if (keys_.empty() || keys_[0].kind != Key::Kind::kNumeric) return nullptr;
    *descending = keys_[0].descending;
    return keys_[0].numeric;
  }
  size_t num_keys() const { return keys_.size(); }
  // Whether the first key is a field's value (not the score): then most
  // docs of a broad query are placed without a score.
  bool LeadsWithValue() const { return !keys_.empty() && keys_[0].kind != Key::Kind::kScore; }
  // As CompareUnscored, with the cursor as b.
  int CompareUnscored(uint32_t a, const Position& b) const;
  // True iff the cursor ranks strictly before (doc, score); tiers not compared.
  bool CursorBefore(const Position& c, uint32_t doc, float score) const;

  // Cursor text for a hit: its doc and exact score (the file is immutable,
  // so the doc's sort values can be read again).
  static std::string Cursor(uint32_t doc, float score);
  // Parses a cursor from this index; InvalidArgument if malformed.
  Result<std::pair<uint32_t, float>> ParseCursor(std::string_view cursor) const;

 private:
  struct Key {
    enum class Kind { kScore, kNumeric, kKeyword } kind;
    bool descending;
    const NumericColumn* numeric = nullptr;
    const KeywordColumn* keyword = nullptr;
  };
  // Compares one key; <0 if a first, >0 if b first, 0 if equal.
  int Compare(const Key& key, uint32_t a, float a_score, uint32_t b, float b_score) const;
  // A non-score key's value of `doc`, and the order of two values of it.
  Position::Value ValueOf(const Key& key, uint32_t doc) const;
  static int CompareValues(const Key& key, const Position::Value& a, const Position::Value& b);
  std::vector<Key> keys_;
  const IndexReader* reader_ = nullptr;
  std::vector<uint32_t> fields_;  // Per key: its field (unused for _score).
  uint32_t num_docs_ = 0;
};

// The one rule for ordering merged hits (segments, shards) by a request's
// sort fields: `a` before `b` (true), after (false), or tied on every sort
// field (nullopt: the caller goes on with score, then its doc order).
// Candidates hold `keys` (one per sort field, with has/text/number) and
// `score`; missing values go last in either direction.
template <typename Candidate>
std::optional<bool> SortKeysOrder(const std::vector<SortField>& sort, const Candidate& a,
                                  const Candidate& b) {
  for (size_t i = 0; i < sort.size(); ++i) {
    int cmp = 0;
    if (sort[i].field == "_score") {
      cmp = a.score < b.score ? -1 : a.score > b.score ? 1 : 0;
    } else {
      const auto &ka = a.keys[i], &kb = b.keys[i];
      if (ka.has != kb.has) return ka.has;
      if (!ka.has) continue;
      cmp = ka.text != kb.text      ? (ka.text < kb.text ? -1 : 1)
            : ka.number < kb.number ? -1
            : ka.number > kb.number ? 1
                                    : 0;
    }
    if (cmp != 0) return sort[i].descending ? cmp > 0 : cmp < 0;
  }
  return std::nullopt;
}

// One index's order of hits merged from the parts of a sharded index (its
// segments, or shards answering a fan-out coordinator): typo tier (with
// `tiered`: typos in relevance order), the sort keys (SortKeysOrder), score
// descending, then sequence number, the doc number one index would have.
// Candidates hold `tier`, `keys`, `score` and `seq`.
template <typename Candidate>
bool MergedBefore(const SearchRequest& req, bool tiered, const Candidate& a, const Candidate& b) {
  if (tiered && a.tier != b.tier) return a.tier < b.tier;
  if (auto order = SortKeysOrder(req.sort, a, b)) return *order;
  if (a.score != b.score) return a.score > b.score;
  return a.seq < b.seq;
}

// The total of parts' counts summed, as one index reports it: a search that
// stops counting at the threshold (top k by relevance, no facets, sort or
// cursor) reports min(count, threshold), exact iff the count is within it.
void ClampPrunedTotal(const SearchRequest& req, uint64_t* total, bool* total_exact);

}  // namespace libsearch::internal
