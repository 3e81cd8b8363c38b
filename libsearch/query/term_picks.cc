#include "query/term_picks.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "query/expand.h"
#include "util/utf8.h"

namespace libsearch::internal {
namespace {

// A typo candidate: a stem within reach of the typed word, its ordinal in
// this file (if it has it) and its doc frequency in the whole index.
struct TypoCandidate {
  std::optional<uint32_t> ord;
  uint32_t edits = 0;
  double df = 0;
};

// Weights of the typed word and its typo candidates (a neighbour likelier
// than the typed word, TypoLikelihood, is taken as what was meant). Without corrections:
// the typed word 1, a candidate kTypoFactor per edit. With corrections
// (the candidates likelier than the typed word, at the fewest edits any
// such candidate has): each of them and the typed
// word by its share of their summed likelihood (doc frequency, times
// kTypoChannelPerEdit per edit), the others below the typed word. Corrections
// count as exact for typo tiers (*correction).
void WeighTypos(double typed_df, const std::vector<TypoCandidate>& candidates, float* typed,
                std::vector<float>* factor, std::vector<bool>* correction) {
  factor->assign(candidates.size(), 0.0f);
  correction->assign(candidates.size(), false);
  // Corrections are the likelier words at the fewest edits: a word two
  // edits away stays in its tier even when it is common.
  std::vector<double> likelihood(candidates.size());
  uint32_t nearest = 0xffffffffu;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const TypoCandidate& c = candidates[i];
    likelihood[i] = TypoLikelihood(c.df, c.edits);
    if (c.edits > 0 && likelihood[i] > typed_df) nearest = std::min(nearest, c.edits);
  }
  double total = typed_df;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].edits == nearest && likelihood[i] > typed_df) {
      (*correction)[i] = true;
      total += likelihood[i];
    }
  }
  *typed = total > typed_df ? static_cast<float>(typed_df / total) : 1.0f;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const float per_edit = std::pow(kTypoFactor, static_cast<float>(candidates[i].edits));
    (*factor)[i] = (*correction)[i] ? static_cast<float>(likelihood[i] / total) : *typed * per_edit;
  }
}

// Whether a typo candidate is picked: within tier_edits, or a correction;
// *lead: whether it leads (within lead_edits, or a correction).
bool TypoPicked(uint32_t edits, bool correction, uint32_t tier_edits, uint32_t lead_edits,
                bool* lead) {
  *lead = correction || edits <= lead_edits;
  return correction || edits <= tier_edits;
}

// Merges equal picks (`same`, adjacent once sorted by `less`) into one with
// the largest factor, leading if any of them leads. A sort, not a scan of
// the picks per pick: a word with typo and prefix expansions has a hundred.
template <typename Pick, typename Less, typename Same>
void Dedupe(std::vector<Pick>* picks, Less less, Same same) {
  // Equal picks are equal in all but factor: any order among them will do.
  std::sort(picks->begin(), picks->end(), less);
  size_t kept = 0;
  for (size_t i = 0; i < picks->size(); ++i) {
    Pick& p = (*picks)[i];
    if (kept > 0 && same((*picks)[kept - 1], p)) {
      (*picks)[kept - 1].factor = std::max((*picks)[kept - 1].factor, p.factor);
      (*picks)[kept - 1].lead = (*picks)[kept - 1].lead || p.lead;
    } else {
      if (kept != i) (*picks)[kept] = std::move(p);
      ++kept;
    }
  }
  picks->resize(kept);
}

