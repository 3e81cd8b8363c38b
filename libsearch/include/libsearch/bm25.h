// File: libsearch/bm25.h
//
// The BM25 parameters, shared by indexing (IndexBuilderOptions::bm25: the
// per-block score maxima stored in the file) and searching
// (OpenOptions::bm25: the scores). Search may use other values than the
// index was built with; the block bounds are then recomputed.
//
// Example:
//   libsearch::OpenOptions options;
//   options.bm25 = {.k1 = 0.9f, .b = 0.4f};
//   auto index = libsearch::Index::Open("products.idx", options);
#pragma once

#include "libsearch/export.h"
#include "libsearch/status.h"

namespace libsearch {

struct Bm25Params {
  // Term-frequency saturation: how fast repeats of a word stop adding to the
  // score. Must be >= 0 (0: a document matches or not, repeats count nothing).
  // Default 1.2, Lucene's.
  float k1 = 1.2f;
  // Length normalisation, in [0, 1]: 0 ignores field length, 1 scales fully
  // by length relative to the field's average. Default 0.75, Lucene's.
  float b = 0.75f;
};

// OK, or InvalidArgument naming the parameter out of range (NaN included).
// Index::Open and IndexBuilder::Create check their options with it.
LIBSEARCH_EXPORT Status ValidateBm25Params(const Bm25Params& params);

}  // namespace libsearch
