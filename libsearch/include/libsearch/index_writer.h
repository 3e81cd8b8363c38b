// File: libsearch/index_writer.h
//
// IndexWriter changes an index directory (a live index): upserts, deletes
// and field updates by id, made visible all at once by Commit(). Readers
// (Index::Open on the directory) see the last commit and never a partial one;
// a crash at any point leaves the previous or the new commit.
//
// Example:
//   auto schema = libsearch::Schema::FromFile("schema.json");
//   auto writer = libsearch::IndexWriter::Create("products/", *schema);
//   libsearch::Status s = (*writer)->Upsert(R"({"barcode": "1", "name": "Tea"})");
//   s = (*writer)->Set("1", R"({"price": 2.49})");
//   auto info = (*writer)->Commit();
//
// Layout (docs/format.md, "Index directories"): immutable segment files (an
// index file each, with the documents' sources), per segment a delete file
// and a tombstone (an index of the deleted docs, so readers can subtract
// their statistics and score exactly as a fresh build would), and MANIFEST,
// the commit point. Search order = segment order, then doc order in each;
// every change keeps the order of the surviving docs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/export.h"
#include "libsearch/index_builder.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"

namespace libsearch {

// Which segments to merge (docs/design-notes.md, "Merge policy"): tiered
// like Lucene's TieredMergePolicy, but only over runs of adjacent segments,
// so that a merge never changes the order of documents (nor results).
struct MergePolicyOptions {
  // Segments of about the same size allowed per tier before a merge.
  // Default 10 (Lucene's). Must be >= 2.
  uint32_t segments_per_tier = 10;
  // Most segments one merge takes. Default 10 (Lucene's). Must be >= 2.
  uint32_t max_merge_at_once = 10;
  // Segments smaller than this many live docs count as this size, so tiny
  // commits are merged soon instead of forming many tiny tiers. Default 1000.
  uint64_t floor_segment_docs = 1000;
  // A merge never produces more live docs than this, and a segment of half
  // of it or more is left alone (only rewritten for deletes). Default 5M
  // (about 6 GB of catalogue JSON; merges stay well under a minute).
  uint64_t max_segment_docs = 5'000'000;
  // A segment whose deleted fraction is above this is rewritten without its
  // deleted docs (their tombstones cost readers work). Default 0.3.
  double max_deleted_fraction = 0.3;
};

struct IndexWriterOptions {
  // Run the merge policy after each commit that changed something; each
  // merge is a commit of its own. Default true. false: only Compact() merges.
  bool merge_on_commit = true;
  MergePolicyOptions merge_policy;
  // Passed to the IndexBuilder of every segment and tombstone (see
  // IndexBuilderOptions). Defaults 3 and 4 KiB.
  int docstore_zstd_level = 3;
  uint32_t docstore_block_bytes = 4 * 1024;
  // Create() only: the new directory's first generation and first segment
  // number. A directory built to replace another index (a full rebuild
  // published over it, remote.h) starts after that index's, so that no file
  // name is ever reused for other content. Defaults 1 and 1; must be >= 1.
  uint64_t first_generation = 1;
  uint64_t first_segment = 1;
};

// What a Commit() (or Compact()) did.
struct CommitInfo {
  uint64_t generation = 0;  // The manifest's generation after the call.
  uint64_t segments = 0;    // Segments in it.
  uint64_t live_docs = 0;   // Documents a search sees.
  uint64_t docs_added =
      0;  // Docs in the commit's new segment (upserts, `_set`s of indexed fields).
  uint64_t docs_deleted = 0;  // Committed docs deleted or replaced by a new version.
  uint64_t docs_updated = 0;  // Committed docs changed in place (`_set`).
  uint64_t not_found = 0;     // Deletes of ids that were not live.
  uint64_t merges = 0;        // Merges done after the commit (each its own generation).
  bool changed = false;       // False if nothing was pending: nothing was written.
};

// One writer per index directory (a LOCK file, released when the writer is
// destroyed or its process dies); readers never wait for it. Changes are
// pending, invisible to readers, until Commit(); destroying the writer
// drops them (like Rollback()).
//
// An external id is live in at most one place. Within one commit the last
// change of an id wins; the new segment holds the upserted docs in the order
// of each id's last upsert.
//
// `Set` of a committed document changes it in place when every field it
// names has no terms (int and float fields, fields with `indexed: false`):
// the commit writes the segment's changed values to an update file and the
// document keeps its place and its analysed text (Lucene's doc-values
// updates). A `Set` naming a text or indexed keyword field re-indexes the
// whole document from its stored source, as an upsert (it moves to the new
// segment).
//
// Thread-safety: not thread-safe; use one writer from one thread.
class LIBSEARCH_EXPORT IndexWriter {
 public:
  // Creates an empty index directory at `dir` (created if missing, in an
  // existing parent; it may already exist, but not hold a MANIFEST) with
  // generation 1 and no segments. `synonyms` are stored and applied to every search, as with
  // IndexBuilderOptions::synonyms.
  static Result<std::unique_ptr<IndexWriter>> Create(
      const std::string& dir, const Schema& schema, const IndexWriterOptions& options = {},
      const std::vector<std::vector<std::string>>& synonyms = {});
  // Opens an existing index directory for writing. InvalidArgument for a
  // single-file index (it cannot change: rebuild it as a directory), IOError
  // naming the holder if another writer has it.
  static Result<std::unique_ptr<IndexWriter>> Open(const std::string& dir,
                                                   const IndexWriterOptions& options = {});
  virtual ~IndexWriter() = default;

  virtual const Schema& schema() const = 0;

  // Adds a whole document (JSON object, checked like IndexBuilder::AddJson),
  // replacing the live document with its id, if any.
  virtual Status Upsert(std::string_view json) = 0;
  // Deletes the document with this id. An id that is not live is not an
  // error (replaying a change file is safe); CommitInfo::not_found counts it.
  virtual Status Delete(std::string_view id) = 0;
  // Merges `fields_json` (a JSON object: field -> new value, null removes the
  // field) into the document's current version (pending or committed): in
  // place, or as an upsert of the result (see above). NotFound if the id is
  // not live; InvalidArgument if the result is not a valid document or the
  // id would change.
  virtual Status Set(std::string_view id, std::string_view fields_json) = 0;
  // One line of a change file: a document (upsert), {"<id>": X, "_delete":
  // true} or {"<id>": X, "_set": {...}}, where <id> is the schema's id field.
  // Other `_` keys, both `_delete` and `_set`, or other fields beside them
  // are InvalidArgument.
  virtual Status Apply(std::string_view line) = 0;
  // Apply()s every line of a JSON Lines file (plain, .gz or .zst), with the
  // errors ("FILE:LINE: message") and skip_bad of IndexBuilder::AddJsonl.
  // IngestStats::docs_added counts the lines applied.
  virtual Result<IngestStats> ApplyJsonl(const std::string& path, const IngestOptions& options) = 0;

  // Whether anything is pending.
  virtual bool has_pending() const = 0;
  // Makes the pending changes visible atomically and durably, then merges
  // if the options say so. With nothing pending, writes nothing. On error
  // the pending changes are kept and the index is at the previous commit
  // (or, if merging failed, at the commit of the changes).
  virtual Result<CommitInfo> Commit() = 0;
  // Commits pending changes (without merging), then merges every segment
  // into one, without deleted docs.
  virtual Result<CommitInfo> Compact() = 0;
  // Drops every pending change.
  virtual void Rollback() = 0;
};

}  // namespace libsearch
