// The query AST after parsing and analysis: every leaf names one field and
// holds analysed terms, so it can be executed without an analyzer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/analyzer.h"
#include "libsearch/index.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"
#include "util/doc_set.h"

namespace libsearch::internal {

struct Query {
  enum class Kind { kTerm, kPhrase, kBoolean, kMatchAll, kRange, kDocSet };
  Kind kind = Kind::kMatchAll;

  // kTerm, kPhrase: the field id and analysed terms (one for kTerm).
  uint32_t field = 0;
  std::vector<std::string> terms;
  std::vector<uint32_t> offsets;  // kPhrase: position of each term, relative.
  float boost = 1.0f;             // The field boost.
  // kTerm expansions, resolved against the dictionary when scoring: the
  // term as a prefix (search-as-you-type), and/or terms within max_edits.
  // `surface` is the word folded but not stemmed (a prefix of a word is
  // often not a prefix of its stem: "chocola" vs "chocol").
  bool prefix = false;
  uint32_t max_edits = 0;
  std::string surface;
  uint32_t max_expansions = 50;  // Cap per kind (prefix, typo).
  // Typo tiers (search/typo_tiers.h): typo matches beyond this many edits
  // are left out, except corrections (a neighbour likelier than the typed
  // word itself), which count as exact.
  uint32_t tier_edits = 0xffffffffu;
  // On a word (a kTerm with typos, or a combine_fields group of term
  // leaves; LimitTypoLeads in search/typo_tiers.h): typo matches beyond
  // this many edits, corrections excepted, still score a doc but do not
  // bring it in, so the word matches the docs of tiers <= lead_edits scored
  // as the whole word (LedUnionScorer).
  uint32_t lead_edits = 0xffffffffu;
  // False for filters: the node still restricts matches but scores 0, so it
  // never changes the ranking. ToString() marks such nodes with '#'.
  bool scored = true;
  // kBoolean: the OR over fields of one word (its `should` clauses), or
  // the OR of a word's synonym alternatives (each such an OR, or a leaf).
  // Its term clauses on text fields are scored together as one field
  // (BM25F, CombinedTermScorer) instead of summing a BM25 per field.
  bool combine_fields = false;
  // With combine_fields: normalised by the document's summed boosted field
  // lengths instead of each field's own (ParseOptions::combined_length).
  bool combined_length = false;

  // kRange: docs whose numeric `field` value v satisfies lo <(=) v <(=) hi.
  // Open ends are +-infinity. Ranges match without scoring (score 0).
  double lo = 0, hi = 0;
  bool lo_inclusive = true, hi_inclusive = true;

  // kDocSet: the docs of a precomputed set (a cached filter; score 0);
  // `surface` holds the description of the query it replaced.
  std::shared_ptr<const DocSet> doc_set;

  // kBoolean: docs must match all `must`, none of `must_not`, and at least
  // one `should` if `must` is empty. Score = sum over matching must + should.
  std::vector<std::unique_ptr<Query>> must, should, must_not;

  // Lucene-style description: +a -b c, field:term^boost, field:"a b".
  std::string ToString(const Schema& schema) const;

 private:
  std::string Describe(const Schema& schema) const;  // ToString without the '#'.
};

enum class DefaultOperator { kAnd, kOr };

// Synonym groups keyed by normalised phrase (analysed terms joined by ' ').
struct SynonymMap {
  std::vector<std::vector<std::string>> groups;  // Alternatives as written.
  std::unordered_map<std::string, size_t> group_of;
  size_t max_words = 0;  // Longest alternative, in words.
};

// Lifetime: the spans and pointers must outlive the ParseQuery call (they
// point into the caller's per-index state: no copies per query).
struct ParseOptions {
  // kFull: malformed syntax is an error. kSimple: never an error except
  // max_query_bytes; see ParseQuery.
  QuerySyntax syntax = QuerySyntax::kFull;
  // Fields a bare word searches (ids into the schema); text or keyword.
  std::span<const uint32_t> default_fields;
  DefaultOperator default_operator = DefaultOperator::kAnd;
  // Upper bounds that keep a hostile query cheap.
  size_t max_query_bytes = 4096;
  size_t max_depth = 32;
  size_t max_clauses = 1024;
  // Score a bare word over several text fields as one field (BM25F):
  // sets Query::combine_fields on each word's OR over fields and on each
  // OR of synonym alternatives.
  bool combine_fields = false;
  // With combine_fields: one length per document, the fields' boosted
  // lengths summed (FieldScoring::kBm25fCombinedLength), on those nodes.
  bool combined_length = false;
  // Search-as-you-type: the last word, if the query does not end in a space,
  // matches as a prefix.
  bool prefix_last = false;
  // Typo tolerance by word length: <= 4 code points exact, 5-8 one edit,
  // >= 9 two; never for words with digits (SKUs, model numbers).
  bool typos = false;
  // Most expansions per word and kind: keeps a one-letter prefix cheap.
  uint32_t max_expansions = 50;
  // Per text field: the same analysis without stemming (for `surface`).
  // Required when prefix_last or typos is set.
  std::span<const analysis::Analyzer* const> surface_analyzers;
  // Synonyms, matched on the words of bare clauses (no field, no operator).
  // `synonym_analyzer` normalises query words as the map's keys were.
  const SynonymMap* synonyms = nullptr;
  const analysis::Analyzer* synonym_analyzer = nullptr;
};

// Parses what users type:
//   word            bare term, searched in every default field
//   "a phrase"      exact phrase (kFull: an unterminated quote runs to the end)
//   +word / -word   required / excluded (also NOT word)
//   a OR b          either; binds tighter than the implicit operator
//   field:word, field:"a b", field:(a OR b)
//   num:5  num:[1 TO 5]  num:{1 TO 5}  num:[1 TO *]  num:>=1  num:<5
//                   numeric (int/float) fields: equality, ranges, comparisons
//   ( ... )         grouping
// Words are analysed with each field's analyzer; a word that analyses to
// several terms ("wi-fi") becomes a phrase. Errors (InvalidArgument) give the
// byte position: unbalanced parentheses, unknown fields, dangling operators,
// fields that cannot be searched by term. `analyzers[f]` is the analyzer of
// text field f (null for other fields).
//
// QuerySyntax::kSimple reads the same grammar but repairs each spot where
// kFull would fail, so any text that kFull accepts (with its quotes paired)
// means the same in both, and the only error left is max_query_bytes:
//   - an unpaired quote is a separator: the one right after a digit (48")
//     if there is one, else the last; it never opens a phrase to the end;
//   - an unmatched '(' or ')' is dropped; groups nested beyond max_depth
//     are flattened;
//   - "name:" that is no usable field prefix (unknown, not indexed, no value
//     or an operator after the colon, not a number for a numeric field) is
//     the word "name" followed by the rest, read again;
//   - an operator without operands is a word ("OR", "NOT") or punctuation
//     ('+', '-', dropped);
//   - clauses beyond max_clauses are left out.
Result<std::unique_ptr<Query>> ParseQuery(std::string_view text, const Schema& schema,
                                          const std::vector<const analysis::Analyzer*>& analyzers,
                                          const ParseOptions& options);

}  // namespace libsearch::internal
