#include "util/coding.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "util/bitpack.h"
#include "util/popcount.h"
#include "util/small_float.h"

namespace libsearch::internal {
namespace {

TEST(BitPack, EveryWidthRoundTrips) {
  std::mt19937 rng(42);
  for (uint32_t width = 0; width <= 32; ++width) {
    uint32_t in[kBlockSize], out[kBlockSize];
    const uint64_t limit = width == 32 ? 0x100000000ull : (1ull << width);
    for (uint32_t& v : in) v = static_cast<uint32_t>(rng() % limit);
    in[7] = static_cast<uint32_t>(limit - 1);  // The extreme value is exact.
    std::string packed = "x";                  // Unaligned start.
    PackBlock(in, width, &packed);
    ASSERT_EQ(packed.size(), 1 + PackedBytes(width));
    UnpackBlock(packed.data() + 1, width, out);
    for (size_t i = 0; i < kBlockSize; ++i)
      ASSERT_EQ(in[i], out[i]) << "width " << width << " i " << i;
  }
}

// The SIMD kernels must equal the scalar reference for every width, on
// random data and on the extremes, including the fused delta decode.
TEST(BitPack, SimdKernelsMatchScalarForEveryWidth) {
  const BitpackKernels& simd = SimdKernels();
  const BitpackKernels& scalar = ScalarKernels();
  std::printf("active kernels: %s\n", ActiveKernels().name);
  std::mt19937 rng(3);
  for (uint32_t width = 0; width <= 32; ++width) {
    for (int trial = 0; trial < 50; ++trial) {
      uint32_t in[kBlockSize], a[kBlockSize], b[kBlockSize];
      const uint64_t limit = width == 32 ? 0x100000000ull : (1ull << width);
      for (uint32_t& v : in)
        v = trial == 0 ? static_cast<uint32_t>(limit - 1) : static_cast<uint32_t>(rng() % limit);
      std::string packed = std::string(trial % 16, 'x');  // Vary alignment.
      const size_t start = packed.size();
      PackBlock(in, width, &packed);
      simd.unpack(packed.data() + start, width, a);
      scalar.unpack(packed.data() + start, width, b);
      ASSERT_EQ(0, std::memcmp(a, b, sizeof(a))) << "width " << width;
      ASSERT_EQ(0, std::memcmp(a, in, sizeof(a))) << "width " << width;
      const uint32_t prev = trial % 2 ? 0xffffffffu : static_cast<uint32_t>(rng() % 1000);
      const uint32_t last_a = simd.unpack_delta(packed.data() + start, width, prev, a);
      const uint32_t last_b = scalar.unpack_delta(packed.data() + start, width, prev, b);
      ASSERT_EQ(last_a, last_b);
      ASSERT_EQ(0, std::memcmp(a, b, sizeof(a))) << "delta width " << width;
    }
  }
}

TEST(BitPack, DeltaDecodeRestoresIncreasingIds) {
  uint32_t gaps[kBlockSize];
  for (size_t i = 0; i < kBlockSize; ++i) gaps[i] = static_cast<uint32_t>(i % 3);
  const uint32_t last = DeltaDecodeBlock(0xffffffffu, gaps);
  uint32_t expect = 0xffffffffu;
  for (size_t i = 0; i < kBlockSize; ++i) {
    expect += static_cast<uint32_t>(i % 3) + 1;
    ASSERT_EQ(gaps[i], expect);
  }
  EXPECT_EQ(last, expect);
  EXPECT_EQ(gaps[0], 0u);  // From "doc -1", a gap of 0 means doc 0.
}

TEST(Varint, RoundTripsAndRejectsTruncation) {
  std::string buf;
  const uint32_t values[] = {0, 1, 127, 128, 16383, 16384, 0xffffffffu};
  for (uint32_t v : values) PutVarint32(&buf, v);
  const char* p = buf.data();
  for (uint32_t v : values) {
    uint32_t got;
    p = GetVarint32(p, buf.data() + buf.size(), &got);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(got, v);
  }
  uint32_t got;
  const std::string cut = buf.substr(0, buf.size() - 1);  // Last varint loses a byte.
  p = cut.data();
  for (int i = 0; i < 6; ++i) p = GetVarint32(p, cut.data() + cut.size(), &got);
  EXPECT_EQ(GetVarint32(p, cut.data() + cut.size(), &got), nullptr);
  const std::string overflow = "\xff\xff\xff\xff\x7f";
  EXPECT_EQ(GetVarint32(overflow.data(), overflow.data() + 5, &got), nullptr);
}

// Lucene's SmallFloat.intToByte4: exact below 40, then 3 mantissa bits.
TEST(SmallFloat, MatchesLuceneEncoding) {
  for (uint32_t len = 0; len < 40; ++len) EXPECT_EQ(NormToLength(LengthToNorm(len)), len);
  // Values from Lucene's TestSmallFloat / BM25 LENGTH_TABLE.
  EXPECT_EQ(LengthToNorm(40), 40);
  EXPECT_EQ(NormToLength(40), 40u);
  EXPECT_EQ(NormToLength(41), 42u);
  EXPECT_EQ(NormToLength(255), 2013265944u);
  uint32_t prev = 0;
  for (int code = 1; code < 256; ++code) {
    const uint32_t len = NormToLength(static_cast<uint8_t>(code));
    EXPECT_GT(len, prev);  // Strictly increasing table.
    EXPECT_EQ(LengthToNorm(len), code);
    if (len > 0) {
      EXPECT_EQ(LengthToNorm(len - 1), code - 1) << "codes round down";
    }
    prev = len;
  }
}

// SkipVarints (word-at-a-time) lands where n GetVarint32 calls land, for
// every n and start offset, and fails when fewer than n varints remain.
TEST(Coding, SkipVarintsMatchesDecoding) {
  std::mt19937 rng(3);
  std::string buf;
  std::vector<size_t> ends;  // Offset after each varint.
  for (int i = 0; i < 400; ++i) {
    const uint32_t v = rng() % 4 == 0 ? rng() : rng() % (1u << (rng() % 15));
    PutVarint32(&buf, v);
    ends.push_back(buf.size());
  }
  const char* base = buf.data();
  const char* limit = base + buf.size();
  for (size_t first = 0; first < 40; ++first) {
    const char* start = base + (first == 0 ? 0 : ends[first - 1]);
    for (size_t n = 0; first + n <= ends.size(); ++n) {
      const char* want = n == 0 ? start : base + ends[first + n - 1];
      ASSERT_EQ(SkipVarints(start, limit, n), want) << first << " " << n;
    }
    ASSERT_EQ(SkipVarints(start, limit, ends.size() - first + 1), nullptr);
  }
  // Truncated: a last varint without its end byte does not count.
  ASSERT_EQ(SkipVarints(base, limit - 1, ends.size()), nullptr);
}

// Long skips take the SSE2 path (n >= 16): runs of one-byte varints
// (frequent terms' positions) mixed with longer ones, from every start
// offset in a 64-byte window, for n around the 16-byte chunk and the
// 255-chunk fold boundaries.
TEST(Coding, SkipVarintsLongRuns) {
  std::mt19937 rng(4);
  for (int mix : {0, 3, 30}) {  // Percent of multi-byte varints.
    std::string buf;
    std::vector<size_t> ends;
    for (int i = 0; i < 20000; ++i) {
      const bool longer = static_cast<int>(rng() % 100) < mix;
      const uint32_t v = longer ? 128 + rng() % (1u << 20) : rng() % 128;
      PutVarint32(&buf, v);
      ends.push_back(buf.size());
    }
    const char* base = buf.data();
    const char* limit = base + buf.size();
    for (size_t first = 0; first < 64; ++first) {
      const char* start = base + (first == 0 ? 0 : ends[first - 1]);
      for (size_t n : {size_t{15}, size_t{16}, size_t{17}, size_t{31}, size_t{32}, size_t{63},
                       size_t{64}, size_t{65}, size_t{255}, size_t{256}, size_t{1000}, size_t{4079},
                       size_t{4080}, size_t{4081}, size_t{4096}, size_t{8160}, size_t{8161},
                       size_t{16200}, ends.size() - first}) {
        if (first + n > ends.size()) continue;
        const char* want = base + ends[first + n - 1];
        ASSERT_EQ(SkipVarints(start, limit, n), want) << mix << " " << first << " " << n;
      }
      ASSERT_EQ(SkipVarints(start, limit, ends.size() - first + 1), nullptr);
      ASSERT_EQ(SkipVarints(start, limit - 1, ends.size() - first), nullptr);
    }
  }
}

TEST(Popcount, WordsMatchBitByBit) {
  std::mt19937_64 rng(9);
  std::vector<uint64_t> words(1000);
  for (auto& w : words) w = rng() & rng();
  words[3] = ~0ull;
  words[4] = 0;
  for (const size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{1000}}) {
    uint64_t want = 0;
    for (size_t i = 0; i < n; ++i) {
      for (int b = 0; b < 64; ++b) want += (words[i] >> b) & 1;
    }
    EXPECT_EQ(PopcountWordsPortable(words.data(), n), want);
    EXPECT_EQ(PopcountWords(words.data(), n), want);
  }
}

}  // namespace
}  // namespace libsearch::internal
