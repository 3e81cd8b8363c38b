// The commit point of a sharded index (docs/format.md, "Sharded indexes"):
// a directory holding the file SHARDS, which names N shard directories
// (each an ordinary index directory, storage/manifest.h) and the generation
// each shard had when the sharded writer last committed them all.
//
// A document belongs to shard ShardOfId(id, N), the same for every writer
// and reader (Spark included), so updates and deletes find it. Each shard's
// schema is the index's plus one int field, kShardSeqField, holding the
// document's sequence number: its position in the order a single index of
// the same documents would have (ingest order; an upsert moves it to the
// end). Merging hits by that number gives a single index's tie order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/status.h"

namespace libsearch::internal {

inline constexpr std::string_view kShardMapName = "SHARDS";
// Reserved: no schema of a sharded index may have a field of this name.
inline constexpr std::string_view kShardSeqField = "_shard_seq";

struct ShardEntry {
  std::string path;         // Relative to the map's directory ("shard-000").
  uint64_t generation = 0;  // The shard's MANIFEST generation at the map's commit.
};

struct ShardMap {
  uint64_t generation = 0;  // 1 for the first commit; +1 per sharded commit.
  std::string schema_json;  // The index's schema (Schema::ToJson), no seq field.
  uint64_t next_seq = 0;    // Sequence number of the next upsert.
  std::vector<ShardEntry> shards;

  // One JSON object with a checksum of its own content.
  std::string Serialize() const;
  // `path` names the file in errors. Checks the checksum, the format
  // version and the shard list (1 to 4096 distinct relative paths).
  static Result<ShardMap> Parse(std::string_view text, const std::string& path);
};

// Whether `dir` holds a SHARDS file.
bool IsShardMapDir(const std::string& dir);
// Reads `dir`/SHARDS. NotFound if there is none.
Result<ShardMap> ReadShardMap(const std::string& dir);
// Replaces `dir`/SHARDS atomically and durably (temporary file, fsync, rename).
Status WriteShardMap(const std::string& dir, const ShardMap& map);

// The index-wide statistics of a shard map's commit (docs/format.md,
// "Shard statistics"): for each shard, the dictionary extracts
// (index/index_reader.h, WriteDictionaryExtract) of each of its segments
// and tombstones at the generation the map names, under DIR/stats/. A shard
// searched alone (a function behind a fan-out coordinator, OpenOptions::
// shards) reads the other shards' extracts, so that it scores with the
// statistics of the whole index.
inline constexpr std::string_view kShardStatsDir = "stats";

struct ShardStatsPart {
  std::string segment;  // Extract path, relative to the map's directory.
  // Likewise, one per delete generation of the segment, oldest first.
  std::vector<std::string> tombstones;
};

struct ShardStats {
  uint64_t generation = 0;  // The shard map's.
  // Per shard, in map order: its MANIFEST generation and its parts (in doc
  // order; none for a shard without documents).
  std::vector<uint64_t> shard_generations;
  std::vector<std::vector<ShardStatsPart>> shards;

  // One JSON object with a checksum of its own content.
  std::string Serialize() const;
  static Result<ShardStats> Parse(std::string_view text, const std::string& path);
};

// "stats/STATS-<generation, 20 digits>": the list's path in the directory
// (and its key in object storage).
std::string ShardStatsName(uint64_t generation);
// `dir`/ShardStatsName(generation).
std::string ShardStatsPath(const std::string& dir, uint64_t generation);
// NotFound if the commit has none (published with the writer's stats off).
Result<ShardStats> ReadShardStats(const std::string& dir, uint64_t generation);
// Writes ShardStatsPath(dir, stats.generation) atomically (creating stats/).
Status WriteShardStats(const std::string& dir, const ShardStats& stats);

// Whether `path` is relative and stays inside its directory (no "." or
// ".." parts): what a map may name.
bool IsShardPath(const std::string& path);

// The shard of `id` among `num_shards`: XXH3-64 of the id's bytes modulo
// num_shards. REQUIRES: num_shards > 0. Part of the format: never change it.
uint32_t ShardOfId(std::string_view id, uint32_t num_shards);

// The schema of a shard of an index with schema `schema_json`: the same
// fields, then kShardSeqField (an int, neither stored nor searched).
Result<std::string> ShardSchemaJson(std::string_view schema_json);

}  // namespace libsearch::internal
