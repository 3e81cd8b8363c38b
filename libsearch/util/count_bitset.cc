#include "util/count_bitset.h"

#include <cstring>


namespace libsearch::internal {

namespace {

// Scans the flags 8 at a time; each written line is counted and zeroed.
inline __attribute__((always_inline)) uint64_t CountAndClearImpl(uint64_t* words, uint8_t* lines,
                                                                 size_t num_lines) {
  constexpr size_t kLineWords = CountBitset::kLineDocs / 64;
  uint64_t total = 0;
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
                                                           size_t num_lines) {
  return CountAndClearImpl(words, lines, num_lines);
}
#endif

}  // namespace

uint64_t CountBitset::CountAndClear() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool hw = __builtin_cpu_supports("popcnt");  // As util/popcount.h.
  if (hw) return CountAndClearHw(words_.data(), lines_.data(), lines_.size());
#endif
  return CountAndClearImpl(words_.data(), lines_.data(), lines_.size());
}

}  // namespace libsearch::internal
