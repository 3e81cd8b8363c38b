// File: libsearch/remote.h
//
// A live index in object storage (s3://BUCKET/PREFIX, or file:///DIR for a
// shared file system): serving instances keep a local replica that follows
// it, writers publish commits to it. Layout (docs/format.md, "Remote
// indexes"): the index directory's files as immutable objects named by
// their content hash, and one MANIFEST object that a publish replaces with a
// conditional write, so two writers never lose each other's commits.
//
// Serving (every instance, no writer):
//   ReplicaOptions o;  o.cache_dir = "/tmp/index";
//   auto replica = libsearch::IndexReplica::Open("s3://shop/catalogue", o);
//   (*replica)->MaybeRefresh();            // between requests; cheap
//   auto resp = (*replica)->index()->Search(req);
//
// Updating (one batch of changes):
//   auto writer = libsearch::RemoteWriter::Open("s3://shop/catalogue", w);
//   (*writer)->writer().Apply(R"({"barcode": "1", "_set": {"price": 2.49}})");
//   auto info = (*writer)->Commit();       // Aborted: another writer won; redo
//
// S3 credentials, region and endpoint come from the environment as the AWS
// SDKs read them: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
// AWS_REGION, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (for S3 emulators).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/export.h"
#include "libsearch/index.h"
#include "libsearch/index_writer.h"
#include "libsearch/schema.h"
#include "libsearch/sharded_index.h"
#include "libsearch/status.h"

namespace libsearch {

struct ReplicaOptions {
  // Local directory the index's files are downloaded to (created if
  // missing; e.g. under /tmp in a function). Files already there from an
  // earlier replica of the same index are reused when their hash matches.
  // Required for an object store URL; unused for a local index.
  std::string cache_dir;
  // MaybeRefresh() checks the remote manifest at most this often. Default
  // 10 s; 0 checks on every call.
  double refresh_seconds = 10;
  // How each snapshot is opened (checksums, BM25, synonyms, filter cache).
  OpenOptions open;
};

// What a replica has done, for logs and metrics.
struct ReplicaStatus {
  uint64_t generation = 0;        // Of the snapshot being served.
  uint64_t checks = 0;            // Remote manifest reads (conditional GETs).
  uint64_t refreshes = 0;         // Snapshots swapped in after Open.
  uint64_t failures = 0;          // Checks or refreshes that failed.
  uint64_t files_downloaded = 0;  // Since Open, the first download included.
  uint64_t bytes_downloaded = 0;
  double last_check_age_seconds = 0;  // Since the last check, failed or not.
  std::string last_error;             // Of the last check; empty if it succeeded.
};

// A local copy of a remote index that follows its commits. index() is the
// snapshot to search; Refresh() moves to the remote's last commit: it
// downloads only files the cache does not have, checks each against its
// hash, then swaps the snapshot (segments both snapshots share are not
// opened again). A failed refresh keeps the last good snapshot.
//
// Thread-safety: every method may be called from any thread; one refresh
// runs at a time (MaybeRefresh returns at once while another runs).
class LIBSEARCH_EXPORT IndexReplica {
 public:
  // Downloads the remote index's last commit and opens it. NotFound if the
  // URL holds no index; other errors as RemoteWriter's. `url` may also be a
  // local index file or directory (no cache_dir needed): Refresh() then
  // reopens it when it was replaced (a rename) or committed to, so every
  // surface serves any index the same way.
  static Result<std::unique_ptr<IndexReplica>> Open(const std::string& url,
                                                    const ReplicaOptions& options);
  virtual ~IndexReplica() = default;

  // The snapshot to search; it stays valid (and unchanged) while held.
  virtual std::shared_ptr<const Index> index() const = 0;
  // Checks the remote manifest (a conditional GET) and, if it changed, moves
  // to it. True if the snapshot changed. On error the snapshot stays.
  virtual Result<bool> Refresh() = 0;
  // Refresh() if refresh_seconds have passed since the last check, else
  // false at once. Errors as Refresh().
  virtual Result<bool> MaybeRefresh() = 0;
  virtual ReplicaStatus status() const = 0;
};

struct RemoteWriterOptions {
  // Local working directory for the writer (created if missing); it holds a
  // copy of the index and the writer's LOCK. Required.
  std::string cache_dir;
  // Creates the index if the URL holds none (with these synonyms); without
  // a schema, a missing index is NotFound.
  const Schema* schema = nullptr;
  std::vector<std::vector<std::string>> synonyms;
  IndexWriterOptions writer;
  // Objects no longer named by the manifest are removed after each publish
  // once older than this, so a replica reading an older manifest can still
  // download its files. Default 900 s. Must be >= 0.
  double gc_grace_seconds = 900;
  // Most recent event ids remembered in the manifest (see MarkApplied).
  // Default 10000.
  size_t max_event_ids = 10000;
  // Start from an empty index (the remote's schema and synonyms; `schema`
  // if the URL holds none) instead of a copy of the remote's last commit:
  // Commit() then replaces every document. For a full rebuild; see Rebase().
  bool rebuild = false;
};

// What a publish did, beside the local commit.
struct PublishInfo {
  CommitInfo commit;
  bool published = false;       // False when nothing changed.
  uint64_t files_uploaded = 0;  // Objects written, the manifest excluded.
  uint64_t bytes_uploaded = 0;
  uint64_t objects_removed = 0;  // By the garbage collection after it.
};

// Changes a remote index: downloads its last commit into cache_dir, opens
// an IndexWriter there, and Commit() publishes the result if the remote
// manifest is still the one it started from.
//
// Thread-safety: as IndexWriter: one thread.
class LIBSEARCH_EXPORT RemoteWriter {
 public:
  static Result<std::unique_ptr<RemoteWriter>> Open(const std::string& url,
                                                    const RemoteWriterOptions& options);
  virtual ~RemoteWriter() = default;

