// ShardedWriter (libsearch/sharded_index.h): an IndexWriter per shard, the
// changes routed by id, each upsert numbered, and the shard map as the
// commit point of them all.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_set>
#include <utility>

#include "index/doc_updates.h"
#include "index/document.h"
#include "index/index_reader.h"
#include "index/ingest.h"
#include "libsearch/sharded_index.h"
#include "storage/manifest.h"
#include "storage/shard_map.h"
#include "util/fan_out.h"
#include "util/json_parse.h"

namespace libsearch {

uint32_t ShardOf(std::string_view id, uint32_t num_shards) {
  return internal::ShardOfId(id, num_shards);
}

namespace {

using Json = nlohmann::json;
using internal::ShardMap;

std::string ShardName(uint32_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "shard-%03u", i);
  return buf;
}

// The largest sequence number a shard holds (its last doc's: numbers grow
// in doc order), plus one; 0 if it has no docs.
Result<uint64_t> NextSeqOf(const std::string& dir) {
  LIBSEARCH_ASSIGN_OR_RETURN(internal::Manifest m, internal::ReadManifest(dir));
  if (m.segments.empty()) return uint64_t{0};
  const std::string path = dir + "/" + m.segments.back().SegmentFile();
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader, internal::IndexReader::Open(path));
  const auto f = reader->schema().FieldIndex(internal::kShardSeqField);
  const internal::NumericColumn* col = f ? reader->numeric(*f) : nullptr;
  const uint32_t last = reader->num_docs() - 1;
  if (col == nullptr || reader->num_docs() == 0 || !col->Has(last)) {
    return Status::Corruption("shard segment '" + path + "' has no sequence numbers");
  }
  LIBSEARCH_RETURN_IF_ERROR(reader->Intact());
  return static_cast<uint64_t>(col->Value(last)) + 1;
}

// The dictionary extract of `file` of shard `shard_path`, written unless an
// earlier commit wrote it: its name carries the source's header checksum,
// so a file name that comes back with other content gets another extract.
// Returns its path relative to `dir`.
Result<std::string> EnsureExtract(const std::string& dir, const std::string& shard_path,
                                  const std::string& file) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader,
                             internal::IndexReader::Open(dir + "/" + shard_path + "/" + file));
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, reader->header().header_checksum);
  const std::string rel =
      std::string(internal::kShardStatsDir) + "/" + shard_path + "/" + file + "." + hex + ".dict";
  std::error_code ec;
  if (std::filesystem::exists(dir + "/" + rel, ec)) return rel;
  std::filesystem::create_directories(std::filesystem::path(dir + "/" + rel).parent_path(), ec);
  if (ec)
    return Status::IOError("cannot create the statistics directory of '" + dir +
                           "': " + ec.message());
  LIBSEARCH_RETURN_IF_ERROR(internal::WriteDictionaryExtract(*reader, dir + "/" + rel));
  return rel;
}

// The extracts of shard `shard_path`'s segments and tombstones at its
// current commit; Aborted if that is not `generation` (unless 0: any).
Result<std::vector<ShardStatsFiles>> ExtractShard(const std::string& dir,
                                                  const std::string& shard_path,
                                                  uint64_t generation) {
  LIBSEARCH_ASSIGN_OR_RETURN(internal::Manifest m, internal::ReadManifest(dir + "/" + shard_path));
  if (generation != 0 && m.generation != generation) {
    return Status::Aborted("shard '" + shard_path + "' moved to generation " +
                           std::to_string(m.generation) + " while its statistics were " +
                           "published (another writer?)");
  }
  std::vector<ShardStatsFiles> out;
  for (const internal::SegmentEntry& seg : m.segments) {
    ShardStatsFiles files;
    LIBSEARCH_ASSIGN_OR_RETURN(files.segment, EnsureExtract(dir, shard_path, seg.SegmentFile()));
    for (const internal::DeleteGeneration& g : seg.deletes) {
      LIBSEARCH_ASSIGN_OR_RETURN(std::string tombstone,
                                 EnsureExtract(dir, shard_path, g.tombstone));
      files.tombstones.push_back(std::move(tombstone));
    }
    out.push_back(std::move(files));
  }
  return out;
}

