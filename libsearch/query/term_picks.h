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

// A term as the whole index weighs it for a word, as whatever it is to the
// word: the typed term or a completion (always picked, leading), and/or a
// typo candidate (picked and leading by its edits, Query::tier_edits and
// lead_edits). Typo tiers ask for one word with several of those limits.
struct NamedPick {
  std::string term;
  float factor = -1;       // Weight factor as typed term or completion; < 0 if neither.
  float typo_factor = -1;  // Weight factor as a typo candidate; < 0 if none.
  uint32_t edits = 0;      // As a typo candidate.
  bool correction = false;
  // Whether it is picked within `tier_edits` and the weight factor and
  // lead (within `lead_edits`) it then has: the largest factor of what it
  // is picked as, leading if any of those leads.
  bool Picked(uint32_t tier_edits, uint32_t lead_edits, float* weight, bool* leads) const;
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

// A word over several fields (CombinedWord) as the whole index scores it:
// its terms grouped (its own terms, then one group per other term), each
// group's weight factor, whether it leads, and its doc freq.
struct WordGroups {
  struct Group {
    std::vector<std::string> terms;
    float factor = 0;
    bool lead = false;
    uint64_t df = 0;  // The largest over the word's fields and the group's terms.
  };
  std::vector<Group> groups;  // groups[0]: the word's own terms.
  // Per leaf of the word, per pick of its WordPicks: the pick's group.
  std::vector<std::vector<uint32_t>> group_of;
};

// One search's index-wide picks by word (every argument of PickTerms that
// chooses or weighs them but the typo limits, which NamedPick::Picked
// applies), and its combined words' groups (keyed by their leaves' picks
// and limits). Thread-safety: one search, one thread.
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
  const WordGroups* FindGroups(const std::string& key) {
    const auto it = groups_.find(key);
    return it == groups_.end() ? nullptr : it->second.get();
  }
  const WordGroups* AddGroups(std::string key, std::unique_ptr<WordGroups> groups) {
    return groups_.emplace(std::move(key), std::move(groups)).first->second.get();
  }
  // A combined word's doc freqs over its leaves' fields (GroupWord): per
  // leaf, per pick of its WordPicks, the largest over the fields of the
  // pick's term; and the largest of the leaves' own terms. The same for
  // every typo limit, so taken once per search and word.
  struct WordDocFreqs {
    std::vector<std::vector<uint64_t>> picks;
    uint64_t own = 0;
  };
  const WordDocFreqs* FindDocFreqs(const std::string& key) {
    const auto it = doc_freqs_.find(key);
    return it == doc_freqs_.end() ? nullptr : it->second.get();
  }
  const WordDocFreqs* AddDocFreqs(std::string key, std::unique_ptr<WordDocFreqs> dfs) {
    return doc_freqs_.emplace(std::move(key), std::move(dfs)).first->second.get();
  }

 private:
  // Stable addresses: pointers and names into them live for the search.
  std::unordered_map<std::string, std::unique_ptr<WordPicks>> map_;
  std::unordered_map<std::string, std::unique_ptr<WordGroups>> groups_;
  std::unordered_map<std::string, std::unique_ptr<WordDocFreqs>> doc_freqs_;
};

// One term a word matches in one field.
struct TermPick {
  std::optional<uint32_t> ord;  // In this file; none if only other segments have it.
  std::string_view term;        // Set with index-wide statistics, else empty.
  float factor = 0;             // Weight factor: how far it is from what was typed.
  bool lead = true;             // Within the word's lead_edits (Query::lead_edits).
  uint32_t index = 0;           // With index-wide statistics: in TermPicks::word's picks.
};
struct TermPicks {
  // The exact term and its expansions, ordinals first (by ordinal). With
  // index-wide statistics, also the terms this file lacks: their factors
  // are the index's, whatever this file holds (CombinedWord needs them).
  // Names point into the search's PickMemo, or into `owned`.
  std::vector<TermPick> picks;
  // Short prefixes read from the field's prefix index: (list, prefix).
  std::vector<std::pair<TermInfo, std::string>> prefix_lists;
  // With index-wide statistics: the word's picks (in the search's memo, or
  // `owned`), and the limits they were picked with.
  const WordPicks* word = nullptr;
  uint32_t tier_edits = 0, lead_edits = 0;
  std::unique_ptr<WordPicks> owned;  // Without a memo.
};

// `field` may be null (this file has no such field) only with index-wide
// statistics. Typo picks beyond lead_edits edits, corrections excepted,
// are marked not to lead.
TermPicks PickTerms(const Query& q, const FieldReader* field, ScorerContext* ctx,
                    uint32_t lead_edits);

// Groups a combine_fields word's terms as CombinedWord scores them: the
// word's own terms (every leaf's typed term) as group 0, every other term
// as a group of its own, with the largest factor it is picked with, leading
// if any of its picks leads. Groups are numbered in the order first added.
class WordGrouper {
 public:
  explicit WordGrouper(const std::vector<const Query*>& leaves);
  // The group of `term`, which it joins with `factor` and `lead`.
  uint32_t Add(std::string_view term, float factor, bool lead);
  std::vector<WordGroups::Group>& groups() { return groups_; }

 private:
  std::vector<WordGroups::Group> groups_;
  // The other groups by term: a word's expansions are a hundred or so per
  // field, found again in each field (a scan per pick was quadratic).
  std::unordered_map<std::string, uint32_t> group_of_;
};

// The index-wide groups of a word whose leaves `leaves` picked `picked`
// (PickTerms; left empty for leaves without expansions), with their doc
// freqs: from the search's memo, or computed (and kept there, or in
// *owned without a memo). REQUIRES: `stats` gave the picks.
const WordGroups& GroupWord(const std::vector<const Query*>& leaves,
                            const std::vector<TermPicks>& picked, const CollectionStats& stats,
                            std::unique_ptr<WordGroups>* owned);

// Without index-wide statistics: the largest doc freq in this file over
// the word's fields and the group's terms (a stem may be there from a word
// out of typo reach).
uint64_t GroupDocFreq(const std::vector<const Query*>& leaves, const WordGroups::Group& group,
                      const IndexReader* reader);

}  // namespace libsearch::internal