  // The local writer: Upsert, Delete, Set, Apply, ApplyJsonl. Do not call
  // its Commit or Compact; call this class's.
  virtual IndexWriter& writer() = 0;
  // Whether an event id was recorded by an earlier publish (MarkApplied), so
  // a redelivered event can be skipped.
  virtual bool Applied(std::string_view event_id) const = 0;
  // Records `event_id` with the next publish.
  virtual void MarkApplied(std::string event_id) = 0;
  // Adds change lines to the index's change log (an object under changes/
  // named by the time, written by the next Commit() before it publishes),
  // so that a rebuild can replay what arrived after its export started.
  // A commit that then loses its race leaves its entry behind: a replay may
  // see a change twice, which upserts, deletes and `_set`s tolerate.
  virtual void LogChanges(const std::vector<std::string>& lines) = 0;
  // Rebuild mode only, after Commit() returned Aborted: makes the remote's
  // new last commit the base of the next Commit(), keeping this writer's
  // documents. Apply what that commit changed (ReadChangeLog) before
  // committing again.
  virtual Status Rebase() = 0;

  // Commits locally (merging as the options say), uploads the new files and
  // replaces the remote manifest if no other writer published since Open.
  // Aborted if one did: nothing of this writer is published, and the writer
  // cannot be used again; open a new one and apply the changes again.
  virtual Result<PublishInfo> Commit() = 0;
  // Commit(), then merges everything into one segment and publishes that.
  virtual Result<PublishInfo> Compact() = 0;
};

// Lines of the change log of the index at `url` (RemoteWriter::LogChanges)
// logged at or after `since_unix_ms`, in log order, from entries after
// `*cursor` (an entry name; "" for all); `*cursor` is set to the last entry
// read, to continue from.
LIBSEARCH_EXPORT Result<std::vector<std::string>> ReadChangeLog(const std::string& url,
                                                                int64_t since_unix_ms,
                                                                std::string* cursor);

// Removes the change-log entries logged before `before_unix_ms`.
LIBSEARCH_EXPORT Status PruneChangeLog(const std::string& url, int64_t before_unix_ms);

// Copies one object (s3://BUCKET/KEY or file:///PATH) to the local file
// `path`: a catalogue export for a rebuild.
LIBSEARCH_EXPORT Status DownloadObject(const std::string& url, const std::string& path);
// When that object was last written (Unix ms). NotFound if it is not there.
LIBSEARCH_EXPORT Result<int64_t> ObjectModifiedUnixMs(const std::string& url);

// Sharded indexes in object storage (docs/format.md, "Sharded indexes in
// object storage"): URL/SHARDS, the shard map; each shard a remote index at
// URL/<shard path>/ (its MANIFEST and files/); the statistics at URL/stats/
// as in a local sharded directory. IndexReplica::Open(URL) opens one: the
// map, the shards of ReplicaOptions::open.shards (all if empty) and, for a
// shard served alone, the other shards' statistics, mirrored into cache_dir
// as a local sharded directory; Refresh follows new maps.
//
// Written by uploading shards built elsewhere (a Spark task each, a local
// ShardedWriter), then publishing the map:
//   auto shard = libsearch::UploadShard("/tmp/task", "shard-002", "s3://shop/catalogue");
//   ... the other shards ...
//   libsearch::PublishRemoteShardMap("s3://shop/catalogue", schema, {shard0, shard1, ...});
struct RemoteShard {
  std::string path;                    // Its path in the map ("shard-002").
  uint64_t generation = 0;             // The commit uploaded (its MANIFEST's generation).
  uint64_t next_seq = 0;               // One past the largest sequence number it holds; 0 if none.
  std::vector<ShardStatsFiles> stats;  // Its statistics files, uploaded.
};

// Uploads the shard at `dir`/`shard_path` (an index directory of
// ShardSchema, at its last commit) to `url`/`shard_path`/ as a remote
// index (the files it lacks, content-addressed, then its MANIFEST, replacing
// any), and its statistics (WriteShardStatistics, written first where
// missing) to `url`/stats/. No map names it yet. next_seq is left 0: the
// caller knows it (a Spark task numbered the documents).
LIBSEARCH_EXPORT Result<RemoteShard> UploadShard(const std::string& dir,
                                                 const std::string& shard_path,
                                                 const std::string& url);

// Publishes uploaded shards as the sharded index at `url`: the statistics
// list, then SHARDS (generation: the map there + 1, or 1), naming `shards`
// in shard order (shard i holds the ids ShardOf(id, N) == i). next_seq is
// the largest of the shards'.
LIBSEARCH_EXPORT Status PublishRemoteShardMap(const std::string& url, const Schema& schema,
                                              const std::vector<RemoteShard>& shards);

// A local sharded index (its last commit, with its statistics: written by a
// ShardedWriter or PublishShardMap) to `url`: UploadShard for each shard,
// then PublishRemoteShardMap.
LIBSEARCH_EXPORT Status UploadShardedIndex(const std::string& dir, const std::string& url);

}  // namespace libsearch
