#include "search/global_stats.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "index/term_dict.h"
#include "query/expand.h"

namespace libsearch::internal {
namespace {

// Expansions differ per query word; a bounded cache keeps the dictionary
// walks of repeated words (search-as-you-type) to one per snapshot.
constexpr size_t kAll = std::numeric_limits<size_t>::max();

const FieldReader* Field(const IndexReader* r, uint32_t f, bool prefix_index) {
  if (r == nullptr) return nullptr;
  return prefix_index ? r->prefix_field(f) : r->field(f);
}

uint64_t LocalDocFreq(const FieldReader* field, std::string_view term) {
  if (field == nullptr) return 0;
  const auto ord = field->dict.Find(term);
  return ord ? field->DocFreq(*ord) : 0;
}

// The df_cache_ key of a term: the field id's bytes, the kind, the term.
std::string DfKey(uint32_t f, bool prefix_index, std::string_view term) {
  std::string key;
  key.reserve(term.size() + sizeof(f) + 1);
  key.append(reinterpret_cast<const char*>(&f), sizeof(f)).push_back(prefix_index ? 'p' : ':');
  key.append(term);
  return key;
}

std::string TermOf(const FieldReader& field, uint32_t ord) {
  std::vector<std::string> term;
  if (!field.dict.Terms(ord, 1, &term).ok()) return {};
  return std::move(term[0]);
}

}  // namespace

GlobalStats::GlobalStats(std::vector<Part> parts, size_t num_fields, bool shortcuts)
    : parts_(std::move(parts)),
      shortcuts_(shortcuts),
      filters_(std::make_unique<FieldFilters[]>(num_fields)),
      small_words_(std::make_unique<FieldWords[]>(num_fields)),
      doc_count_(num_fields, 0),
      sum_total_tf_(num_fields, 0) {
  for (uint32_t f = 0; f < num_fields; ++f) {
    for (const Part& p : parts_) {
      if (const FieldReader* s = Field(p.segment, f, false)) {
        doc_count_[f] += s->stats.doc_count;
        sum_total_tf_[f] += s->stats.sum_total_tf;
      }
      for (const IndexReader* tomb : p.tombstones) {
        if (const FieldReader* t = Field(tomb, f, false)) {
          doc_count_[f] -= t->stats.doc_count;
          sum_total_tf_[f] -= t->stats.sum_total_tf;
        }
      }
    }
  }
}

uint64_t GlobalStats::DocFreq(uint32_t f, bool prefix_index, std::string_view term) const {
  // Every segment's scorers ask for each query term: cached, the sum over
  // the segments is taken once per term and snapshot.
  std::string key = DfKey(f, prefix_index, term);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (const uint64_t* found = df_cache_.Find(key)) return *found;
  }
  const uint64_t df = SumDocFreq(f, prefix_index, term);
  std::lock_guard<std::mutex> lock(mu_);
  df_cache_.Put(std::move(key), df);
  return df;
}

const GlobalStats::FieldFilters* GlobalStats::FiltersOf(uint32_t f) const {
  if (!shortcuts_ || f >= doc_count_.size()) return nullptr;
  FieldFilters& ff = filters_[f];
  std::call_once(ff.once, [&] {
    auto filter = [&](const IndexReader* r) -> std::unique_ptr<TermFilter> {
      const FieldReader* field = Field(r, f, false);
      return field != nullptr ? TermFilter::Build(field->dict, kMaxMergedWords) : nullptr;
    };
    ff.parts.resize(parts_.size());
    for (size_t i = 0; i < parts_.size(); ++i) {
      ff.parts[i].push_back(filter(parts_[i].segment));
      for (const IndexReader* t : parts_[i].tombstones) ff.parts[i].push_back(filter(t));
    }
  });
  return &ff;
}

uint64_t GlobalStats::FilteredDocFreq(const FieldFilters* filters, size_t i, size_t k,
                                      const FieldReader* field, std::string_view term) {
  if (filters != nullptr) {
    const TermFilter* filter = filters->parts[i][k].get();
    if (filter != nullptr && !filter->MayContain(term)) return 0;
  }
  return LocalDocFreq(field, term);
}

