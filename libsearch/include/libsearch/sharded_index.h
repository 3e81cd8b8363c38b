// File: libsearch/sharded_index.h
//
// Sharded indexes: one catalogue split over N index directories (shards) by
// a stable hash of the document id, searched as one index. A search fans
// out over the shards in parallel threads and merges their hits, totals,
// facets and cursors; every shard scores with the index-wide statistics
// (document count, document frequencies, average field lengths, the typo
// and prefix expansions a single index would pick), so the answer equals
// that of one unsharded index of the same documents: ids, scores, order,
// facet counts, Hit::doc and cursors (docs/design-notes.md, "Sharded
// indexes").
//
// Layout (docs/format.md, "Sharded indexes"): DIR/SHARDS, the shard map,
// and DIR/shard-000/ ... each an ordinary index directory (IndexWriter's).
//
// Example:
//   auto schema = libsearch::Schema::FromFile("schema.json");
//   auto writer = libsearch::ShardedWriter::Create("products.shards", *schema, 7);
//   auto stats = (*writer)->ApplyJsonl("products.jsonl.gz", {});
//   auto info = (*writer)->Commit();
//   auto index = libsearch::Index::Open("products.shards");  // A ShardedIndex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/export.h"
#include "libsearch/index.h"
#include "libsearch/index_builder.h"
#include "libsearch/index_writer.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"

namespace libsearch {

// The shard (0 .. num_shards-1) that owns document id `id`: XXH3-64 of its
// bytes modulo num_shards. Fixed by the format: every writer (a Spark job
// too) routes the same way. REQUIRES: num_shards > 0.
LIBSEARCH_EXPORT uint32_t ShardOf(std::string_view id, uint32_t num_shards);

struct ShardedWriterOptions {
  // Each shard's IndexWriter (merge policy, doc store). Defaults as there.
  IndexWriterOptions shard;
  // Shards committed at once by Commit() and Compact(). 0 (the default):
  // one per hardware thread, at most one per shard.
  size_t threads = 0;
  // Publish the index-wide statistics with each commit (DIR/stats/, docs/
  // format.md "Shard statistics"): every new segment's and tombstone's
  // dictionaries, copied (about a fifth of its bytes for a catalogue), so
  // that one shard can be searched alone with the statistics of the whole
  // index: a shard function behind a fan-out coordinator (OpenOptions::
  // shards, libsearch/fan_out.h). Off saves that copy when the index is only
  // ever searched whole (ShardedIndex).
  bool publish_stats = true;
};

// What a sharded Commit() (or Compact()) did.
struct ShardedCommitInfo {
  uint64_t generation = 0;         // The shard map's generation after the call.
  uint64_t live_docs = 0;          // Documents a search sees, over all shards.
  bool changed = false;            // False if nothing was pending anywhere.
  std::vector<CommitInfo> shards;  // Per shard, in shard order.
};

// Writes a sharded index: routes each change to the shard owning its id
// and gives each upsert the next sequence number, so that the sharded
// index's order (ties included) is that of one index receiving the same
// changes. Commit() commits every shard, then the shard map, which readers
// go by: a reader sees the previous or the new map, and opens only shards
// at the generations it names (see ShardedIndex).
//
// A crash between the shards' commits and the map's leaves some shards
// ahead of the map; Open() rolls the map forward to them (changes are
// idempotent: replay the change file from the last commit to finish).
//
// Thread-safety: not thread-safe; use one writer from one thread. One
// writer per sharded index (each shard's LOCK).
class LIBSEARCH_EXPORT ShardedWriter {
 public:
  // Creates `dir` (in an existing parent; it may exist but not hold a
  // SHARDS file) with `num_shards` (1 to 4096) empty shards named
  // shard-000, shard-001, ... The schema may not have a field named
  // "_shard_seq" (reserved).
  static Result<std::unique_ptr<ShardedWriter>> Create(
      const std::string& dir, const Schema& schema, uint32_t num_shards,
      const ShardedWriterOptions& options = {},
      const std::vector<std::vector<std::string>>& synonyms = {});
  static Result<std::unique_ptr<ShardedWriter>> Open(const std::string& dir,
                                                     const ShardedWriterOptions& options = {});
  virtual ~ShardedWriter() = default;

