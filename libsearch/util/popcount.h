// Population count of a word array, with the POPCNT instruction when the CPU
// has it (checked once at run time; the build does not assume it) and a
// SWAR fallback the compiler can vectorise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace libsearch::internal {

inline uint64_t PopcountWordsPortable(const uint64_t* w, size_t n) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t x = w[i];
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    total += (x * 0x0101010101010101ull) >> 56;
  }
  return total;
}

#if defined(__x86_64__) || defined(__i386__)
// Four words per step into four sums: the loop is not one dependency
// chain (POPCNT has a false output dependency on many Intel cores).
__attribute__((target("popcnt"))) inline uint64_t PopcountWordsHw(const uint64_t* w, size_t n) {
  uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    t0 += static_cast<uint64_t>(__builtin_popcountll(w[i]));
    t1 += static_cast<uint64_t>(__builtin_popcountll(w[i + 1]));
    t2 += static_cast<uint64_t>(__builtin_popcountll(w[i + 2]));
    t3 += static_cast<uint64_t>(__builtin_popcountll(w[i + 3]));
  }
  for (; i < n; ++i) t0 += static_cast<uint64_t>(__builtin_popcountll(w[i]));
  return t0 + t1 + t2 + t3;
}
#endif

inline uint64_t PopcountWords(const uint64_t* w, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool hw = __builtin_cpu_supports("popcnt");
  if (hw) return PopcountWordsHw(w, n);
#endif
  return PopcountWordsPortable(w, n);
}

}  // namespace libsearch::internal