// The statistics of `map` (storage/shard_map.h, ShardStats): each shard's
// segments and tombstones at the generations the map names, extracted
// (shards in parallel on `pool`, if given), then the list.
Status PublishStats(const std::string& dir, const ShardMap& map, internal::FanOut* pool) {
  internal::ShardStats stats;
  stats.generation = map.generation;
  stats.shard_generations.resize(map.shards.size());
  stats.shards.resize(map.shards.size());
  std::vector<Status> errors(map.shards.size());
  auto one = [&](size_t i) {
    const internal::ShardEntry& e = map.shards[i];
    auto files = ExtractShard(dir, e.path, e.generation);
    if (!files.ok()) {
      errors[i] = files.status();
      return;
    }
    stats.shard_generations[i] = e.generation;
    for (ShardStatsFiles& f : *files) {
      stats.shards[i].push_back({std::move(f.segment), std::move(f.tombstones)});
    }
  };
  if (pool != nullptr) {
    pool->Run(map.shards.size(), one);
  } else {
    for (size_t i = 0; i < map.shards.size(); ++i) one(i);
  }
  for (const Status& s : errors) LIBSEARCH_RETURN_IF_ERROR(s);
  return internal::WriteShardStats(dir, stats);
}

// Removes the statistics of generations before `keep_from` and the extracts
// only they named. Readers of such a generation have their files open (or
// re-read the map and move on); failures only leave files behind.
void RemoveOldStats(const std::string& dir, uint64_t keep_from) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(dir) / std::string(internal::kShardStatsDir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return;
  std::unordered_set<std::string> named;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("STATS-", 0) != 0 || name.find('.') != std::string::npos) continue;
    const uint64_t generation = std::strtoull(name.c_str() + 6, nullptr, 10);
    if (generation < keep_from) {
      fs::remove(entry.path(), ec);
      continue;
    }
    auto stats = internal::ReadShardStats(dir, generation);
    if (!stats.ok()) return;  // Keep everything rather than guess.
    for (const auto& parts : stats->shards) {
      for (const internal::ShardStatsPart& p : parts) {
        named.insert(p.segment);
        named.insert(p.tombstones.begin(), p.tombstones.end());
      }
    }
  }
  std::vector<fs::path> unnamed;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().extension() != ".dict") continue;
    const std::string rel = fs::relative(it->path(), dir, ec).string();
    if (!ec && named.count(rel) == 0) unnamed.push_back(it->path());
  }
  for (const fs::path& p : unnamed) fs::remove(p, ec);
}

// The commit point of a sharded index: its statistics (if published), the
// map, then the removal of statistics two commits old.
Status CommitMap(const std::string& dir, const ShardMap& map, bool publish_stats,
                 internal::FanOut* pool) {
  if (publish_stats) LIBSEARCH_RETURN_IF_ERROR(PublishStats(dir, map, pool));
  LIBSEARCH_RETURN_IF_ERROR(internal::WriteShardMap(dir, map));
  RemoveOldStats(dir, map.generation > 0 ? map.generation - 1 : 0);
  return Status::Ok();
}

class ShardedWriterImpl final : public ShardedWriter {
 public:
  ShardedWriterImpl(std::string dir, Schema schema, ShardMap map,
                    std::vector<std::unique_ptr<IndexWriter>> shards,
                    const ShardedWriterOptions& options)
      : dir_(std::move(dir)),
        schema_(std::move(schema)),
        map_(std::move(map)),
        shards_(std::move(shards)),
        next_seq_(map_.next_seq),
        publish_stats_(options.publish_stats),
        pool_(options.threads == 0 ? internal::FanOut::DefaultThreads(shards_.size())
                                   : options.threads) {}

  const Schema& schema() const override { return schema_; }
  uint32_t num_shards() const override { return static_cast<uint32_t>(shards_.size()); }

  Status Upsert(std::string_view json) override {
    Json j;
    if (!internal::ParseJson(json, "document", internal::kMaxJsonDepth, &j).ok() ||
        !j.is_object()) {
      return shards_[0]->Upsert(json);  // Fails, with the document parser's message.
    }
    LIBSEARCH_ASSIGN_OR_RETURN(std::string id, IdOf(j));
    j[std::string(internal::kShardSeqField)] = next_seq_;
    return Numbered(Owner(id).Upsert(j.dump()), id);
  }

