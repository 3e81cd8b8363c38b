// SIMD kernels for the vertical BP128 layout (util/bitpack.h). Lane l of a
// 128-bit register is lane l of the layout, so word k of all four lanes is
// one 16-byte load and value j of all four lanes is a shift and a mask: the
// four lanes decode in parallel with no shuffles. The kernels use only SSE2,
// which every x86-64 CPU has; the width is a template parameter so each of
// the 33 kernels is fully unrolled with constant shift counts.
#include <array>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "util/bitpack.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#define LIBSEARCH_HAVE_SSE2 1
#endif

namespace libsearch::internal {

#if LIBSEARCH_HAVE_SSE2
namespace {

// Calls sink(j, v) for j = 0..31 with v = value j of all four lanes. W is a
// constant and the loop is fully unrolled, so every shift count folds to an
// immediate; flatten keeps `cur` and the sink's state in registers.
template <uint32_t W, typename Sink>
[[gnu::always_inline]] inline void UnpackLanes(const char* src, Sink& sink) {
  const __m128i* in = reinterpret_cast<const __m128i*>(src);
  const __m128i mask = _mm_set1_epi32(W == 32 ? -1 : static_cast<int>((1u << W) - 1));
  __m128i cur = _mm_loadu_si128(in);
#pragma GCC unroll 32
  for (uint32_t j = 0; j < 32; ++j) {
    const uint32_t bit = (j * W) % 32;
    const uint32_t word = (j * W) / 32;
    __m128i v = _mm_srli_epi32(cur, static_cast<int>(bit));
    if (bit + W > 32) {
      cur = _mm_loadu_si128(in + word + 1);
      v = _mm_or_si128(v, _mm_slli_epi32(cur, static_cast<int>(32 - bit)));
    } else if (bit + W == 32 && j < 31) {
      cur = _mm_loadu_si128(in + word + 1);
    }
    if (W < 32) v = _mm_and_si128(v, mask);
    sink(j, v);
  }
}

template <uint32_t W>
[[gnu::flatten]] void UnpackSse2(const char* src, uint32_t* out) {
  if constexpr (W == 0) {
    std::memset(out, 0, kBlockSize * sizeof(uint32_t));
  } else {
    __m128i* o = reinterpret_cast<__m128i*>(out);
    auto store = [o](uint32_t j, __m128i v) { _mm_storeu_si128(o + j, v); };
    UnpackLanes<W>(src, store);
  }
}

// Registers hold four consecutive values (ids 4j..4j+3), so the prefix sum
// is an in-register scan plus the carry of the previous register.
inline __m128i PrefixSum(__m128i gaps, __m128i* carry) {
  __m128i d = _mm_add_epi32(gaps, _mm_set1_epi32(1));
  d = _mm_add_epi32(d, _mm_slli_si128(d, 4));
  d = _mm_add_epi32(d, _mm_slli_si128(d, 8));
  d = _mm_add_epi32(d, *carry);
  *carry = _mm_shuffle_epi32(d, 0xff);
  return d;
}

template <uint32_t W>
[[gnu::flatten]] uint32_t UnpackDeltaSse2(const char* src, uint32_t prev, uint32_t* out) {
  __m128i carry = _mm_set1_epi32(static_cast<int>(prev));
  __m128i* o = reinterpret_cast<__m128i*>(out);
  if constexpr (W == 0) {
    for (uint32_t j = 0; j < 32; ++j)
      _mm_storeu_si128(o + j, PrefixSum(_mm_setzero_si128(), &carry));
  } else {
    auto scan = [o, &carry](uint32_t j, __m128i v) {
      _mm_storeu_si128(o + j, PrefixSum(v, &carry));
    };
    UnpackLanes<W>(src, scan);
  }
  return out[kBlockSize - 1];
}

template <size_t... W>
constexpr auto MakeUnpackTable(std::index_sequence<W...>) {
  return std::array<void (*)(const char*, uint32_t*), sizeof...(W)>{&UnpackSse2<W>...};
}
template <size_t... W>
constexpr auto MakeDeltaTable(std::index_sequence<W...>) {
  return std::array<uint32_t (*)(const char*, uint32_t, uint32_t*), sizeof...(W)>{
      &UnpackDeltaSse2<W>...};
}
constexpr auto kUnpack = MakeUnpackTable(std::make_index_sequence<33>{});
constexpr auto kDelta = MakeDeltaTable(std::make_index_sequence<33>{});

void UnpackSimd(const char* src, uint32_t width, uint32_t* out) { kUnpack[width](src, out); }
uint32_t UnpackDeltaSimd(const char* src, uint32_t width, uint32_t prev, uint32_t* out) {
  return kDelta[width](src, prev, out);
}

}  // namespace
#endif  // LIBSEARCH_HAVE_SSE2

namespace {

uint32_t UnpackDeltaScalar(const char* src, uint32_t width, uint32_t prev, uint32_t* out) {
  UnpackBlockScalar(src, width, out);
  return DeltaDecodeBlock(prev, out);
}

BitpackKernels Select() {
  BitpackKernels k{"scalar", &UnpackBlockScalar, &UnpackDeltaScalar};
#if LIBSEARCH_HAVE_SSE2
  // LIBSEARCH_SIMD=scalar forces the reference kernels (for benchmarks and
  // for ruling the SIMD path out when debugging).
  const char* env = std::getenv("LIBSEARCH_SIMD");
  if (env == nullptr || std::strcmp(env, "scalar") != 0) {
    k = {"sse2", &UnpackSimd, &UnpackDeltaSimd};
  }
#endif
  return k;
}

}  // namespace

const BitpackKernels& ScalarKernels() {
  static const BitpackKernels k{"scalar", &UnpackBlockScalar, &UnpackDeltaScalar};
  return k;
}

const BitpackKernels& SimdKernels() {
#if LIBSEARCH_HAVE_SSE2
  static const BitpackKernels k{"sse2", &UnpackSimd, &UnpackDeltaSimd};
  return k;
#else
  return ScalarKernels();
#endif
}

const BitpackKernels& ActiveKernels() {
  static const BitpackKernels k = Select();
  return k;
}

}  // namespace libsearch::internal
