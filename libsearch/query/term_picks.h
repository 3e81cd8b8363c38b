// The terms a word with prefix and/or typo expansions matches in one field
// of one file, with their weight factors (PickTerms). With index-wide
// statistics the choice and the weights are the whole index's: they are
// computed once per search (PickMemo, kept by the search's statistics)
// and each segment only looks its own ordinals up, once per search too.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "index/index_reader.h"
#include "query/query.h"
#include "query/scorer_context.h"

namespace libsearch::internal {

// Prefix matches score below the exact term, typo matches lower still.
inline constexpr float kPrefixFactor = 0.8f;
inline constexpr float kTypoFactor = 0.5f;  // Per edit.

// A term as the whole index weighs it for a word.
struct NamedPick {
  std::string term;
  float factor = 0;  // Weight factor: how far it is from what was typed.
  bool lead = true;  // Within the word's lead_edits (Query::lead_edits).
};

// A word's index-wide picks, and where the fields that bound them have them.
struct WordPicks {
  std::vector<NamedPick> picks;  // By term, each once.
  struct Binding {
    const FieldReader* field = nullptr;         // Null: a file without the field.
    std::vector<std::optional<uint32_t>> ords;  // Per pick: its ordinal in `field`.
    std::vector<uint32_t> order;  // Picks the field has by ordinal, then the rest by term.
  };
  std::vector<Binding> bindings;  // A few: one per segment that bound the word.
};

// One search's index-wide picks by word (every argument of PickTerms that
// chooses or weighs them). Thread-safety: one search, one thread.
class PickMemo {
 public:
  // The picks of `key`, or null.
  WordPicks* Find(const std::string& key) {
    const auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second.get();
  }
  WordPicks* Add(std::string key, std::unique_ptr<WordPicks> picks) {
    return map_.emplace(std::move(key), std::move(picks)).first->second.get();
  }

 private:
  std::unordered_map<std::string, std::unique_ptr<WordPicks>> map_;  // Stable addresses.
};

// One term a word matches in one field.
struct TermPick {
  std::optional<uint32_t> ord;  // In this file; none if only other segments have it.
  std::string_view term;        // Set with index-wide statistics, else empty.
  float factor = 0;             // Weight factor: how far it is from what was typed.
  bool lead = true;             // Within the word's lead_edits (Query::lead_edits).
};
struct TermPicks {
  // The exact term and its expansions, ordinals first (by ordinal). With
  // index-wide statistics, also the terms this file lacks: their factors
  // are the index's, whatever this file holds (CombinedWord needs them).
  // Names point into the search's PickMemo, or into `owned`.
  std::vector<TermPick> picks;
  // Short prefixes read from the field's prefix index: (list, prefix).
  std::vector<std::pair<TermInfo, std::string>> prefix_lists;
  std::unique_ptr<WordPicks> owned;  // Without a memo.
};

// `field` may be null (this file has no such field) only with index-wide
// statistics. Typo picks beyond lead_edits edits, corrections excepted,
// are marked not to lead.
TermPicks PickTerms(const Query& q, const FieldReader* field, ScorerContext* ctx,
                    uint32_t lead_edits);

}  // namespace libsearch::internal