  Status Delete(std::string_view id) override { return Owner(id).Delete(id); }

  Status Set(std::string_view id, std::string_view fields_json) override {
    Json fields;
    if (!internal::ParseJson(fields_json, "_set", internal::kMaxJsonDepth, &fields).ok() ||
        !fields.is_object()) {
      return Owner(id).Set(id, fields_json);  // Fails, with the writer's message.
    }
    if (fields.contains(internal::kShardSeqField)) {
      return Status::InvalidArgument("_set: field '" + std::string(internal::kShardSeqField) +
                                     "' is not in the schema");
    }
    if (InPlace(std::string(id), fields)) return Owner(id).Set(id, fields_json);
    fields[std::string(internal::kShardSeqField)] = next_seq_;
    return Numbered(Owner(id).Set(id, fields.dump()), std::string(id));
  }

  Status Apply(std::string_view line) override {
    Json j;
    if (!internal::ParseJson(line, "change line", internal::kMaxJsonDepth, &j).ok() ||
        !j.is_object()) {
      return shards_[0]->Apply(line);  // Fails, with the writer's message.
    }
    const bool is_set = j.contains("_set") && !schema_.FieldIndex("_set");
    const bool is_delete = j.contains("_delete") && !schema_.FieldIndex("_delete");
    if (!is_set && !is_delete) return Upsert(line);
    LIBSEARCH_ASSIGN_OR_RETURN(std::string id, IdOf(j));
    IndexWriter& owner = Owner(id);
    // The owner checks the line (the shard's writer has the same rules).
    if (is_delete || !j["_set"].is_object()) return owner.Apply(line);
    if (j["_set"].contains(internal::kShardSeqField)) {
      return Status::InvalidArgument("_set: field '" + std::string(internal::kShardSeqField) +
                                     "' is not in the schema");
    }
    if (InPlace(id, j["_set"])) return owner.Apply(line);
    j["_set"][std::string(internal::kShardSeqField)] = next_seq_;
    return Numbered(owner.Apply(j.dump()), id);
  }

  Result<IngestStats> ApplyJsonl(const std::string& path, const IngestOptions& options) override {
    return internal::IngestJsonl(
        path, options, [this](std::string_view line) { return Apply(line); },
        [](const Status& s) {
          return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound;
        });
  }

  bool has_pending() const override {
    for (const auto& s : shards_) {
      if (s->has_pending()) return true;
    }
    return false;
  }

  Result<ShardedCommitInfo> Commit() override { return CommitAll(false); }
  Result<ShardedCommitInfo> Compact() override { return CommitAll(true); }

  void Rollback() override {
    for (auto& s : shards_) s->Rollback();
    next_seq_ = map_.next_seq;
    pending_.clear();
  }

  // Rolls the map forward to shards committed after it (a crash between
  // the shards' commits and the map's). Behind the map is damage.
  Status Recover() {
    bool ahead = false;
    for (size_t i = 0; i < shards_.size(); ++i) {
      const std::string dir = dir_ + "/" + map_.shards[i].path;
      LIBSEARCH_ASSIGN_OR_RETURN(internal::Manifest m, internal::ReadManifest(dir));
      if (m.generation < map_.shards[i].generation) {
        return Status::Corruption("shard '" + dir + "' is at generation " +
                                  std::to_string(m.generation) + ", behind its shard map's " +
                                  std::to_string(map_.shards[i].generation));
      }
      if (m.generation == map_.shards[i].generation) continue;
      ahead = true;
      map_.shards[i].generation = m.generation;
      LIBSEARCH_ASSIGN_OR_RETURN(uint64_t next, NextSeqOf(dir));
      map_.next_seq = std::max(map_.next_seq, next);
    }
    if (!ahead) return Status::Ok();
    ++map_.generation;
    next_seq_ = map_.next_seq;
    return CommitMap(dir_, map_, publish_stats_, &pool_);
  }