  virtual const Schema& schema() const = 0;
  virtual uint32_t num_shards() const = 0;

  // As IndexWriter's, routed by id.
  virtual Status Upsert(std::string_view json) = 0;
  virtual Status Delete(std::string_view id) = 0;
  virtual Status Set(std::string_view id, std::string_view fields_json) = 0;
  virtual Status Apply(std::string_view line) = 0;
  virtual Result<IngestStats> ApplyJsonl(const std::string& path, const IngestOptions& options) = 0;

  virtual bool has_pending() const = 0;
  // Commits every shard with pending changes (in parallel), then writes the
  // shard map. On error the map is unchanged: readers keep the previous
  // commit (shards already committed are rolled forward by the next Open
  // or Commit).
  virtual Result<ShardedCommitInfo> Commit() = 0;
  // Commit(), with every shard compacted to one segment.
  virtual Result<ShardedCommitInfo> Compact() = 0;
  virtual void Rollback() = 0;
};

// Shards built apart (a Spark job builds each in its own task): the schema
// each shard's IndexWriter must have, `schema` plus the sequence field
// "_shard_seq" (an int; each document's number in the order one index of
// the same documents would have, growing with doc order in every shard).
LIBSEARCH_EXPORT Result<Schema> ShardSchema(const Schema& schema);

// Writes DIR/SHARDS over shards built apart: `shard_paths[i]` (relative to
// `dir`) must be an index directory with ShardSchema(schema) holding exactly
// the ids i = ShardOf(id, shard_paths.size()) (Index::Verify on the result
// checks routing and order). The map names each shard's current generation;
// the next sequence number follows the largest any shard holds. Replaces an
// existing map (its generation + 1). With `publish_stats`, the statistics
// first (ShardedWriterOptions::publish_stats).
LIBSEARCH_EXPORT Status PublishShardMap(const std::string& dir, const Schema& schema,
                                        const std::vector<std::string>& shard_paths,
                                        bool publish_stats = true);

// The statistics files of one segment of a shard (docs/format.md, "Shard
// statistics"): its dictionary extract and, if it has deletes, its
// tombstone's; paths relative to the sharded index's directory.
struct ShardStatsFiles {
  std::string segment;
  std::vector<std::string> tombstones;  // One per delete generation, oldest first.
};

// Writes the dictionary extracts of every segment and tombstone of the shard
// at `dir`/`shard_path` (at its current commit; the map need not name it
// yet) under `dir`/stats/`shard_path`/, those not there already, and
// returns them in doc order: what each commit publishes for each shard
// (ShardedWriterOptions::publish_stats). A job that builds shards apart
// (tools/spark/build_shards.py) calls it where each shard is built.
LIBSEARCH_EXPORT Result<std::vector<ShardStatsFiles>> WriteShardStatistics(
    const std::string& dir, const std::string& shard_path);

struct ShardedIndexOptions {
  // Threads a search runs its shards' segments on, the calling thread
  // included. 0 (the default): one per hardware thread, at most one per
  // segment. 1: all on the calling thread.
  size_t threads = 0;
};

// Opening a sharded index. Index::Open(dir) opens one too (with default
// ShardedIndexOptions) when `dir` holds a shard map.
//
// The Index returned searches every shard's latest commit, checked against
// the shard map: if a shard is not at the generation the map names (a
// sharded commit is under way), Open re-reads the map, for up to about 2 s,
// then fails with Aborted (retry later). Never a mix of commits, never an answer
// missing a shard.
//
// Hit::doc is the document's sequence number (for an index built from a
// file, the doc number one index of that file would give it); Reopen()
// shares the segments that did not change.
//
// With OpenOptions::shards, only those shards are opened and searched, with
// the statistics the commit published for the others (DIR/stats/): a shard
// function behind a fan-out coordinator (libsearch/fan_out.h), which
// answers shard requests (HandleShardRequest). Search() of such an index
// fails (InvalidArgument): it would silently miss the other shards' hits.
class LIBSEARCH_EXPORT ShardedIndex {
 public:
  static Result<std::unique_ptr<Index>> Open(const std::string& dir,
                                             const OpenOptions& options = {},
                                             const ShardedIndexOptions& sharded = {});
  // Whether `path` is a directory holding a shard map.
  static bool IsShardMap(const std::string& path);
};

}  // namespace libsearch
