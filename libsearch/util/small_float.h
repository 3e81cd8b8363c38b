// Lucene's SmallFloat.intToByte4 / byte4ToInt: field lengths squeezed into one
// byte, exact up to 39 and logarithmic above. BM25 must see exactly the
// lengths Lucene sees to give Lucene's scores, so this is a faithful port of
// the arithmetic (not of the code).
#pragma once

#include <cstdint>

namespace libsearch::internal {

namespace small_float_detail {
inline int LongToInt4(uint64_t i) {
  const int num_bits = i == 0 ? 0 : 64 - __builtin_clzll(i);
  if (num_bits < 4) return static_cast<int>(i);  // Subnormal: exact.
  const int shift = num_bits - 4;
  int encoded = static_cast<int>(i >> shift) & 0x07;  // Drop implicit top bit.
  encoded |= (shift + 1) << 3;
  return encoded;
}
inline uint64_t Int4ToLong(int i) {
  const uint64_t bits = static_cast<uint64_t>(i & 0x07);
  const int shift = (i >> 3) - 1;
  return shift == -1 ? bits : (bits | 0x08) << shift;
}
// 255 - LongToInt4(INT32_MAX) = 24 codes are used for exact small lengths.
inline constexpr int kNumFreeValues = 24;
}  // namespace small_float_detail

inline uint8_t LengthToNorm(uint32_t length) {
  using namespace small_float_detail;
  if (length < kNumFreeValues) return static_cast<uint8_t>(length);
  return static_cast<uint8_t>(kNumFreeValues + LongToInt4(length - kNumFreeValues));
}

inline uint32_t NormToLength(uint8_t norm) {
  using namespace small_float_detail;
  if (norm < kNumFreeValues) return norm;
  return static_cast<uint32_t>(kNumFreeValues + Int4ToLong(norm - kNumFreeValues));
}

}  // namespace libsearch::internal