uint64_t GlobalStats::SumDocFreq(uint32_t f, bool prefix_index, std::string_view term) const {
  // The prefix index's dictionaries have no filters.
  const FieldFilters* filters = prefix_index ? nullptr : FiltersOf(f);
  uint64_t df = 0;
  for (size_t i = 0; i < parts_.size(); ++i) {
    const Part& p = parts_[i];
    df += FilteredDocFreq(filters, i, 0, Field(p.segment, f, prefix_index), term);
    for (size_t g = 0; g < p.tombstones.size(); ++g) {
      df -= FilteredDocFreq(filters, i, g + 1, Field(p.tombstones[g], f, prefix_index), term);
    }
  }
  return df;
}

std::vector<TermExpansion> GlobalStats::PrefixTerms(uint32_t f, std::string_view prefix,
                                                    size_t cap) const {
  std::vector<uint64_t> doc_freqs;
  return PrefixTerms(f, prefix, cap, &doc_freqs);
}

std::vector<TermExpansion> GlobalStats::PrefixTerms(uint32_t f, std::string_view prefix, size_t cap,
                                                    std::vector<uint64_t>* doc_freqs) const {
  std::string key = "p" + std::to_string(f) + ":" + std::to_string(cap) + ":";
  key.append(prefix);
  return Expand(
      std::move(key), f, cap,
      [&](const FieldReader& field) { return internal::PrefixTerms(field, prefix, kAll); },
      doc_freqs);
}

std::vector<TermExpansion> GlobalStats::TypoStems(uint32_t f, std::string_view surface,
                                                  std::string_view stem, uint32_t max_edits,
                                                  size_t cap) const {
  std::vector<uint64_t> doc_freqs;
  return TypoStems(f, surface, stem, max_edits, cap, &doc_freqs);
}

std::vector<TermExpansion> GlobalStats::TypoStems(uint32_t f, std::string_view surface,
                                                  std::string_view stem, uint32_t max_edits,
                                                  size_t cap,
                                                  std::vector<uint64_t>* doc_freqs) const {
  std::string key =
      "f" + std::to_string(f) + ":" + std::to_string(max_edits) + ":" + std::to_string(cap) + ":";
  key.append(surface).push_back('\0');
  key.append(stem);
  bool all_have_words = true;
  for (const Part& p : parts_) {
    const FieldReader* field = Field(p.segment, f, false);
    if (field != nullptr && !field->surface.present()) all_have_words = false;
  }
  if (!all_have_words) {  // Segments of an older format: typos on stems.
    return Expand(
        std::move(key), f, cap,
        [&](const FieldReader& field) {
          return internal::FuzzyTerms(field, stem, max_edits, true, kAll);
        },
        doc_freqs);
  }
  std::vector<TermExpansion> out;
  if (Cached(key, &out, doc_freqs)) return out;
  const std::unordered_map<std::string, LiveWord> words = LiveWords(f, surface, max_edits, true);
  Candidates candidates;
  for (const auto& [word, w] : words) {
    if (w.stem.empty()) continue;
    auto [it, inserted] = candidates.try_emplace(w.stem);
    it->second.edits = inserted ? w.edits : std::min(it->second.edits, w.edits);
  }
  const FieldFilters* filters = FiltersOf(f);
  for (auto& [term, c] : candidates) {  // Rank subtracts the tombstones'.
    for (size_t i = 0; i < parts_.size(); ++i) {
      c.df += FilteredDocFreq(filters, i, 0, Field(parts_[i].segment, f, false), term);
    }
  }
  out = Rank(f, &candidates, cap, doc_freqs);
  Remember(std::move(key), out, *doc_freqs);
  return out;
}

std::vector<WordMatch> GlobalStats::TypoWords(uint32_t f, std::string_view surface,
                                              uint32_t max_edits) const {
  // "Did you mean" walks every segment's words for each query word: cached
  // per snapshot, as the expansions are.
  std::string key = std::to_string(f) + ":" + std::to_string(max_edits) + ":";
  key.append(surface);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (const std::vector<WordMatch>* found = words_cache_.Find(key)) return *found;
  }
  std::vector<WordMatch> out;
  for (auto& [word, w] : LiveWords(f, surface, max_edits, true)) {
    out.push_back({word, w.edits, static_cast<uint64_t>(w.df), w.stem});
  }
  std::lock_guard<std::mutex> lock(mu_);
  words_cache_.Put(std::move(key), out);
  return out;
}

