#include "util/count_bitset.h"

#include <cstring>

namespace libsearch::internal {

namespace {

// With a list of the words written (n_touched of them; repeats count 0 once
// zeroed), visits just those; else scans the flags 8 at a time. Each written
// word or line is counted and zeroed with its flag.
inline __attribute__((always_inline)) uint64_t CountAndClearImpl(uint64_t* words, uint8_t* lines,
                                                                 size_t num_lines,
                                                                 const uint32_t* touched,
                                                                 size_t n_touched) {
  constexpr size_t kLineWords = CountBitset::kLineDocs / 64;
  uint64_t total = 0;
  if (touched != nullptr) {
    for (size_t i = 0; i < n_touched; ++i) {
      const uint32_t w = touched[i];
      total += static_cast<uint64_t>(__builtin_popcountll(words[w]));
      words[w] = 0;
      lines[w / kLineWords] = 0;
    }
    return total;
  }
  for (size_t g = 0; g < num_lines; g += 8) {
    uint64_t flags;
    std::memcpy(&flags, lines + g, sizeof flags);
    if (flags == 0) continue;
    std::memset(lines + g, 0, 8);
    for (size_t l = g; flags != 0; ++l, flags >>= 8) {
      if ((flags & 0xff) == 0) continue;
      uint64_t* w = words + l * kLineWords;
      for (size_t k = 0; k < kLineWords; ++k) {
        total += static_cast<uint64_t>(__builtin_popcountll(w[k]));
        w[k] = 0;
      }
    }
  }
  return total;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("popcnt"))) uint64_t CountAndClearHw(uint64_t* words, uint8_t* lines,
                                                           size_t num_lines,
                                                           const uint32_t* touched,
                                                           size_t n_touched) {
  return CountAndClearImpl(words, lines, num_lines, touched, n_touched);
}
#endif

}  // namespace

uint64_t CountBitset::CountAndClear() {
  const uint32_t* touched = num_touched_ <= max_touched_ ? touched_ : nullptr;
  const size_t n_touched = num_touched_;
  num_touched_ = 0;
#if defined(__x86_64__) || defined(__i386__)
  static const bool hw = __builtin_cpu_supports("popcnt");  // As util/popcount.h.
  if (hw) return CountAndClearHw(words_.data(), lines_.data(), lines_.size(), touched, n_touched);
#endif
  return CountAndClearImpl(words_.data(), lines_.data(), lines_.size(), touched, n_touched);
}

}  // namespace libsearch::internal
