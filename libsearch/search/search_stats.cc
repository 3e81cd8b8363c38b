#include "search/search_stats.h"

#include <utility>

namespace libsearch::internal {
namespace {

thread_local const SearchStats* current = nullptr;

// A key with every argument: the numbers' bytes (fixed widths), the
// length of `a`, then a and b.
template <typename... Numbers>
std::string Key(char kind, std::string_view a, std::string_view b, Numbers... numbers) {
  std::string key(1, kind);
  key.reserve(1 + (sizeof(numbers) + ... + 0) + sizeof(size_t) + a.size() + b.size());
  auto append = [&key](auto n) { key.append(reinterpret_cast<const char*>(&n), sizeof(n)); };
  (append(numbers), ...);
  append(a.size());
  key.append(a);
  key.append(b);
  return key;
}

}  // namespace

void SearchStats::Learn(uint32_t f, const std::vector<TermExpansion>& terms,
                        const std::vector<uint64_t>& doc_freqs) const {
  if (doc_freqs.size() != terms.size()) return;
  DocFreqs& known = DocFreqsOf(f, false);
  for (size_t i = 0; i < terms.size(); ++i) known.try_emplace(terms[i].first, doc_freqs[i]);
}

uint64_t SearchStats::DocFreq(uint32_t f, bool prefix_index, std::string_view term) const {
  DocFreqs& known = DocFreqsOf(f, prefix_index);
  const auto it = known.find(term);
  if (it != known.end()) return it->second;
  const uint64_t df = base_->DocFreq(f, prefix_index, term);
  known.emplace(std::string(term), df);
  return df;
}

std::vector<TermExpansion> SearchStats::PrefixTerms(uint32_t f, std::string_view prefix,
                                                    size_t cap) const {
  std::string key = Key('x', prefix, {}, f, cap);
  const auto it = expansions_.find(key);
  if (it != expansions_.end()) return it->second;
  std::vector<uint64_t> doc_freqs;
  std::vector<TermExpansion> v = base_->PrefixTerms(f, prefix, cap, &doc_freqs);
  Learn(f, v, doc_freqs);
  expansions_.emplace(std::move(key), v);
  return v;
}

std::vector<TermExpansion> SearchStats::TypoStems(uint32_t f, std::string_view surface,
                                                  std::string_view stem, uint32_t max_edits,
                                                  size_t cap) const {
  std::string key = Key('t', surface, stem, f, max_edits, cap);
  const auto it = expansions_.find(key);
  if (it != expansions_.end()) return it->second;
  std::vector<uint64_t> doc_freqs;
  std::vector<TermExpansion> v = base_->TypoStems(f, surface, stem, max_edits, cap, &doc_freqs);
  Learn(f, v, doc_freqs);
  expansions_.emplace(std::move(key), v);
  return v;
}

SearchStats::Scope::Scope(const SearchStats* stats) : previous_(current) { current = stats; }

SearchStats::Scope::~Scope() { current = previous_; }

const CollectionStats* SearchStats::For(const CollectionStats* base) {
  return current != nullptr && base != nullptr && current->base() == base ? current : base;
}

}  // namespace libsearch::internal