const GlobalStats::FieldWords* GlobalStats::WordsOf(uint32_t f) const {
  if (!shortcuts_ || f >= doc_count_.size()) return nullptr;
  FieldWords& fw = small_words_[f];
  std::call_once(fw.once, [&] {
    fw.words = BuildSmallWords(f);
    fw.tombstones.resize(parts_.size());
    for (size_t i = 0; i < parts_.size(); ++i) {
      for (const IndexReader* t : parts_[i].tombstones) {
        const FieldReader* tomb = Field(t, f, false);
        fw.tombstones[i].push_back(tomb == nullptr || !tomb->surface.present()
                                       ? nullptr
                                       : TermFilter::Build(tomb->surface.dict, kMaxMergedWords));
      }
    }
  });
  return &fw;
}

std::unique_ptr<GlobalStats::SmallWords> GlobalStats::BuildSmallWords(uint32_t f) const {
  struct Word {
    std::string text;
    uint32_t part, ord;
  };
  std::vector<Word> all;
  auto out = std::make_unique<SmallWords>();
  out->merged.assign(parts_.size(), false);
  size_t small = 0;
  for (uint32_t i = 0; i < parts_.size(); ++i) {
    const FieldReader* field = Field(parts_[i].segment, f, false);
    if (field == nullptr || !field->surface.present()) continue;
    const TermDictReader& dict = field->surface.dict;
    const uint64_t n = dict.num_terms();
    // Past kMaxMergedTotal words, the rest are walked one by one (many
    // small segments: the merged copy would grow without bound).
    if (n == 0 || n > kMaxMergedWords || all.size() + n > kMaxMergedTotal) continue;
    TermDictReader::Iterator it(dict);
    uint64_t seen = 0;
    for (bool ok = it.Seek(0); ok; ok = it.Next()) {
      all.push_back({std::string(it.term()), i, it.ord()});
      ++seen;
    }
    if (it.corrupt() || seen != n) return nullptr;
    out->merged[i] = true;
    ++small;
  }
  if (small < 2) return nullptr;
  std::sort(all.begin(), all.end(), [](const Word& a, const Word& b) {
    return a.text != b.text ? a.text < b.text : a.part < b.part;
  });
  std::vector<std::string_view> terms;
  for (const Word& w : all) {
    if (terms.empty() || terms.back() != w.text) {
      terms.push_back(w.text);
      out->begin.push_back(static_cast<uint32_t>(out->entries.size()));
    }
    out->entries.emplace_back(w.part, w.ord);
  }
  out->begin.push_back(static_cast<uint32_t>(out->entries.size()));
  WriteTermDict(terms, &out->blocks, &out->index, &out->prefixes);
  auto dict = TermDictReader::Open(out->blocks, out->index, out->prefixes, terms.size());
  if (!dict.ok()) return nullptr;
  out->dict = *dict;
  return out;
}

// A word only deleted docs held is not one: segments' word counts minus the
// tombstones'.
std::unordered_map<std::string, GlobalStats::LiveWord> GlobalStats::LiveWords(
    uint32_t f, std::string_view surface, uint32_t max_edits, bool with_stems) const {
  std::unordered_map<std::string, LiveWord> words;
  // Each part's words within reach; the small parts' from one walk of
  // their merged words. (Then taken part by part, as walked one by one.)
  const FieldWords* aids = WordsOf(f);
  const SmallWords* small = aids != nullptr ? aids->words.get() : nullptr;
  std::vector<std::vector<Expansion>> in_part(parts_.size());
  std::vector<bool> walked(parts_.size(), false);
  if (small != nullptr) {
    std::vector<Expansion> merged;
    if (FuzzyWalk(small->dict, surface, max_edits, true, &merged)) {
      for (const Expansion& e : merged) {
        for (uint32_t k = small->begin[e.ord]; k < small->begin[e.ord + 1]; ++k) {
          in_part[small->entries[k].first].push_back({small->entries[k].second, e.edits});
        }
      }
      for (size_t i = 0; i < parts_.size(); ++i) walked[i] = small->merged[i];
    }
  }
  std::vector<std::string> text;
  for (size_t i = 0; i < parts_.size(); ++i) {
    const FieldReader* field = Field(parts_[i].segment, f, false);
    if (field == nullptr || !field->surface.present()) continue;
    std::vector<Expansion>& found = in_part[i];
    if (!walked[i] && !FuzzyWalk(field->surface.dict, surface, max_edits, true, &found)) continue;
    for (const Expansion& e : found) {
      text.clear();
      if (e.ord >= field->surface.num_words || !field->surface.dict.Terms(e.ord, 1, &text).ok()) {
        continue;
      }
      const SurfaceWord sw = field->surface.Get(e.ord);
      if (sw.stem_ord >= field->stats.num_terms) continue;
      LiveWord& w = words[text[0]];
      w.edits = e.edits;
      if (with_stems && w.stem.empty()) w.stem = TermOf(*field, sw.stem_ord);
      w.df += sw.doc_freq;
    }
  }
  for (size_t i = 0; i < parts_.size(); ++i) {
    for (size_t g = 0; g < parts_[i].tombstones.size(); ++g) {
      const FieldReader* tomb = Field(parts_[i].tombstones[g], f, false);
      if (tomb == nullptr || !tomb->surface.present()) continue;
      const TermFilter* filter = aids != nullptr ? aids->tombstones[i][g].get() : nullptr;
      for (auto& [word, w] : words) {
        if (filter != nullptr && !filter->MayContain(word)) continue;
        if (const auto ord = tomb->surface.dict.Find(word)) {
          w.df -= tomb->surface.Get(*ord).doc_freq;
        }
      }
    }
  }
  std::erase_if(words, [](const auto& kv) { return kv.second.df <= 0; });
  return words;
}

