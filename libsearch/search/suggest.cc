// Post-processing: "did you mean" for a request that found nothing.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "query/expand.h"
#include "search/index_impl.h"

namespace libsearch::internal {

// A word as people write it for the index term `term` (ordinal `ord` of
// field f), since terms are stems ("strawberri"): candidates are the
// folded, unstemmed forms of its occurrences in the stored text of the
// first few docs that hold it, and the term itself. The one whose own
// analysis finds the most docs wins (a rare term can be a common word's
// misspelling: "chocolate" is the stem of "chocolatees" but analyses to
// "chocol"); ties go to a stored form, then the shortest.
std::string IndexImpl::SurfaceForm(uint32_t f, uint32_t ord, const std::string& term) const {
  const FieldReader* field = reader_->field(f);
  const std::string& name = reader_->schema().fields()[f].name;
  std::vector<std::string> candidates;
  if (reader_->schema().fields()[f].stored) {
    PostingsCursor cursor(&field->postings, field->Term(ord));
    std::vector<analysis::Token> tokens;
    for (int n = 0; n < 3 && cursor.doc() != kNoMoreDocs; ++n, cursor.Next()) {
      auto doc = reader_->StoredDocument(cursor.doc());
      if (!doc.ok()) break;
      const nlohmann::json j = nlohmann::json::parse(*doc, nullptr, false);
      if (!j.is_object() || !j.contains(name)) continue;
      const nlohmann::json& v = j[name];
      bool found = false;
      for (const nlohmann::json& item : v.is_array() ? v : nlohmann::json::array({v})) {
        if (!item.is_string() || found) continue;
        const std::string text = item.get<std::string>();
        tokens.clear();
        analyzers_[f]->Analyze(text, &tokens, 0);
        for (const analysis::Token& t : tokens) {
          if (t.term != term || t.joined) continue;
          const std::vector<std::string> surface =
              surface_analyzers_[f]->Terms(text.substr(t.start, t.end - t.start));
          if (surface.size() == 1) candidates.push_back(surface[0]);
          found = true;
          break;
        }
      }
    }
  }
  candidates.push_back(term);  // Last: ties prefer a stored form.
  std::string best;
  int64_t best_df = -1;
  for (const std::string& c : candidates) {
    const std::vector<std::string> terms = analyzers_[f]->Terms(c);
    int64_t df = 0;
    if (terms.size() == 1) {
      if (const auto o = field->dict.Find(terms[0])) df = field->DocFreq(*o);
    }
    if (df > best_df || (df == best_df && c.size() < best.size() && &c != &candidates.back())) {
      best = c;
      best_df = df;
    }
  }
  return best;
}

// "Did you mean": each bare word of the query that is not in any default
// field's dictionary is replaced by the closest, most frequent term within
// two edits across those fields (the typed word, unstemmed, against the
// terms, which are stems), shown as a word of the stored text
// (SurfaceForm: "strawberri" -> "strawberries").
// Offered only if the corrected query matches something.
std::string IndexImpl::Suggest(const SearchRequest& req) const {
  std::string out;
  bool changed = false;
  size_t i = 0;
  const std::string& q = req.query;
  while (i < q.size()) {
    const size_t start = q.find_first_not_of(" \t", i);
    if (start == std::string::npos) break;
    const size_t end = std::min(q.find_first_of(" \t", start), q.size());
    std::string word = q.substr(start, end - start);
    i = end;
    if (!out.empty()) out += ' ';
    const bool plain = word.find_first_of(":\"()+-") == std::string::npos && word != "OR" &&
                       word != "AND" && word != "NOT";
    if (plain) {
      std::string best;
      uint32_t best_edits = 3, best_df = 0, best_field = 0, best_ord = 0;
      bool known = false;
      for (uint32_t f : default_fields_) {
        const FieldReader* field = reader_->field(f);
        if (field == nullptr) continue;
        const std::vector<std::string> terms = analyzers_[f]->Terms(word);
        if (terms.size() != 1) continue;
        if (field->dict.Find(terms[0])) {
          known = true;
          break;
        }
        const std::vector<std::string> surface = surface_analyzers_[f]->Terms(word);
        for (const auto& e : FuzzyTerms(*field, surface[0], 2, true, 1)) {
          const uint32_t df = field->DocFreq(e.ord);
          if (e.edits < best_edits || (e.edits == best_edits && df > best_df)) {
            std::vector<std::string> t;
            if (!field->dict.Terms(e.ord, 1, &t).ok()) continue;
            best = t[0];
            best_edits = e.edits;
            best_df = df;
            best_field = f;
            best_ord = e.ord;
          }
        }
      }
      if (!known && !best.empty()) {
        word = SurfaceForm(best_field, best_ord, best);
        changed = true;
      }
    }
    out += word;
  }
  if (!changed) return "";
  SearchRequest check = req;
  check.query = out;
  check.k = 0;
  check.typos = false;
  check.suggest = false;  // The check must not suggest in turn.
  auto r = Search(check);
  return r.ok() && r->total > 0 ? out : "";
}

}  // namespace libsearch::internal
