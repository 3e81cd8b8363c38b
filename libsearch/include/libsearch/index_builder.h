// File: libsearch/index_builder.h
//
// IndexBuilder turns documents into one immutable index file.
//
// Example:
//   auto schema = libsearch::Schema::FromFile("schema.json");
//   auto builder = libsearch::IndexBuilder::Create(*schema);
//   auto stats = (*builder)->AddJsonl("products.jsonl.gz", {});
//   libsearch::Status s = (*builder)->Build("products.idx");
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/bm25.h"
#include "libsearch/export.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"

namespace libsearch {

struct IndexBuilderOptions {
  // BM25 parameters for the per-block score maxima stored in the file
  // (checked by ValidateBm25Params). Search may use other values (the bounds
  // are then recomputed from max tf and min length).
  Bm25Params bm25;
  // zstd level for the document store. Default 3 (fast to read and build).
  int docstore_zstd_level = 3;
  // Uncompressed bytes per document-store block. Smaller blocks make fetching
  // one hit cheaper; larger ones compress better. Default 4 KiB, a balance
  // of the two (see docs/design-notes.md, "Postings layout").
  uint32_t docstore_block_bytes = 4 * 1024;
  // Synonym groups stored in the index and applied to every search of it
  // (OpenOptions::synonyms adds more at search time).
  std::vector<std::vector<std::string>> synonyms;
  // Also keep every schema field of each document (stored or not) in the
  // file, compressed like the stored fields, so that the document can be
  // indexed again. IndexWriter's segments set it: deletes, `_set` updates
  // and merges re-index from it. Default false (it costs file size).
  bool keep_source = false;
  // Keep each text field's surface words (its words folded but not stemmed,
  // with their stems: format 2.4), which typos and "did you mean" are
  // matched on. Default true. Off, the file is smaller (9% for the bundled
  // catalogue), typos match the stems instead (as in files before 2.4) and
  // there is no "did you mean".
  bool surface_words = true;
  // Whether Build() may write an index of 0 documents over an existing file
  // that is not itself empty (0 bytes) or an empty index. Default false: an empty input, or one
  // whose every line was bad and skipped, fails instead of silently
  // replacing a good index (CLI `index --allow-empty`, Python allow_empty).
  bool allow_empty = false;
  // Threads that invert text fields (analysis, the bulk of a build) once a
  // build has more than one batch of documents (2,048 docs or 4 MiB); this
  // thread keeps the rest in input order (ids, doc store, numbers,
  // keywords). The file is byte for byte the same for any value. Default 0:
  // one per hardware thread (std::thread::hardware_concurrency); 1: no
  // threads. At most 256.
  uint32_t threads = 0;
};

// One document given field by field, for IndexBuilder::Add: the values
// AddJson accepts, without writing and parsing JSON. Add checks them against
// the schema with AddJson's rules and messages, and the two paths build the
// same index from the same values.
//
// Adding to a field that already has a value makes it multi-valued (text and
// keyword fields; an array in the stored document). Reuse one Document with
// Clear() to keep its buffers.
//
// Thread-safety: a plain value; not safe to modify from two threads.
class LIBSEARCH_EXPORT Document {
 public:
  enum class Kind { kString, kInt, kFloat };
  struct Value {
    std::string field;
    Kind kind = Kind::kString;
    std::string string;   // kString: text, keyword and id fields.
    int64_t integer = 0;  // kInt: int fields (float fields take it too).
    double number = 0;    // kFloat: float fields (int fields take integral ones).
  };

  Document& AddString(std::string_view field, std::string_view value);
  Document& AddInt(std::string_view field, int64_t value);
  Document& AddFloat(std::string_view field, double value);
  void Clear() { size_ = 0; }

  // The values in the order added. Valid until the next non-const call.
  const Value* begin() const { return values_.data(); }
  const Value* end() const { return values_.data() + size_; }

 private:
  Value& Next(std::string_view field, Kind kind);

  std::vector<Value> values_;  // The first size_ are in use; the rest keep capacity.
  size_t size_ = 0;
};

struct IngestOptions {
  // Skip and count bad lines instead of failing on the first one. Default false.
  bool skip_bad = false;
  // How many skipped-line messages to keep in IngestStats::errors. Default 20.
  size_t max_error_messages = 20;
  // Called every few thousand lines with (lines read, input bytes read).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct IngestStats {
  uint64_t lines = 0;  // Non-empty lines read.
  uint64_t docs_added = 0;
  uint64_t lines_skipped = 0;       // Only with skip_bad.
  std::vector<std::string> errors;  // "FILE:LINE: message", first few only.
};

// Accumulates documents in memory, then writes the index file in Build().
//
// Thread-safety: not thread-safe; use one builder from one thread (it starts
// its own worker threads, IndexBuilderOptions::threads).
class LIBSEARCH_EXPORT IndexBuilder {
 public:
  static Result<std::unique_ptr<IndexBuilder>> Create(const Schema& schema,
                                                      const IndexBuilderOptions& options = {});
  virtual ~IndexBuilder() = default;

  // Adds one document given as a JSON object. On error nothing is added and
  // the message names the field (and the duplicate id, for duplicates).
  virtual Status AddJson(std::string_view json) = 0;

  // Adds one document given field by field. Unlike AddJson, a field that is
  // not in the schema is an error (it is most likely a misspelt name). On
  // error nothing is added.
  virtual Status Add(const Document& doc) = 0;

  // Adds every line of a JSON Lines file (plain, .gz or .zst). Without
  // skip_bad, the first bad line fails the call with "FILE:LINE: message" and
  // the documents of that file read so far stay added (call Build() only if
  // you want them). Empty lines are ignored.
  virtual Result<IngestStats> AddJsonl(const std::string& path, const IngestOptions& options) = 0;

  virtual uint64_t num_docs() const = 0;

  // Writes the index to `path` atomically: a temporary file in the same
  // directory, fsync, rename. On failure `path` is untouched. If the output
  // cannot even be created (missing directory, permissions) nothing is lost
  // and Build() may be called again; after any later failure, or a success,
  // the builder is spent.
  virtual Status Build(const std::string& path) = 0;
};

}  // namespace libsearch
