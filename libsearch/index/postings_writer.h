// The write side of postings: one term's docs, tfs and positions encoded
// into a field's postings sections (layout: postings_format.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "index/bm25.h"
#include "index/postings_format.h"
#include "storage/format.h"

namespace libsearch::internal {

// Output buffers for one field's postings-related sections.
struct PostingsSink {
  std::string postings;
  std::string positions;
  std::vector<uint32_t> last_doc;
  std::vector<float> max_score;
  std::vector<BlockInfo> info;
};

struct TermPostingsInput {
  const uint32_t* docs;       // Strictly increasing.
  const uint32_t* tfs;        // >= 1 each.
  const uint32_t* positions;  // sum(tfs) increasing-per-doc positions, or null.
  uint32_t doc_freq;
};

// Encodes one term's postings into *sink (2.x layout). `norms` is the field's
// norm byte per doc, or null for fields without norms (keyword: every length
// is 1). `weight` is the term's boost-1 BM25 weight (its idf) and
// `norm_inverse` the field's table; they give the stored score bounds.
TermInfo WritePostings(const TermPostingsInput& in, const uint8_t* norms, float weight,
                       const NormInverseTable& norm_inverse, PostingsSink* sink);

}  // namespace libsearch::internal
