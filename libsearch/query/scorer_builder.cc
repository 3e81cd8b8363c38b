#include "query/scorer_builder.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "query/expand.h"
#include "query/scorers/boolean_scorer.h"
#include "query/scorers/combined_phrase_scorer.h"
#include "query/scorers/combined_term_scorer.h"
#include "query/scorers/conjunction_scorer.h"
#include "query/scorers/constant_score.h"
#include "query/scorers/disjunction_scorer.h"
#include "query/scorers/led_union_scorer.h"
#include "query/scorers/phrase_scorer.h"
#include "query/scorers/term_scorer.h"
#include "query/scorers/windowed_union_scorer.h"
#include "query/term_picks.h"

namespace libsearch::internal {
namespace {

std::unique_ptr<Scorer> Combine(std::vector<std::unique_ptr<Scorer>> v, bool conjunction) {
  if (v.empty()) return nullptr;
  if (v.size() == 1) return std::move(v[0]);
  if (conjunction) return std::make_unique<ConjunctionScorer>(std::move(v));
  return std::make_unique<DisjunctionScorer>(std::move(v));
}

// A term's scorer; with index-wide statistics its idf is not the one the
// file's block maxima were computed with.
std::unique_ptr<TermScorer> NewTermScorer(ScorerContext* ctx, PostingsCursor* cursor,
                                          const FieldReader* field, float weight, float idf) {
  auto scorer = std::make_unique<TermScorer>(cursor, field, weight, idf, ctx->NormTable(*field),
                                             ctx->params());
  if (ctx->stats() != nullptr) scorer->IgnoreStoredMaxima();
  return scorer;
}

// A term's prefix-index lists as term clauses, below the exact term.
void AppendPrefixLists(const Query& q, const FieldReader& field,
                       const std::vector<std::pair<TermInfo, std::string>>& prefix_lists,
                       ScorerContext* ctx, std::vector<std::unique_ptr<TermScorer>>* clauses) {
  if (prefix_lists.empty()) return;
  const FieldReader& prefixes = *ctx->reader()->prefix_field(q.field);
  for (const auto& [info, prefix] : prefix_lists) {
    // The prefix list's stored block maxima use this idf too.
    const float idf = ctx->Idf(field, true, info, prefix);
    auto scorer = std::make_unique<TermScorer>(ctx->NewCursor(prefixes, info), &prefixes,
                                               q.boost * kPrefixFactor * idf, idf,
                                               ctx->NormTable(field), ctx->params());
    if (ctx->stats() != nullptr) scorer->IgnoreStoredMaxima();
    clauses->push_back(std::move(scorer));
  }
}

// A term with prefix and/or typo expansions: a term clause per pick, and
// in *leads (if given) whether each may lead (Query::lead_edits).
void ExpandTermClauses(const Query& q, const FieldReader& field, ScorerContext* ctx,
                       std::vector<std::unique_ptr<TermScorer>>* out,
                       std::vector<bool>* leads = nullptr) {
  std::vector<std::unique_ptr<TermScorer>>& clauses = *out;
  const CollectionStats* stats = ctx->stats();
  const TermPicks picked = PickTerms(q, &field, ctx, q.lead_edits);
  for (const TermPick& pick : picked.picks) {
    if (!pick.ord) break;  // The rest are in other segments only.
    std::vector<std::string> term;
    const bool named = !pick.term.empty() || ((ctx->collect_terms() || stats != nullptr) &&
                                              field.dict.Terms(*pick.ord, 1, &term).ok());
    const std::string_view name = !pick.term.empty() ? std::string_view(pick.term)
                                  : named            ? std::string_view(term[0])
                                                     : std::string_view();
    if (ctx->collect_terms() && named) ctx->NoteTerm(q.field, name);
    const TermInfo info = field.Term(*pick.ord);
    const float idf = ctx->Idf(field, false, info, name);
    const float weight = q.boost * pick.factor * idf;
    clauses.push_back(NewTermScorer(ctx, ctx->NewCursor(field, info), &field, weight, idf));
    if (leads != nullptr) leads->push_back(pick.lead);
  }
  const size_t before = out->size();
  AppendPrefixLists(q, field, picked.prefix_lists, ctx, out);
  if (leads != nullptr) leads->resize(leads->size() + out->size() - before, true);
}

// A union whose clauses may not all lead: a LedUnionScorer if some do not.
std::unique_ptr<Scorer> LedOrNot(std::vector<std::unique_ptr<Scorer>> clauses,
                                 std::vector<bool> leads) {
  if (std::find(leads.begin(), leads.end(), false) == leads.end()) {
    return Combine(std::move(clauses), /*conjunction=*/false);
  }
  if (std::find(leads.begin(), leads.end(), true) == leads.end()) {
    return std::make_unique<EmptyScorer>();
  }
  return std::make_unique<LedUnionScorer>(std::move(clauses), std::move(leads));
}

// One union over term clauses: a windowed one when every match is visited,
// else the pruning one.
std::unique_ptr<Scorer> UnionOfTerms(std::vector<std::unique_ptr<TermScorer>> clauses,
                                     ScorerContext* ctx) {
  if (clauses.empty()) return std::make_unique<EmptyScorer>();
  if (clauses.size() == 1) return std::move(clauses[0]);
  if (ctx->visit_all()) return std::make_unique<WindowedUnionScorer>(std::move(clauses));
  std::vector<std::unique_ptr<Scorer>> scorers(std::make_move_iterator(clauses.begin()),
                                               std::make_move_iterator(clauses.end()));
  return std::make_unique<DisjunctionScorer>(std::move(scorers));
}

// Appends the term clauses of q. REQUIRES: IsUnionOfTerms(q).
void AppendTermClauses(const Query& q, ScorerContext* ctx,
                       std::vector<std::unique_ptr<TermScorer>>* out) {
  if (q.kind == Query::Kind::kBoolean) {
    for (const auto& c : q.should) AppendTermClauses(*c, ctx, out);
    return;
  }
  const FieldReader* field = ctx->reader()->field(q.field);
  if (field == nullptr) return;
  if (q.prefix || q.max_edits > 0) {
    ExpandTermClauses(q, *field, ctx, out);
    return;
  }
  ctx->NoteTerm(q.field, q.terms[0]);
  const auto ord = field->dict.Find(q.terms[0]);
  if (!ord) return;
  const TermInfo info = field->Term(*ord);
  const float idf = ctx->Idf(*field, false, info, q.terms[0]);
  out->push_back(NewTermScorer(ctx, ctx->NewCursor(*field, info), field, q.boost * idf, idf));
}

// Whether c is a clause CombinedWord scores as part of the word: a plain
// term (or one with expansions) on a text field.
bool Combinable(const Query& c, const Schema& schema) {
  return c.kind == Query::Kind::kTerm && c.scored && c.field < schema.fields().size() &&
         schema.fields()[c.field].type == FieldType::kText;
}

// Whether c is a phrase CombinedWord scores across fields (BM25F).
bool CombinablePhrase(const Query& c, const Schema& schema) {
  return c.kind == Query::Kind::kPhrase && c.scored && c.field < schema.fields().size() &&
         schema.fields()[c.field].type == FieldType::kText;
}

// The cursors of phrase q's distinct terms in `field`, and per word its
// index among them; *idf gets the sum of the words' idfs in this field
// (repeats too, in double, as Lucene does). False if a term is missing.
bool PhraseCursors(const Query& q, const FieldReader& field, ScorerContext* ctx,
                   std::vector<PostingsCursor*>* cursors, std::vector<uint32_t>* term_of,
                   double* idf) {
  cursors->reserve(q.terms.size());  // One allocation each, not one per doubling.
  term_of->reserve(q.terms.size());
  *idf = 0;
  for (size_t i = 0; i < q.terms.size(); ++i) {
    const std::string& term = q.terms[i];
    ctx->NoteTerm(q.field, term);
    const auto ord = field.dict.Find(term);
    if (!ord) return false;
    const TermInfo info = field.Term(*ord);
    *idf += ctx->Idf(field, false, info, term);
    const size_t seen = std::find(q.terms.begin(), q.terms.begin() + i, term) - q.terms.begin();
    if (seen < i) {
      term_of->push_back((*term_of)[seen]);
    } else {
      term_of->push_back(static_cast<uint32_t>(cursors->size()));
      cursors->push_back(ctx->NewCursor(field, info));
    }
  }
  return true;
}

// FieldScoring::kBm25fCombinedLength: the word's fields, each once with its
// boost, and the norm table over the average summed boosted length, taken
// as Lucene's CombinedFieldQuery does: the boosted sums of the fields'
// total term frequencies over the largest field doc count.
std::unique_ptr<CombinedTermScorer::CombinedLength> MakeCombinedLength(
    const std::vector<const Query*>& leaves, uint64_t doc_count, ScorerContext* ctx) {
  auto length = std::make_unique<CombinedTermScorer::CombinedLength>();
  const CollectionStats* stats = ctx->stats();
  double sum_total_tf = 0;
  std::vector<uint32_t> seen;
  for (const Query* leaf : leaves) {
    if (std::find(seen.begin(), seen.end(), leaf->field) != seen.end()) continue;
    seen.push_back(leaf->field);
    const FieldReader* field = ctx->reader()->field(leaf->field);
    length->fields.push_back({field, leaf->boost});
    const uint64_t field_tf = stats != nullptr   ? stats->FieldSumTotalTf(leaf->field)
                              : field != nullptr ? field->stats.sum_total_tf
                                                 : 0;
    sum_total_tf += static_cast<double>(leaf->boost) * static_cast<double>(field_tf);
  }
  const float avg =
      doc_count == 0 ? 1.0f : static_cast<float>(sum_total_tf / static_cast<double>(doc_count));
  length->table = MakeNormInverseTable(ctx->params(), avg > 0 ? avg : 1.0f);
  return length;
}

// A combine_fields word's clauses, by how CombinedWord scores them: term
// leaves on text fields (BM25F words), phrases on text fields, the rest.
void SortWordClauses(const Query& q, const Schema& schema, std::vector<const Query*>* leaves,
                     std::vector<const Query*>* phrases, std::vector<const Query*>* others) {
  auto sort = [&](const Query* c) {
    (Combinable(*c, schema)         ? leaves
     : CombinablePhrase(*c, schema) ? phrases
                                    : others)
        ->push_back(c);
  };
  for (const auto& c : q.should) {
    // A synonym group (combine_fields), or a code word in one field: its
    // joined form or its parts as a phrase ("il10" or "il 10"). Each
    // alternative joins its kind across the fields.
    if (c->kind == Query::Kind::kBoolean && c->scored && c->must.empty() && c->must_not.empty() &&
        (c->combine_fields || std::all_of(c->should.begin(), c->should.end(), [&](const auto& g) {
           return Combinable(*g, schema) || CombinablePhrase(*g, schema);
         }))) {
      for (const auto& g : c->should) sort(g.get());
    } else {
      sort(c.get());
    }
  }
}

// One phrase in several text fields (`fields`, each the same words and
// offsets in another field), BM25F: idf is the sum over its words of the
// idf from the largest doc frequency and field doc count over the fields,
// as CombinedWord takes a word's. Null if no field of this file has it.
std::unique_ptr<Scorer> CombinedPhrase(const std::vector<const Query*>& fields,
                                       bool combined_length, ScorerContext* ctx) {
  const IndexReader* reader = ctx->reader();
  const CollectionStats* stats = ctx->stats();
  uint64_t doc_count = 0;
  for (const Query* leaf : fields) {
    const FieldReader* field = reader->field(leaf->field);
    doc_count = std::max(doc_count, stats != nullptr   ? stats->FieldDocCount(leaf->field)
                                    : field != nullptr ? field->stats.doc_count
                                                       : 0);
  }
  const std::vector<std::string>& words = fields[0]->terms;
  double idf = 0;
  for (const std::string& word : words) {
    uint64_t df = 0;
    for (const Query* leaf : fields) {
      if (stats != nullptr) {
        df = std::max(df, stats->DocFreq(leaf->field, false, word));
      } else if (const FieldReader* field = reader->field(leaf->field)) {
        if (const auto ord = field->dict.Find(word)) {
          df = std::max<uint64_t>(df, field->Term(*ord).doc_freq);
        }
      }
    }
    idf += Bm25Idf(df, doc_count);
  }
  const float weight = static_cast<float>(idf);
  std::vector<CombinedPhraseScorer::Part> parts;
  for (const Query* leaf : fields) {
    const FieldReader* field = reader->field(leaf->field);
    if (field == nullptr) continue;
    std::vector<PostingsCursor*> cursors;
    std::vector<uint32_t> term_of;
    double field_idf = 0;
    if (!PhraseCursors(*leaf, *field, ctx, &cursors, &term_of, &field_idf)) continue;
    const NormInverseTable* table = ctx->NormTable(*field);
    parts.push_back({std::make_unique<PhraseScorer>(std::move(cursors), term_of, leaf->offsets,
                                                    field, weight, table),
                     field, table, leaf->boost});
  }
  if (parts.empty()) return nullptr;
  return std::make_unique<CombinedPhraseScorer>(
      std::move(parts), weight,
      combined_length ? MakeCombinedLength(fields, doc_count, ctx) : nullptr);
}

// A word over several text fields (Query::combine_fields), BM25F. The
// word's own terms, in every field and every synonym alternative (a nested
// combine_fields group), become one CombinedTermScorer: a document's
// frequencies of "chips" and "crisps" add up as one word's would (Lucene's
// SynonymQuery inside CombinedFieldQuery), so matching both alternatives
// does not count twice. Each prefix or typo expansion becomes its own
// CombinedTermScorer over the fields that have it, weighted by its best
// factor in any field. idf as Lucene's CombinedFieldQuery takes it: the
// largest doc frequency and field doc count over the word's fields and
// terms. Every choice depends on the query and the index-wide counts only,
// so a segment scores as a single build would. Other clauses (keyword
// fields, phrases, code words, prefix-index lists) are summed with it.
// Null if fewer than two term clauses combine.
std::unique_ptr<Scorer> CombinedWord(const Query& q, ScorerContext* ctx) {
  const IndexReader* reader = ctx->reader();
  const Schema& schema = reader->schema();
  std::vector<const Query*> leaves, phrases, others;
  SortWordClauses(q, schema, &leaves, &phrases, &others);
  // The same phrase in several fields is one BM25F clause; alone in its
  // field, it is scored as it is.
  std::vector<std::vector<const Query*>> phrase_groups;
  for (const Query* p : phrases) {
    auto same = [p](const std::vector<const Query*>& g) {
      return g[0]->terms == p->terms && g[0]->offsets == p->offsets;
    };
    auto it = std::find_if(phrase_groups.begin(), phrase_groups.end(), same);
    if (it == phrase_groups.end()) {
      phrase_groups.push_back({p});
    } else {
      it->push_back(p);
    }
  }
  std::erase_if(phrase_groups, [&](const std::vector<const Query*>& g) {
    if (g.size() > 1) return false;
    others.push_back(g[0]);
    return true;
  });
  if (leaves.size() < 2) {
    if (phrase_groups.empty()) return nullptr;
    others.insert(others.end(), leaves.begin(), leaves.end());
    leaves.clear();
  }
  const CollectionStats* stats = ctx->stats();
  struct Match {  // One term of the word in one field.
    const Query* leaf;
    const FieldReader* field;
    uint32_t ord;
  };
  // Alternatives with the same stem ("chip", "chips") share postings: once.
  auto add_match = [](std::vector<Match>* matches, const Query* leaf, const FieldReader* field,
                      std::optional<uint32_t> ord) {
    if (ord && std::none_of(matches->begin(), matches->end(),
                            [&](const Match& m) { return m.field == field && m.ord == *ord; })) {
      matches->push_back({leaf, field, *ord});
    }
  };
  std::vector<std::unique_ptr<Scorer>> clauses;
  clauses.reserve(others.size() + 1);
  for (const Query* o : others) clauses.push_back(CreateScorer(*o, ctx));
  std::vector<bool> leads(clauses.size(), true);  // Per clause: whether it may lead.
  std::vector<std::unique_ptr<TermScorer>> prefix_clauses;
  uint64_t doc_count = 0;  // The largest field doc count of the word's fields.
  for (const Query* c : leaves) {
    const FieldReader* field = reader->field(c->field);
    doc_count = std::max(doc_count, stats != nullptr   ? stats->FieldDocCount(c->field)
                                    : field != nullptr ? field->stats.doc_count
                                                       : 0);
  }
  const std::unique_ptr<CombinedTermScorer::CombinedLength> length =
      q.combined_length && !leaves.empty() ? MakeCombinedLength(leaves, doc_count, ctx) : nullptr;
  // A group's clause: its matches in this file, as one term.
  auto add_group = [&](const std::vector<Match>& matches, const WordGroups::Group& g) {
    std::vector<CombinedTermScorer::Part> parts;
    parts.reserve(matches.size());
    for (const Match& m : matches) {
      parts.push_back({ctx->NewCursor(*m.field, m.field->Term(m.ord)), m.field,
                       ctx->NormTable(*m.field), m.leaf->boost});
    }
    clauses.push_back(std::make_unique<CombinedTermScorer>(
        std::move(parts), g.factor * Bm25Idf(g.df, doc_count),
        length ? std::make_unique<CombinedTermScorer::CombinedLength>(*length) : nullptr));
    leads.resize(clauses.size(), true);
    leads.back() = g.lead;
  };
  if (stats != nullptr) {
    // Groups, factors and doc freqs are the index's, taken once per
    // search; this file binds its ordinals to them.
    std::vector<TermPicks> picked(leaves.size());
    for (size_t i = 0; i < leaves.size(); ++i) {
      const Query* c = leaves[i];
      if (!c->prefix && c->max_edits == 0) {
        ctx->NoteTerm(c->field, c->terms[0]);
        continue;
      }
      const FieldReader* field = reader->field(c->field);
      picked[i] = PickTerms(*c, field, ctx, std::min(q.lead_edits, c->lead_edits));
      for (const TermPick& pick : picked[i].picks) {
        if (pick.ord) ctx->NoteTerm(c->field, pick.term);
      }
      if (field != nullptr) {
        AppendPrefixLists(*c, *field, picked[i].prefix_lists, ctx, &prefix_clauses);
      }
    }
    std::unique_ptr<WordGroups> owned;
    const WordGroups& word = GroupWord(leaves, picked, *stats, &owned);
    // Clauses in the order this file's picks first name their groups.
    std::vector<int32_t> slot(word.groups.size(), -1);
    std::vector<uint32_t> order;
    std::vector<std::vector<Match>> matches;
    auto group = [&](uint32_t g) -> std::vector<Match>* {
      if (slot[g] < 0) {
        slot[g] = static_cast<int32_t>(order.size());
        order.push_back(g);
        matches.emplace_back();
      }
      return &matches[static_cast<size_t>(slot[g])];
    };
    group(0);
    for (size_t i = 0; i < leaves.size(); ++i) {
      const Query* c = leaves[i];
      const FieldReader* field = reader->field(c->field);
      if (!c->prefix && c->max_edits == 0) {
        add_match(group(0), c, field, field ? field->dict.Find(c->terms[0]) : std::nullopt);
        continue;
      }
      for (const TermPick& pick : picked[i].picks) {
        add_match(group(word.group_of[i][pick.index]), c, field, pick.ord);
      }
    }
    for (size_t k = 0; k < order.size(); ++k) {
      if (!matches[k].empty()) add_group(matches[k], word.groups[order[k]]);
    }
  } else {
    WordGrouper grouper(leaves);
    std::vector<std::vector<Match>> matches(1);
    auto add = [&](std::string_view term, const Query* leaf, const FieldReader* field,
                   std::optional<uint32_t> ord, float factor, bool lead) {
      const uint32_t g = grouper.Add(term, factor, lead);
      if (g >= matches.size()) matches.resize(g + 1);
      add_match(&matches[g], leaf, field, ord);
    };
    for (const Query* c : leaves) {
      const FieldReader* field = reader->field(c->field);
      if (!c->prefix && c->max_edits == 0) {
        ctx->NoteTerm(c->field, c->terms[0]);
        add(c->terms[0], c, field, field ? field->dict.Find(c->terms[0]) : std::nullopt, 1, true);
        continue;
      }
      if (field == nullptr) continue;
      const TermPicks picked = PickTerms(*c, field, ctx, std::min(q.lead_edits, c->lead_edits));
      for (const TermPick& pick : picked.picks) {
        std::vector<std::string> term;
        if (!field->dict.Terms(*pick.ord, 1, &term).ok()) {
          continue;  // Damage: the cursors' check reports it.
        }
        ctx->NoteTerm(c->field, term[0]);
        add(term[0], c, field, pick.ord, pick.factor, pick.lead);
      }
      AppendPrefixLists(*c, *field, picked.prefix_lists, ctx, &prefix_clauses);
    }
    std::vector<WordGroups::Group>& groups = grouper.groups();
    for (size_t g = 0; g < groups.size(); ++g) {
      if (matches[g].empty()) continue;  // Only in other segments.
      groups[g].df = GroupDocFreq(leaves, groups[g], reader);
      add_group(matches[g], groups[g]);
    }
  }
  for (auto& p : prefix_clauses) clauses.push_back(std::move(p));
  for (const std::vector<const Query*>& g : phrase_groups) {
    if (auto phrase = CombinedPhrase(g, q.combined_length, ctx)) {
      clauses.push_back(std::move(phrase));
    }
  }
  if (clauses.empty()) return std::make_unique<EmptyScorer>();
  leads.resize(clauses.size(), true);
  return LedOrNot(std::move(clauses), std::move(leads));
}

std::unique_ptr<Scorer> CreateScoredOrNot(const Query& q, ScorerContext* ctx) {
  const IndexReader* reader = ctx->reader();
  switch (q.kind) {
    case Query::Kind::kMatchAll: return std::make_unique<MatchAllScorer>(reader->num_docs());
    case Query::Kind::kDocSet: return std::make_unique<DocSetScorer>(q.doc_set);
    case Query::Kind::kRange: {
      const NumericColumn* column = reader->numeric(q.field);
      if (column == nullptr) return std::make_unique<EmptyScorer>();
      return std::make_unique<RangeScorer>(column, reader->num_docs(), q);
    }
    case Query::Kind::kTerm:
    case Query::Kind::kPhrase: {
      const FieldReader* field = reader->field(q.field);
      if (field == nullptr) return std::make_unique<EmptyScorer>();
      if (q.kind == Query::Kind::kTerm && (q.prefix || q.max_edits > 0)) {
        std::vector<std::unique_ptr<TermScorer>> clauses;
        std::vector<bool> leads;
        ExpandTermClauses(q, *field, ctx, &clauses, &leads);
        if (std::find(leads.begin(), leads.end(), false) != leads.end()) {
          return LedOrNot(
              {std::make_move_iterator(clauses.begin()), std::make_move_iterator(clauses.end())},
              std::move(leads));
        }
        return UnionOfTerms(std::move(clauses), ctx);
      }
      if (q.kind == Query::Kind::kTerm) {  // As a phrase of one word, without its vectors.
        ctx->NoteTerm(q.field, q.terms[0]);
        const auto ord = field->dict.Find(q.terms[0]);
        if (!ord) return std::make_unique<EmptyScorer>();
        const TermInfo info = field->Term(*ord);
        const float idf = ctx->Idf(*field, false, info, q.terms[0]);
        return NewTermScorer(ctx, ctx->NewCursor(*field, info), field, q.boost * idf, idf);
      }
      std::vector<PostingsCursor*> cursors;  // One per distinct term.
      std::vector<uint32_t> term_of;         // Per word: its index in cursors.
      double idf = 0;
      if (!PhraseCursors(q, *field, ctx, &cursors, &term_of, &idf)) {
        return std::make_unique<EmptyScorer>();
      }
      const float weight = q.boost * static_cast<float>(idf);
      return std::make_unique<PhraseScorer>(std::move(cursors), term_of, q.offsets, field, weight,
                                            ctx->NormTable(*field));
    }
    case Query::Kind::kBoolean: {
      if (q.combine_fields && q.scored) {
        if (auto word = CombinedWord(q, ctx)) return word;
      }
      if (IsUnionOfTerms(q)) {
        std::vector<std::unique_ptr<TermScorer>> clauses;
        clauses.reserve(q.should.size());  // One per word and field, usually.
        AppendTermClauses(q, ctx, &clauses);
        return UnionOfTerms(std::move(clauses), ctx);
      }
      std::vector<std::unique_ptr<Scorer>> must, should, must_not;
      must.reserve(q.must.size());
      should.reserve(q.should.size());
      must_not.reserve(q.must_not.size());
      for (const auto& c : q.must) must.push_back(CreateScorer(*c, ctx));
      for (const auto& c : q.should) should.push_back(CreateScorer(*c, ctx));
      ctx->EnterNegation();
      for (const auto& c : q.must_not) must_not.push_back(CreateScorer(*c, ctx));
      ctx->LeaveNegation();
      std::unique_ptr<Scorer> req = Combine(std::move(must), /*conjunction=*/true);
      std::unique_ptr<Scorer> opt = Combine(std::move(should), /*conjunction=*/false);
      std::unique_ptr<Scorer> excl = Combine(std::move(must_not), /*conjunction=*/false);
      if (req == nullptr) {  // Only should clauses (at least one must match).
        req = std::move(opt);
        if (req == nullptr) return std::make_unique<EmptyScorer>();
      }
      if (opt == nullptr && excl == nullptr) return req;
      return std::make_unique<BooleanScorer>(std::move(req), std::move(opt), std::move(excl));
    }
  }
  return std::make_unique<EmptyScorer>();
}

}  // namespace

bool CombinesAsOneWord(const Query& q, const Schema& schema) {
  if (q.kind != Query::Kind::kBoolean || !q.combine_fields || !q.scored) return false;
  std::vector<const Query*> leaves, phrases, others;
  SortWordClauses(q, schema, &leaves, &phrases, &others);
  return leaves.size() >= 2;
}

bool IsUnionOfTerms(const Query& q) {
  if (!q.scored) return false;
  if (q.kind == Query::Kind::kTerm) return true;
  if (q.combine_fields) return false;  // Unless fewer than two fields combine: rare.
  if (q.kind != Query::Kind::kBoolean || !q.must.empty() || !q.must_not.empty() ||
      q.should.empty()) {
    return false;
  }
  for (const auto& c : q.should) {
    if (!IsUnionOfTerms(*c)) return false;
  }
  return true;
}

std::unique_ptr<Scorer> CreateScorer(const Query& q, ScorerContext* ctx) {
  std::unique_ptr<Scorer> s = CreateScoredOrNot(q, ctx);
  if (q.scored) return s;
  return std::make_unique<UnscoredScorer>(std::move(s));
}

}  // namespace libsearch::internal