// Prefixes short enough for the field's prefix index read its merged list
// (every completion, one clause) into *lists; returns which of q's
// prefixes (bit 0: q.surface, bit 1: q.terms[0]) expand to their most
// frequent completions instead.
uint32_t PrefixLists(const Query& q, const FieldReader& field, ScorerContext* ctx,
                     std::vector<std::pair<TermInfo, std::string>>* lists) {
  uint32_t expand = 0;
  const FieldReader* prefixes = ctx->reader()->prefix_field(q.field);
  for (const std::string* p : {&q.surface, &q.terms[0]}) {
    if (p == &q.terms[0] && *p == q.surface) break;
    if (prefixes != nullptr && CodePointCount(*p) <= field.spec->index_prefixes) {
      if (const auto ord = prefixes->dict.Find(*p)) lists->emplace_back(prefixes->Term(*ord), *p);
      if (ctx->collect_terms()) {
        for (const Expansion& e : PrefixTerms(field, *p, q.max_expansions)) {
          std::vector<std::string> term;
          if (field.dict.Terms(e.ord, 1, &term).ok()) ctx->NoteTerm(q.field, term[0]);
        }
      }
      continue;
    }
    expand |= p == &q.surface ? 1u : 2u;
  }
  return expand;
}

// Without index-wide statistics: this file's own expansions, by ordinal.
TermPicks FilePicks(const Query& q, const FieldReader& field, ScorerContext* ctx,
                    uint32_t lead_edits) {
  TermPicks result;
  std::vector<TermPick>& picks = result.picks;
  const auto exact = ctx->FindTerm(field, q.terms[0]);
  float typed = 1.0f;
  if (q.max_edits > 0) {
    std::vector<TypoCandidate> candidates;
    const TypoCache* cache = ctx->typo_cache();
    for (const Expansion& e :
         cache != nullptr
             ? cache->TypoStems(field, q.surface, q.terms[0], q.max_edits, q.max_expansions)
             : TypoStems(field, q.surface, q.terms[0], q.max_edits, q.max_expansions)) {
      candidates.push_back({e.ord, e.edits, static_cast<double>(field.DocFreq(e.ord))});
    }
    const double typed_df = exact ? field.DocFreq(*exact) : 0.0;
    std::vector<float> factor;
    std::vector<bool> correction;
    WeighTypos(typed_df, candidates, &typed, &factor, &correction);
    for (size_t i = 0; i < candidates.size(); ++i) {
      bool lead = false;
      if (!TypoPicked(candidates[i].edits, correction[i], q.tier_edits, lead_edits, &lead) ||
          !candidates[i].ord) {
        continue;
      }
      picks.push_back({candidates[i].ord, {}, factor[i], lead});
    }
  }
  if (exact) picks.push_back({exact, {}, typed, true});
  if (q.prefix) {
    const uint32_t expand = PrefixLists(q, field, ctx, &result.prefix_lists);
    for (const std::string* p : {&q.surface, &q.terms[0]}) {
      if ((expand & (p == &q.surface ? 1u : 2u)) == 0) continue;
      for (const Expansion& e : PrefixTerms(field, *p, q.max_expansions)) {
        picks.push_back({e.ord, {}, kPrefixFactor, true});
      }
    }
  }
  Dedupe(
      &picks, [](const TermPick& a, const TermPick& b) { return a.ord < b.ord; },
      [](const TermPick& a, const TermPick& b) { return a.ord == b.ord; });
  return result;
}

