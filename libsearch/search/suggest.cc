// Post-processing: "did you mean".
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "query/expand.h"
#include "search/index_impl.h"
#include "util/utf8.h"

namespace libsearch::internal {
namespace {

// A suggestion is shown, so it must be clearly likelier than what was
// typed (TypoLikelihood): likelier than the typed word itself, kDominance
// times likelier than the runner-up, and, for a word the index lacks,
// above kUnknownWordFloor: any word of the index at one edit, one that 25
// docs hold at two. Tuned on real misspellings (docs/design-notes.md,
// "Did you mean"; tools/eval/misspellings.py).
constexpr double kDominance = 3.0;
constexpr double kUnknownWordFloor = 0.01;
// A word the index has is corrected only if it has this many letters and a
// neighbour this many times likelier ("too" is a word, not a slip of "to").
constexpr double kKnownWordMargin = 10.0;
constexpr size_t kKnownWordLetters = 5;

// Edits a suggestion may make: none for words of one or two letters or
// with digits, one up to eight letters, then two (one more than typos allow
// for three- and four-letter words: "teh" -> "the").
uint32_t SuggestEditsFor(std::string_view word) {
  size_t chars = 0;
  for (unsigned char c : word) {
    if (c >= '0' && c <= '9') return 0;
    chars += (c & 0xc0) != 0x80;
  }
  return chars <= 2 ? 0 : chars <= 8 ? 1 : 2;
}

// Whether `a` is `b` with one letter typed twice, or the other way round:
// the commonest slip of all, so a neighbour that differs only so is
// kDoubledLetterOdds times likelier than another at one edit.
constexpr double kDoubledLetterOdds = 5.0;
bool DoubledLetter(std::string_view a, std::string_view b) {
  if (a.size() < b.size()) std::swap(a, b);
  if (a.size() != b.size() + 1) return false;
  size_t i = 0;
  while (i < b.size() && a[i] == b[i]) ++i;
  // a[i] is the extra byte: it must repeat a neighbour, and the rest match.
  const bool repeats = (i > 0 && a[i] == a[i - 1]) || (i + 1 < a.size() && a[i] == a[i + 1]);
  return repeats && a.substr(i + 1) == b.substr(i);
}

bool PlainWord(const std::string& word) {
  return word.find_first_of(":\"()+-*") == std::string::npos && word != "OR" && word != "AND" &&
         word != "NOT";
}

}  // namespace

// Each bare word is weighed against the surface words of the default
// fields within reach (the typo noisy channel, TypoLikelihood, on their
// live doc counts); the likeliest replaces it if clearly likelier
// (kDominance, kUnknownWordFloor). Words are shown folded, as indexed.
double IndexImpl::SuggestionLimit() const {
  const CollectionStats* stats = this->stats();
  double most_docs = 0;
  for (uint32_t f : default_fields_) {
    most_docs = std::max(most_docs, static_cast<double>(stats != nullptr ? stats->FieldDocCount(f)
                                                        : reader_->field(f) != nullptr
                                                            ? reader_->field(f)->stats.doc_count
                                                            : 0));
  }
  return TypoLikelihood(most_docs, 1) * kDoubledLetterOdds;
}

std::string IndexImpl::SuggestionFor(const SearchRequest& req, uint64_t total) const {
  const CollectionStats* stats = this->stats();
  // No word can be corrected if the query finds more docs than any
  // correction could make likelier: a cheap exit for ordinary queries.
  if (static_cast<double>(total) >= SuggestionLimit()) return "";
  std::string out;
  bool changed = false;
  const std::string& q = req.query;
  for (size_t i = 0; i < q.size();) {
    const size_t start = q.find_first_not_of(" \t", i);
    if (start == std::string::npos) break;
    const size_t end = std::min(q.find_first_of(" \t", start), q.size());
    std::string word = q.substr(start, end - start);
    i = end;
    if (!out.empty()) out += ' ';
    if (!PlainWord(word)) {
      out += word;
      continue;
    }
    double typed_df = 0;
    std::string typed;  // The word folded, as the surface words are.
    std::set<std::string> typed_stems;
    std::vector<std::pair<uint32_t, std::string>> walks;  // (field, surface word)
    for (uint32_t f : default_fields_) {
      const FieldReader* field = reader_->field(f);
      if (field == nullptr || field->norms == nullptr || analyzers_[f] == nullptr) continue;
      const std::vector<std::string> terms = analyzers_[f]->Terms(word);
      const std::vector<std::string> surface = surface_analyzers_[f]->Terms(word);
      if (terms.size() != 1 || surface.size() != 1) continue;
      typed_df = std::max(typed_df,
                          static_cast<double>(stats != nullptr ? stats->DocFreq(f, false, terms[0])
                                              : field->dict.Find(terms[0])
                                                  ? field->DocFreq(*field->dict.Find(terms[0]))
                                                  : 0));
      typed = surface[0];
      typed_stems.insert(terms[0]);
      walks.emplace_back(f, surface[0]);
    }
    // A short word the index has is never corrected (below): no walk.
    const bool known = typed_df > 0;
    if (known && CodePointCount(typed) < kKnownWordLetters) walks.clear();
    std::unordered_map<std::string, WordMatch> near;  // Over the fields: most docs.
    for (const auto& [f, surface] : walks) {
      const uint32_t max_edits = SuggestEditsFor(surface);
      if (max_edits == 0) continue;
      for (WordMatch& m : stats != nullptr
                              ? stats->TypoWords(f, surface, max_edits)
                              : typo_cache_->TypoWords(*reader_->field(f), surface, max_edits)) {
        if (m.edits == 0) continue;
        auto [it, fresh] = near.try_emplace(m.word, m);
        if (!fresh) it->second.doc_freq = std::max(it->second.doc_freq, m.doc_freq);
      }
    }
    // Words of one stem are one meaning: their likelihoods add up, and the
    // likeliest form is shown; the typed word's own stem is no correction.
    struct Meaning {
      double likelihood = 0;
      const WordMatch* form = nullptr;
      double form_likelihood = 0;
    };
    std::map<std::string, Meaning> meanings;  // By stem (ordered: ties are stable).
    for (const auto& [text, m] : near) {
      if (typed_stems.count(m.stem) > 0) continue;
      const double l = TypoLikelihood(static_cast<double>(m.doc_freq), m.edits) *
                       (m.edits == 1 && DoubledLetter(typed, m.word) ? kDoubledLetterOdds : 1.0);
      Meaning& meaning = meanings[m.stem];
      meaning.likelihood += l;
      if (meaning.form == nullptr || l > meaning.form_likelihood ||
          (l == meaning.form_likelihood && m.word < meaning.form->word)) {
        meaning.form = &m;
        meaning.form_likelihood = l;
      }
    }
    const Meaning* best = nullptr;
    double second = 0;
    for (const auto& [stem, meaning] : meanings) {
      if (best == nullptr || meaning.likelihood > best->likelihood) {
        if (best != nullptr) second = best->likelihood;
        best = &meaning;
      } else {
        second = std::max(second, meaning.likelihood);
      }
    }
    // A word the index has (found docs) must be long and far outweighed.
    if (best != nullptr && best->likelihood > kDominance * second &&
        best->likelihood > (known ? kKnownWordMargin * typed_df : kUnknownWordFloor) &&
        (!known || CodePointCount(typed) >= kKnownWordLetters)) {
      word = best->form->word;
      changed = true;
    }
    out += word;
  }
  return changed ? out : "";
}

std::string CheckedSuggestion(const Index& index, const IndexImpl& words, const SearchRequest& req,
                              uint64_t total) {
  if (!req.suggest || !req.search_after.empty()) return "";
  std::string suggestion = words.SuggestionFor(req, total);
  if (suggestion.empty()) return "";
  SearchRequest check = req;
  check.query = suggestion;
  check.k = 0;
  check.offset = 0;
  check.facets.clear();
  check.typos = false;
  check.suggest = false;  // The check must not suggest in turn.
  check.total_hits_threshold = SearchRequest::kExactTotal;
  auto r = index.Search(check);
  return r.ok() && r->total > total ? suggestion : "";
}

}  // namespace libsearch::internal