 private:
  // The id as the index stores it (a keyword: strings, integers, booleans).
  Result<std::string> IdOf(const Json& j) const {
    Json id_only = Json::object();
    if (j.contains(schema_.id_field())) id_only[schema_.id_field()] = j[schema_.id_field()];
    internal::ParsedDocument parsed;
    LIBSEARCH_RETURN_IF_ERROR(internal::ParseDocument(schema_, id_only.dump(), &parsed));
    return std::move(parsed.id);
  }
  IndexWriter& Owner(std::string_view id) {
    return *shards_[internal::ShardOfId(id, static_cast<uint32_t>(shards_.size()))];
  }
  // A change that took a sequence number (document `id` upserted, again
  // or anew): the next one is another's.
  Status Numbered(Status s, const std::string& id) {
    if (s.ok()) {
      ++next_seq_;
      pending_.insert(id);
    }
    return s;
  }
  // Whether the shard's writer changes the document in place (its rule:
  // every field without terms, internal::UpdatableInPlace, and the document
  // committed, not upserted in this batch). It then keeps its place in the
  // shard, as in one index, so it keeps its sequence number too.
  bool InPlace(const std::string& id, const Json& fields) const {
    if (!fields.is_object() || pending_.count(id) != 0) return false;
    for (const auto& [key, value] : fields.items()) {
      const auto f = schema_.FieldIndex(key);
      if (!f || !internal::UpdatableInPlace(schema_, schema_.fields()[*f])) return false;
    }
    return true;
  }

  Result<ShardedCommitInfo> CommitAll(bool compact) {
    ShardedCommitInfo out;
    out.shards.resize(shards_.size());
    std::vector<Status> errors(shards_.size());
    pool_.Run(shards_.size(), [&](size_t i) {
      Result<CommitInfo> r = compact ? shards_[i]->Compact() : shards_[i]->Commit();
      if (r.ok()) {
        out.shards[i] = *r;
      } else {
        errors[i] = r.status().WithContext("shard '" + map_.shards[i].path + "'");
      }
    });
    for (const Status& s : errors) LIBSEARCH_RETURN_IF_ERROR(s);
    ShardMap next = map_;
    for (size_t i = 0; i < shards_.size(); ++i) {
      out.changed = out.changed || out.shards[i].generation != map_.shards[i].generation;
      next.shards[i].generation = out.shards[i].generation;
      out.live_docs += out.shards[i].live_docs;
    }
    next.next_seq = next_seq_;
    pending_.clear();  // Committed: a `_set` of them is in place from here on.
    if (out.changed) {
      ++next.generation;
      LIBSEARCH_RETURN_IF_ERROR(CommitMap(dir_, next, publish_stats_, &pool_));
      map_ = std::move(next);
    }
    out.generation = map_.generation;
    return out;
  }

  std::string dir_;
  Schema schema_;
  ShardMap map_;  // As last committed.
  std::vector<std::unique_ptr<IndexWriter>> shards_;
  uint64_t next_seq_ = 0;
  std::unordered_set<std::string> pending_;  // Ids upserted since the last commit.
  bool publish_stats_ = true;
  internal::FanOut pool_;
};

}  // namespace

Result<std::vector<ShardStatsFiles>> WriteShardStatistics(const std::string& dir,
                                                          const std::string& shard_path) {
  if (!internal::IsShardPath(shard_path)) {
    return Status::InvalidArgument("shard path '" + shard_path +
                                   "' must be relative, without . or .. parts");
  }
  return ExtractShard(dir, shard_path, 0);
}

Result<Schema> ShardSchema(const Schema& schema) {
  LIBSEARCH_ASSIGN_OR_RETURN(std::string json, internal::ShardSchemaJson(schema.ToJson()));
  return Schema::FromJson(json);
}

