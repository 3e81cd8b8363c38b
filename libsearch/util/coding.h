// Little-endian fixed-width and variable-byte integer coding. All on-disk
// integers in libsearch go through these helpers, so the format stays
// little-endian on any host.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#endif

namespace libsearch::internal {

inline void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  std::memcpy(buf, &v, 4);  // Hosts are little-endian (checked in format.h).
  dst->append(buf, 4);
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);
  dst->append(buf, 8);
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline void PutVarint32(std::string* dst, uint32_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}
inline void PutVarint64(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

// Decodes a varint from [p, limit). Returns the position after it, or nullptr
// when the bytes run out or the value overflows (corrupt input).
inline const char* GetVarint32(const char* p, const char* limit, uint32_t* v) {
  // Most varints here (gaps, tfs, term lengths) are one byte.
  if (p < limit && static_cast<uint8_t>(*p) < 0x80) {
    *v = static_cast<uint8_t>(*p);
    return p + 1;
  }
  uint32_t result = 0;
  for (uint32_t shift = 0; shift <= 28 && p < limit; shift += 7) {
    uint32_t byte = static_cast<uint8_t>(*p++);
    if (shift == 28 && byte > 0x0f) return nullptr;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}
// Skips n varints in [p, limit) by counting their last bytes (high bit
// clear). Returns the position after the n-th, or nullptr if fewer end
// before limit. Unlike GetVarint32 it does not reject overlong varints: they
// only shift where later decoding starts, which stays inside [p, limit].
//
// Positions of frequent terms are skipped in bulk (all earlier docs of a
// block), so while n >= 16 whole chunks of 64, then 16 bytes are counted
// with SSE2, with no check per chunk: k chunks of b bytes hold at most
// kb <= n ends. Then the next n bytes if none continues a varint, else
// eight bytes at a time.
inline const char* SkipVarints(const char* p, const char* limit, uint64_t n) {
#if defined(__x86_64__) || defined(_M_X64)
  // Counted as bytes minus continuation bytes (negative as int8): one
  // compare and one subtract per 16 bytes.
  const __m128i zero = _mm_setzero_si128();
  auto cont16 = [&](const char* q) {  // -1 in each byte lane that continues a varint.
    return _mm_cmpgt_epi8(zero, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
  };
  auto fold = [&](__m128i acc) {
    const __m128i sums = _mm_sad_epu8(acc, zero);
    return static_cast<uint64_t>(_mm_cvtsi128_si32(sums)) +
           static_cast<uint64_t>(_mm_extract_epi16(sums, 4));
  };
  while (n >= 64 && limit - p >= 64) {
    uint64_t chunks = std::min<uint64_t>(n / 64, static_cast<uint64_t>(limit - p) / 64);
    while (chunks > 0) {
      // Byte counters gain at most 4 per chunk: fold them every 63 chunks.
      const uint64_t m = std::min<uint64_t>(chunks, 63);
      __m128i acc = zero;
      for (uint64_t i = 0; i < m; ++i, p += 64) {
        acc = _mm_sub_epi8(acc, cont16(p));
        acc = _mm_sub_epi8(acc, cont16(p + 16));
        acc = _mm_sub_epi8(acc, cont16(p + 32));
        acc = _mm_sub_epi8(acc, cont16(p + 48));
      }
      n -= 64 * m - fold(acc);
      chunks -= m;
    }
  }
  while (n >= 16 && limit - p >= 16) {  // Here n < 64 unless limit is near.
    const uint64_t chunks = std::min<uint64_t>(n / 16, static_cast<uint64_t>(limit - p) / 16);
    __m128i acc = zero;
    // At most 255 chunks: no fold needed.
    for (uint64_t i = 0; i < chunks; ++i, p += 16) acc = _mm_sub_epi8(acc, cont16(p));
    n -= 16 * chunks - fold(acc);
  }
  if (n < 16 && limit - p >= 16) {  // Commonly the next n bytes are n one-byte varints.
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if ((static_cast<uint32_t>(_mm_movemask_epi8(v)) & ((1u << n) - 1)) == 0) return p + n;
  }
#endif
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  while (n > 0 && limit - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    // Byte k of `upto`: the varints ending in bytes 0..k (no -mpopcnt).
    const uint64_t upto = ((~w & kHigh) >> 7) * 0x0101010101010101ull;
    const uint64_t c = upto >> 56;
    if (c < n) {
      n -= c;
      p += 8;
      continue;
    }
    // The first byte with upto >= n (bytes are at most 8: no borrows).
    const uint64_t reached = ((upto | kHigh) - n * 0x0101010101010101ull) & kHigh;
    return p + (__builtin_ctzll(reached) >> 3) + 1;
  }
  for (; n > 0 && p < limit; ++p) n -= (static_cast<uint8_t>(*p) < 0x80);
  return n == 0 ? p : nullptr;
}

inline const char* GetVarint64(const char* p, const char* limit, uint64_t* v) {
  uint64_t result = 0;
  for (uint32_t shift = 0; shift <= 63 && p < limit; shift += 7) {
    uint64_t byte = static_cast<uint8_t>(*p++);
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

// Number of bits needed to represent v (0 for v == 0).
inline uint32_t BitWidth(uint32_t v) {
  return v == 0 ? 0 : 32 - static_cast<uint32_t>(__builtin_clz(v));
}
inline uint32_t BitWidth64(uint64_t v) {
  return v == 0 ? 0 : 64 - static_cast<uint32_t>(__builtin_clzll(v));
}

// Bit strings, LSB-first: each value takes exactly its width (at most
// kMaxBitsWidth, so that one unaligned 8-byte load reads any of them).
inline constexpr uint32_t kMaxBitsWidth = 57;

class BitWriter {
 public:
  explicit BitWriter(std::string* dst) : dst_(dst) {}
  // REQUIRES: width <= kMaxBitsWidth and v < 2^width.
  void Put(uint64_t v, uint32_t width) {
    acc_ |= v << used_;
    used_ += width;
    while (used_ >= 8) {
      dst_->push_back(static_cast<char>(acc_ & 0xff));
      acc_ >>= 8;
      used_ -= 8;
    }
  }
  // Flushes a partial last byte (zero-padded).
  void Finish() {
    if (used_ > 0) dst_->push_back(static_cast<char>(acc_ & 0xff));
    acc_ = 0;
    used_ = 0;
  }

 private:
  std::string* dst_;
  uint64_t acc_ = 0;
  uint32_t used_ = 0;
};

// The `width`-bit value at bit offset `bit` of p. REQUIRES: width <=
// kMaxBitsWidth and 8 readable bytes at p + bit / 8.
inline uint64_t ReadBits(const char* p, uint64_t bit, uint32_t width) {
  uint64_t w;
  std::memcpy(&w, p + bit / 8, 8);
  w >>= bit % 8;
  return width == 0 ? 0 : w & (~uint64_t{0} >> (64 - width));
}

}  // namespace libsearch::internal
