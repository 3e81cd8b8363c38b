// BM25 exactly as Lucene's BM25Similarity computes it (Lucene 9/10): float
// arithmetic, idf = ln(1 + (N - n + 0.5) / (n + 0.5)) in double then float,
// norms through SmallFloat, and the (k1 + 1)-free form
// score = w - w / (1 + tf * normInverse[norm]), w = boost * idf.
// Ranking equals the textbook form; scores are Lucene's to the last bit.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

#include "libsearch/bm25.h"
#include "util/small_float.h"

namespace libsearch::internal {

using Bm25Params = ::libsearch::Bm25Params;

inline float Bm25Idf(uint64_t doc_freq, uint64_t doc_count) {
  return static_cast<float>(
      std::log(1.0 + (static_cast<double>(doc_count) - static_cast<double>(doc_freq) + 0.5) /
                         (static_cast<double>(doc_freq) + 0.5)));
}

inline float Bm25AvgFieldLength(uint64_t sum_total_tf, uint64_t doc_count) {
  if (doc_count == 0) return 1.0f;
  return static_cast<float>(static_cast<double>(sum_total_tf) / static_cast<double>(doc_count));
}

// normInverse per norm code for one field: 1 / (k1 * ((1 - b) + b * len / avgdl)).
using NormInverseTable = std::array<float, 256>;

inline NormInverseTable MakeNormInverseTable(const Bm25Params& p, float avgdl) {
  NormInverseTable t;
  for (int i = 0; i < 256; ++i) {
    const float len = static_cast<float>(NormToLength(static_cast<uint8_t>(i)));
    t[static_cast<size_t>(i)] = 1.0f / (p.k1 * ((1 - p.b) + p.b * len / avgdl));
  }
  return t;
}

inline float Bm25Score(float weight, uint32_t tf, float norm_inverse) {
  return weight - weight / (1.0f + static_cast<float>(tf) * norm_inverse);
}

}  // namespace libsearch::internal