// The index-wide picks of q (the prefixes in `expand` expanded), by term,
// for any typo limits.
std::unique_ptr<WordPicks> IndexPicks(const Query& q, const CollectionStats& stats,
                                      uint32_t expand) {
  auto word = std::make_unique<WordPicks>();
  std::vector<NamedPick>& picks = word->picks;
  float typed = 1.0f;
  if (q.max_edits > 0) {
    std::vector<TypoCandidate> candidates;
    std::vector<std::string> names;
    for (auto& [term, edits] :
         stats.TypoStems(q.field, q.surface, q.terms[0], q.max_edits, q.max_expansions)) {
      candidates.push_back(
          {std::nullopt, edits, static_cast<double>(stats.DocFreq(q.field, false, term))});
      names.push_back(std::move(term));
    }
    const double typed_df = static_cast<double>(stats.DocFreq(q.field, false, q.terms[0]));
    std::vector<float> factor;
    std::vector<bool> correction;
    WeighTypos(typed_df, candidates, &typed, &factor, &correction);
    for (size_t i = 0; i < candidates.size(); ++i) {
      NamedPick& p = picks.emplace_back();
      p.term = std::move(names[i]);
      p.typo_factor = factor[i];
      p.edits = candidates[i].edits;
      p.correction = correction[i];
    }
  }
  picks.push_back({q.terms[0], typed});
  for (const std::string* p : {&q.surface, &q.terms[0]}) {
    if ((expand & (p == &q.surface ? 1u : 2u)) == 0) continue;
    for (auto& [term, edits] : stats.PrefixTerms(q.field, *p, q.max_expansions)) {
      picks.push_back({std::move(term), kPrefixFactor});
    }
  }
  // One pick per term, as whatever it is (candidates are distinct terms).
  std::sort(picks.begin(), picks.end(),
            [](const NamedPick& a, const NamedPick& b) { return a.term < b.term; });
  size_t kept = 0;
  for (size_t i = 0; i < picks.size(); ++i) {
    NamedPick& p = picks[i];
    if (kept > 0 && picks[kept - 1].term == p.term) {
      NamedPick& k = picks[kept - 1];
      k.factor = std::max(k.factor, p.factor);
      if (p.typo_factor >= 0) {
        k.typo_factor = p.typo_factor;
        k.edits = p.edits;
        k.correction = p.correction;
      }
    } else {
      if (kept != i) picks[kept] = std::move(p);
      ++kept;
    }
  }
  picks.resize(kept);
  return word;
}

// Where `field` has the word's picks: looked up once per field and search.
const WordPicks::Binding& Bind(WordPicks* word, const FieldReader* field, ScorerContext* ctx) {
  for (const WordPicks::Binding& b : word->bindings) {
    if (b.field == field) return b;
  }
  WordPicks::Binding& b = word->bindings.emplace_back();
  b.field = field;
  const std::vector<NamedPick>& picks = word->picks;
  b.ords.resize(picks.size());
  b.order.reserve(picks.size());
  std::vector<uint32_t> absent;
  for (uint32_t i = 0; i < picks.size(); ++i) {
    if (field != nullptr) b.ords[i] = ctx->FindTerm(*field, picks[i].term);
    (b.ords[i] ? b.order : absent).push_back(i);
  }
  // Deterministic clause order: by ordinal, then the absent ones by name.
  std::sort(b.order.begin(), b.order.end(),
            [&](uint32_t x, uint32_t y) { return *b.ords[x] < *b.ords[y]; });
  b.order.insert(b.order.end(), absent.begin(), absent.end());
  return b;
}

// The memo's key: every argument that chooses or weighs the picks, but
// the typo limits (Query::tier_edits, lead_edits).
std::string PickKey(const Query& q, uint32_t expand) {
  std::string key;
  const uint32_t numbers[] = {q.field, q.max_edits, q.max_expansions, expand,
                              static_cast<uint32_t>(q.surface.size())};
  key.reserve(sizeof(numbers) + q.surface.size() + q.terms[0].size());
  key.append(reinterpret_cast<const char*>(numbers), sizeof(numbers));
  key.append(q.surface);
  key.append(q.terms[0]);
  return key;
}

}  // namespace

bool NamedPick::Picked(uint32_t tier_edits, uint32_t lead_edits, float* weight, bool* leads) const {
  bool picked = factor >= 0;
  *weight = factor;
  *leads = picked;
  bool typo_lead = false;
  if (typo_factor >= 0 && TypoPicked(edits, correction, tier_edits, lead_edits, &typo_lead)) {
    *weight = picked ? std::max(*weight, typo_factor) : typo_factor;
    *leads = *leads || typo_lead;
    picked = true;
  }
  return picked;
}

