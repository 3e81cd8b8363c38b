// FieldBoundCache: what score bounds need to know about a field, computed
// once per open index and shared by every query.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>

#include "index/bm25.h"

namespace libsearch::internal {

// Lazily computed facts about one field that score bounds need, shared by
// every copy of the field's view. Thread-safe.
//
// Per term: are the stored block maxima (block_max_score) exactly
// the maxima that Bm25Score(idf, tf, norm_inverse[norm]) gives with the
// search's BM25 parameters? The file does not record the build's k1 and b,
// so a term is checked once (StoredMaximaExact decodes all its blocks) and
// the answer is remembered here for the parameters of the first caller.
class FieldBoundCache {
 public:
  // The largest norm code of any doc (one pass over the norms, once); 1 for
  // fields without norms. Gives a lower bound on any match's score.
  uint8_t MaxNorm(const uint8_t* norms, uint32_t num_docs) const {
    std::call_once(norm_once_, [&] {
      uint8_t m = 1;
      if (norms != nullptr) {
        m = 0;
        for (uint32_t d = 0; d < num_docs; ++d) m = std::max(m, norms[d]);
      }
      max_norm_ = m;
    });
    return max_norm_;
  }
  // The field's norm table for (p, avgdl), built once for the first caller's
  // values; null for other values (the caller then builds its own). Saves
  // each short query the 256 divisions.
  const NormInverseTable* NormTable(const Bm25Params& p, float avgdl) const {
    std::call_once(table_once_, [&] {
      table_params_ = p;
      table_avgdl_ = avgdl;
      table_ = MakeNormInverseTable(p, avgdl);
    });
    const bool same = p.k1 == table_params_.k1 && p.b == table_params_.b &&
                      std::memcmp(&avgdl, &table_avgdl_, sizeof avgdl) == 0;
    return same ? &table_ : nullptr;
  }
  enum State : uint8_t { kUnknown = 0, kExact = 1, kInexact = 2 };
  // The state of the term whose first block is `first_block`; kUnknown for
  // parameters other than the ones the cache was started with.
  State Get(uint64_t num_blocks, uint32_t first_block, const Bm25Params& p) const {
    Init(num_blocks, p);
    if (!Same(p) || first_block >= size_) return kUnknown;
    return static_cast<State>(states_[first_block].load(std::memory_order_relaxed));
  }
  void Set(uint64_t num_blocks, uint32_t first_block, const Bm25Params& p, State s) const {
    Init(num_blocks, p);
    if (Same(p) && first_block < size_) states_[first_block].store(s, std::memory_order_relaxed);
  }

 private:
  void Init(uint64_t num_blocks, const Bm25Params& p) const {
    std::call_once(once_, [&] {
      params_ = p;
      size_ = num_blocks;
      states_ = std::make_unique<std::atomic<uint8_t>[]>(num_blocks);
    });
  }
  bool Same(const Bm25Params& p) const { return p.k1 == params_.k1 && p.b == params_.b; }
  mutable std::once_flag table_once_;
  mutable Bm25Params table_params_;
  mutable float table_avgdl_ = 0;
  mutable NormInverseTable table_{};
  mutable std::once_flag norm_once_;
  mutable uint8_t max_norm_ = 255;
  mutable std::once_flag once_;
  mutable Bm25Params params_;
  mutable uint64_t size_ = 0;
  mutable std::unique_ptr<std::atomic<uint8_t>[]> states_;
};

}  // namespace libsearch::internal
