// Bit packing of blocks of 128 unsigned 32-bit integers.
//
// Layout (the SIMD-BP128 "vertical" layout of Lemire & Boytsov): value i lives
// in lane i % 4; each lane's 32 values are packed LSB-first into consecutive
// 32-bit words, and the words of the four lanes are interleaved, so word k of
// lane l is word 4k + l. A block of width w takes exactly 16 * w bytes. This
// is what lets an SSE/AVX kernel unpack four lanes with one shift-and-mask per
// word; the scalar code here is the reference those kernels are tested against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace libsearch::internal {

inline constexpr size_t kBlockSize = 128;

inline constexpr size_t PackedBytes(uint32_t width) { return 16 * width; }

// Appends the packed form of in[0..127] to *dst.
// REQUIRES: width <= 32 and every in[i] < 2^width.
void PackBlock(const uint32_t* in, uint32_t width, std::string* dst);

// Reference (scalar) unpack: 128 values of `width` bits from `src`
// (PackedBytes(width) bytes, any alignment) into out[0..127].
void UnpackBlockScalar(const char* src, uint32_t width, uint32_t* out);

// Turns "gap - 1" deltas into strictly increasing doc ids in place:
// io[i] = prev + sum(io[0..i]) + (i + 1). Pass prev = previous block's last doc
// id, or UINT32_MAX (i.e. -1) for the first block. Returns io[127].
uint32_t DeltaDecodeBlock(uint32_t prev, uint32_t* io);

// Decoding kernels, chosen once per process from the CPU (util/bitpack_simd.cc).
struct BitpackKernels {
  const char* name;  // "sse2" or "scalar".
  // Same contract as UnpackBlockScalar.
  void (*unpack)(const char* src, uint32_t width, uint32_t* out);
  // Unpack then DeltaDecodeBlock(prev, out), fused. Returns out[127].
  uint32_t (*unpack_delta)(const char* src, uint32_t width, uint32_t prev, uint32_t* out);
};
const BitpackKernels&
ActiveKernels();  // Best for this CPU (env LIBSEARCH_SIMD=scalar forces scalar).
const BitpackKernels& ScalarKernels();
const BitpackKernels& SimdKernels();  // Scalar where no SIMD kernel exists.

// The active kernels' entry points.
inline void UnpackBlock(const char* src, uint32_t width, uint32_t* out) {
  ActiveKernels().unpack(src, width, out);
}
inline uint32_t UnpackDeltaBlock(const char* src, uint32_t width, uint32_t prev, uint32_t* out) {
  return ActiveKernels().unpack_delta(src, width, prev, out);
}

}  // namespace libsearch::internal