TermPicks PickTerms(const Query& q, const FieldReader* field, ScorerContext* ctx,
                    uint32_t lead_edits) {
  const CollectionStats* stats = ctx->stats();
  if (stats == nullptr) return FilePicks(q, *field, ctx, lead_edits);
  TermPicks result;
  const uint32_t expand =
      q.prefix && field != nullptr ? PrefixLists(q, *field, ctx, &result.prefix_lists) : 0;
  PickMemo* memo = stats->pick_memo();
  std::string key = memo != nullptr ? PickKey(q, expand) : std::string();
  WordPicks* word = memo != nullptr ? memo->Find(key) : nullptr;
  if (word == nullptr) {
    std::unique_ptr<WordPicks> fresh = IndexPicks(q, *stats, expand);
    if (memo != nullptr) {
      word = memo->Add(std::move(key), std::move(fresh));
    } else {
      result.owned = std::move(fresh);
      word = result.owned.get();
    }
  }
  const WordPicks::Binding& b = Bind(word, field, ctx);
  result.picks.reserve(b.order.size());
  for (const uint32_t i : b.order) {
    const NamedPick& p = word->picks[i];
    float factor = 0;
    bool lead = false;
    if (p.Picked(q.tier_edits, lead_edits, &factor, &lead)) {
      result.picks.push_back({b.ords[i], p.term, factor, lead, i});
    }
  }
  result.word = word;
  result.tier_edits = q.tier_edits;
  result.lead_edits = lead_edits;
  return result;
}

WordGrouper::WordGrouper(const std::vector<const Query*>& leaves) : groups_(1) {
  groups_[0].lead = true;
  for (const Query* leaf : leaves) {
    std::vector<std::string>& own = groups_[0].terms;
    if (std::find(own.begin(), own.end(), leaf->terms[0]) == own.end()) {
      own.push_back(leaf->terms[0]);
    }
  }
}

uint32_t WordGrouper::Add(std::string_view term, float factor, bool lead) {
  const std::vector<std::string>& own = groups_[0].terms;
  uint32_t g = 0;
  if (std::find(own.begin(), own.end(), term) == own.end()) {
    const auto [it, added] =
        group_of_.try_emplace(std::string(term), static_cast<uint32_t>(groups_.size()));
    if (added) groups_.push_back({{std::string(term)}, 0, false, 0});
    g = it->second;
  }
  groups_[g].factor = std::max(groups_[g].factor, factor);
  groups_[g].lead = groups_[g].lead || lead;
  return g;
}

namespace {

// The largest doc freq of `term` over the leaves' fields.
uint64_t LeavesDocFreq(const std::vector<const Query*>& leaves, std::string_view term,
                       const CollectionStats& stats) {
  uint64_t df = 0;
  for (const Query* leaf : leaves) df = std::max(df, stats.DocFreq(leaf->field, false, term));
  return df;
}

}  // namespace