std::vector<TermExpansion> GlobalStats::Expand(
    std::string key, uint32_t f, size_t cap,
    const std::function<std::vector<Expansion>(const FieldReader&)>& in_segment,
    std::vector<uint64_t>* doc_freqs) const {
  std::vector<TermExpansion> out;
  if (Cached(key, &out, doc_freqs)) return out;
  Candidates candidates;
  for (const Part& p : parts_) {
    const FieldReader* field = Field(p.segment, f, false);
    if (field == nullptr) continue;
    for (const Expansion& e : in_segment(*field)) Add(*field, e, &candidates);
  }
  out = Rank(f, &candidates, cap, doc_freqs);
  Remember(std::move(key), out, *doc_freqs);
  return out;
}

// A segment's expansion: its doc freq there, read with the term (no lookup).
void GlobalStats::Add(const FieldReader& field, const Expansion& e, Candidates* out) {
  Candidate& c = (*out)[TermOf(field, e.ord)];
  c.edits = e.edits;
  c.df += field.DocFreq(e.ord);
}

std::vector<TermExpansion> GlobalStats::Rank(uint32_t f, Candidates* candidates, size_t cap,
                                             std::vector<uint64_t>* doc_freqs) const {
  // Deleted docs: only tombstones are looked up (they are few and small).
  const FieldFilters* filters = FiltersOf(f);
  for (size_t i = 0; i < parts_.size(); ++i) {
    for (size_t g = 0; g < parts_[i].tombstones.size(); ++g) {
      const FieldReader* tomb = Field(parts_[i].tombstones[g], f, false);
      if (tomb == nullptr) continue;
      for (auto& [term, c] : *candidates) c.df -= FilteredDocFreq(filters, i, g + 1, tomb, term);
    }
  }
  struct Ranked {
    uint32_t edits;
    uint64_t df;
    std::string term;
  };
  std::vector<Ranked> ranked;
  ranked.reserve(candidates->size());
  for (const auto& [term, c] : *candidates) {
    if (c.df > 0) ranked.push_back({c.edits, c.df, term});
  }
  const size_t n = std::min(cap, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<ptrdiff_t>(n), ranked.end(),
                    [](const Ranked& a, const Ranked& b) {
                      if (a.edits != b.edits) return a.edits < b.edits;
                      if (a.df != b.df) return a.df > b.df;
                      return a.term < b.term;
                    });
  std::vector<TermExpansion> out;
  out.reserve(n);
  {
    // The scorers ask for each expansion's doc freq next: it is this one
    // (every segment's minus the tombstones'), so it is cached now.
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < n; ++i) df_cache_.Put(DfKey(f, false, ranked[i].term), ranked[i].df);
  }
  doc_freqs->clear();
  for (size_t i = 0; i < n; ++i) {
    out.emplace_back(std::move(ranked[i].term), ranked[i].edits);
    doc_freqs->push_back(ranked[i].df);
  }
  return out;
}

bool GlobalStats::Cached(const std::string& key, std::vector<TermExpansion>* out,
                         std::vector<uint64_t>* doc_freqs) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Expansions* found = cache_.Find(key);
  if (found == nullptr) return false;
  *out = found->terms;
  *doc_freqs = found->doc_freqs;
  return true;
}

void GlobalStats::Remember(std::string key, const std::vector<TermExpansion>& v,
                           const std::vector<uint64_t>& doc_freqs) const {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.Put(std::move(key), Expansions{v, doc_freqs});
}

}  // namespace libsearch::internal
