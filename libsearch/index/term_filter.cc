#include "index/term_filter.h"

#include "util/hash.h"

namespace libsearch::internal {

std::unique_ptr<TermFilter> TermFilter::Build(const TermDictReader& dict, uint64_t max_terms) {
  const uint64_t n = dict.num_terms();
  if (n > max_terms) return nullptr;
  auto filter = std::unique_ptr<TermFilter>(new TermFilter());
  filter->dict_ = &dict;
  uint64_t bits = 64;
  while (bits < 16 * n) bits <<= 1;
  filter->bits_.assign(bits / 64, 0);
  filter->mask_ = bits - 1;
  TermDictReader::Iterator it(dict);
  uint64_t seen = 0;
  for (bool ok = n > 0 && it.Seek(0); ok; ok = it.Next()) {
    const uint64_t h = Hash64(it.term().data(), it.term().size());
    const uint64_t step = (h >> 32) | 1;
    for (int i = 0; i < kProbes; ++i) {
      const uint64_t b = (h + static_cast<uint64_t>(i) * step) & filter->mask_;
      filter->bits_[b >> 6] |= uint64_t{1} << (b & 63);
    }
    ++seen;
  }
  if (it.corrupt() || seen != n) return nullptr;
  return filter;
}

bool TermFilter::MayContain(std::string_view term) const {
  const uint64_t h = Hash64(term.data(), term.size());
  const uint64_t step = (h >> 32) | 1;
  for (int i = 0; i < kProbes; ++i) {
    const uint64_t b = (h + static_cast<uint64_t>(i) * step) & mask_;
    if ((bits_[b >> 6] & (uint64_t{1} << (b & 63))) == 0) return false;
  }
  return true;
}

}  // namespace libsearch::internal