const WordGroups& GroupWord(const std::vector<const Query*>& leaves,
                            const std::vector<TermPicks>& picked, const CollectionStats& stats,
                            std::unique_ptr<WordGroups>* owned) {
  // Keyed by each leaf's field and term, or its picks (whose key holds
  // both and every argument that chose them); the doc freqs without the
  // typo limits (`limits_at`: where each leaf's limits go in the key).
  PickMemo* memo = stats.pick_memo();
  std::string key;
  std::vector<size_t> limits_at;
  if (memo != nullptr) {
    for (size_t i = 0; i < leaves.size(); ++i) {
      const WordPicks* word = picked[i].word;
      if (word != nullptr) {
        const uint32_t limits[] = {picked[i].tier_edits, picked[i].lead_edits};
        key.push_back('e');
        const auto address = reinterpret_cast<uintptr_t>(word);
        key.append(reinterpret_cast<const char*>(&address), sizeof(address));
        limits_at.push_back(key.size());
        key.append(reinterpret_cast<const char*>(limits), sizeof(limits));
        continue;
      }
      const uint32_t numbers[] = {leaves[i]->field,
                                  static_cast<uint32_t>(leaves[i]->terms[0].size())};
      key.push_back('t');
      key.append(reinterpret_cast<const char*>(numbers), sizeof(numbers));
      key.append(leaves[i]->terms[0]);
    }
    if (const WordGroups* found = memo->FindGroups(key)) return *found;
  }
  // Every pick's doc freq over the leaves' fields, whatever the limits.
  const PickMemo::WordDocFreqs* dfs = nullptr;
  std::unique_ptr<PickMemo::WordDocFreqs> own_dfs;
  std::string dfs_key;
  if (memo != nullptr) {
    dfs_key = key;
    for (auto at = limits_at.rbegin(); at != limits_at.rend(); ++at) {
      dfs_key.erase(*at, 2 * sizeof(uint32_t));
    }
    dfs = memo->FindDocFreqs(dfs_key);
  }
  if (dfs == nullptr) {
    own_dfs = std::make_unique<PickMemo::WordDocFreqs>();
    own_dfs->picks.resize(leaves.size());
    std::vector<std::string_view> own_terms;  // As WordGrouper's first group.
    for (size_t i = 0; i < leaves.size(); ++i) {
      const std::string& t = leaves[i]->terms[0];
      if (std::find(own_terms.begin(), own_terms.end(), t) == own_terms.end()) {
        own_terms.push_back(t);
        own_dfs->own = std::max(own_dfs->own, LeavesDocFreq(leaves, t, stats));
      }
      if (const WordPicks* word = picked[i].word) {
        own_dfs->picks[i].reserve(word->picks.size());
        for (const NamedPick& p : word->picks) {
          own_dfs->picks[i].push_back(LeavesDocFreq(leaves, p.term, stats));
        }
      }
    }
    dfs =
        memo != nullptr ? memo->AddDocFreqs(std::move(dfs_key), std::move(own_dfs)) : own_dfs.get();
  }
  auto groups = std::make_unique<WordGroups>();
  WordGrouper grouper(leaves);
  groups->group_of.resize(leaves.size());
  // Each group's doc freq: its own terms' (group 0), or its one term's.
  std::vector<uint64_t> group_df(1, dfs->own);
  for (size_t i = 0; i < leaves.size(); ++i) {
    const WordPicks* word = picked[i].word;
    if (word == nullptr) {
      grouper.Add(leaves[i]->terms[0], 1, true);
      continue;
    }
    groups->group_of[i].resize(word->picks.size());
    for (size_t j = 0; j < word->picks.size(); ++j) {
      const NamedPick& p = word->picks[j];
      float factor = 0;
      bool lead = false;
      if (p.Picked(picked[i].tier_edits, picked[i].lead_edits, &factor, &lead)) {
        const uint32_t g = grouper.Add(p.term, factor, lead);
        groups->group_of[i][j] = g;
        if (g >= group_df.size()) group_df.resize(g + 1, dfs->picks[i][j]);
      }
    }
  }
  groups->groups = std::move(grouper.groups());
  for (size_t g = 0; g < groups->groups.size(); ++g) groups->groups[g].df = group_df[g];
  if (memo != nullptr) return *memo->AddGroups(std::move(key), std::move(groups));
  *owned = std::move(groups);
  return **owned;
}

uint64_t GroupDocFreq(const std::vector<const Query*>& leaves, const WordGroups::Group& group,
                      const IndexReader* reader) {
  uint64_t df = 0;
  for (const Query* leaf : leaves) {
    const FieldReader* field = reader->field(leaf->field);
    if (field == nullptr) continue;
    for (const std::string& t : group.terms) {
      if (const auto ord = field->dict.Find(t)) {
        df = std::max<uint64_t>(df, field->Term(*ord).doc_freq);
      }
    }
  }
  return df;
}

}  // namespace libsearch::internal
