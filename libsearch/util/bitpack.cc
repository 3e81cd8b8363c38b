#include "util/bitpack.h"

#include <cstring>

namespace libsearch::internal {

void PackBlock(const uint32_t* in, uint32_t width, std::string* dst) {
  if (width == 0) return;
  const size_t words = 4 * width;
  const size_t start = dst->size();
  dst->resize(start + words * 4);
  uint32_t out[4 * 32] = {};
  for (uint32_t lane = 0; lane < 4; ++lane) {
    uint32_t bit = 0;  // Bit position within the lane's word stream.
    for (uint32_t j = 0; j < 32; ++j) {
      const uint64_t v = in[4 * j + lane];
      const uint32_t word = bit / 32, shift = bit % 32;
      out[4 * word + lane] |= static_cast<uint32_t>(v << shift);
      if (shift + width > 32) {
        out[4 * (word + 1) + lane] |= static_cast<uint32_t>(v >> (32 - shift));
      }
      bit += width;
    }
  }
  std::memcpy(dst->data() + start, out, words * 4);
}

void UnpackBlockScalar(const char* src, uint32_t width, uint32_t* out) {
  if (width == 0) {
    std::memset(out, 0, kBlockSize * sizeof(uint32_t));
    return;
  }
  uint32_t words[4 * 32];
  std::memcpy(words, src, 16 * width);
  const uint64_t mask = width == 32 ? 0xffffffffull : ((1ull << width) - 1);
  for (uint32_t lane = 0; lane < 4; ++lane) {
    uint32_t bit = 0;
    for (uint32_t j = 0; j < 32; ++j) {
      const uint32_t word = bit / 32, shift = bit % 32;
      uint64_t v = words[4 * word + lane] >> shift;
      if (shift + width > 32) {
        v |= static_cast<uint64_t>(words[4 * (word + 1) + lane]) << (32 - shift);
      }
      out[4 * j + lane] = static_cast<uint32_t>(v & mask);
      bit += width;
    }
  }
}

uint32_t DeltaDecodeBlock(uint32_t prev, uint32_t* io) {
  for (size_t i = 0; i < kBlockSize; ++i) {
    prev += io[i] + 1;
    io[i] = prev;
  }
  return prev;
}

}  // namespace libsearch::internal