Status PublishShardMap(const std::string& dir, const Schema& schema,
                       const std::vector<std::string>& shard_paths, bool publish_stats) {
  if (shard_paths.empty() || shard_paths.size() > 4096) {
    return Status::InvalidArgument("a sharded index has 1 to 4096 shards");
  }
  ShardMap map;
  map.generation = 1;
  if (auto old = internal::ReadShardMap(dir); old.ok()) map.generation = old->generation + 1;
  map.schema_json = schema.ToJson();
  LIBSEARCH_ASSIGN_OR_RETURN(Schema want, ShardSchema(schema));
  for (const std::string& path : shard_paths) {
    const std::string shard = dir + "/" + path;
    LIBSEARCH_ASSIGN_OR_RETURN(internal::Manifest m, internal::ReadManifest(shard));
    LIBSEARCH_ASSIGN_OR_RETURN(Schema got, Schema::FromJson(m.schema_json));
    if (got.ToJson() != want.ToJson()) {
      return Status::InvalidArgument("shard '" + shard +
                                     "' does not have the shard schema (ShardSchema)");
    }
    LIBSEARCH_ASSIGN_OR_RETURN(uint64_t next, NextSeqOf(shard));
    map.next_seq = std::max(map.next_seq, next);
    map.shards.push_back({path, m.generation});
  }
  // Parse checks the paths (relative, distinct) as a reader would.
  LIBSEARCH_RETURN_IF_ERROR(ShardMap::Parse(map.Serialize(), dir).status());
  return CommitMap(dir, map, publish_stats, nullptr);
}

Result<std::unique_ptr<ShardedWriter>> ShardedWriter::Create(
    const std::string& dir, const Schema& schema, uint32_t num_shards,
    const ShardedWriterOptions& options, const std::vector<std::vector<std::string>>& synonyms) {
  if (num_shards == 0 || num_shards > 4096) {
    return Status::InvalidArgument("a sharded index has 1 to 4096 shards, not " +
                                   std::to_string(num_shards));
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::IOError("cannot create '" + dir + "': " + std::strerror(errno));
  }
  if (internal::IsShardMapDir(dir)) {
    return Status::InvalidArgument("'" + dir + "' already holds a sharded index (open it instead)");
  }
  ShardMap map;
  map.generation = 1;
  map.schema_json = schema.ToJson();
  LIBSEARCH_ASSIGN_OR_RETURN(std::string shard_json, internal::ShardSchemaJson(map.schema_json));
  LIBSEARCH_ASSIGN_OR_RETURN(Schema shard_schema, Schema::FromJson(shard_json));
  std::vector<std::unique_ptr<IndexWriter>> shards;
  for (uint32_t i = 0; i < num_shards; ++i) {
    const std::string name = ShardName(i);
    LIBSEARCH_ASSIGN_OR_RETURN(
        auto w, IndexWriter::Create(dir + "/" + name, shard_schema, options.shard, synonyms));
    LIBSEARCH_ASSIGN_OR_RETURN(internal::Manifest m, internal::ReadManifest(dir + "/" + name));
    map.shards.push_back({name, m.generation});
    shards.push_back(std::move(w));
  }
  LIBSEARCH_RETURN_IF_ERROR(CommitMap(dir, map, options.publish_stats, nullptr));
  return std::unique_ptr<ShardedWriter>(
      new ShardedWriterImpl(dir, schema, std::move(map), std::move(shards), options));
}

Result<std::unique_ptr<ShardedWriter>> ShardedWriter::Open(const std::string& dir,
                                                           const ShardedWriterOptions& options) {
  LIBSEARCH_ASSIGN_OR_RETURN(ShardMap map, internal::ReadShardMap(dir));
  LIBSEARCH_ASSIGN_OR_RETURN(Schema schema, Schema::FromJson(map.schema_json));
  std::vector<std::unique_ptr<IndexWriter>> shards;
  for (const internal::ShardEntry& e : map.shards) {
    LIBSEARCH_ASSIGN_OR_RETURN(auto w, IndexWriter::Open(dir + "/" + e.path, options.shard));
    if (!w->schema().FieldIndex(internal::kShardSeqField)) {
      return Status::Corruption("shard '" + dir + "/" + e.path + "' has no field '" +
                                std::string(internal::kShardSeqField) + "'");
    }
    shards.push_back(std::move(w));
  }
  auto writer = std::make_unique<ShardedWriterImpl>(dir, std::move(schema), std::move(map),
                                                    std::move(shards), options);
  LIBSEARCH_RETURN_IF_ERROR(writer->Recover());
  return std::unique_ptr<ShardedWriter>(std::move(writer));
}

}  // namespace libsearch
