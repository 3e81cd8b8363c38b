#include "storage/shard_map.h"

#include <sys/stat.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/file.h"
#include "util/hash.h"

namespace libsearch::internal {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kFormat = "libsearch-shards";
constexpr uint64_t kVersion = 1;
constexpr size_t kMaxShards = 4096;

Status Bad(const std::string& path, const std::string& what) {
  return Status::Corruption("shard map '" + path + "' is damaged: " + what +
                            "; restore it from a backup or rebuild the sharded index");
}

Json Content(const ShardMap& m) {
  Json shards = Json::array();
  for (const ShardEntry& s : m.shards) {
    shards.push_back({{"path", s.path}, {"generation", s.generation}});
  }
  return Json{{"format", kFormat},          {"version", kVersion},
              {"hash", "xxh3-64"},          {"seq_field", kShardSeqField},
              {"generation", m.generation}, {"schema", m.schema_json},
              {"next_seq", m.next_seq},     {"shards", std::move(shards)}};
}

// As the index manifest: nlohmann's object keys are sorted, so a compact
// dump is canonical.
std::string ChecksumOf(const Json& content) {
  const std::string text = content.dump();
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, Checksum64(text.data(), text.size()));
  return buf;
}

}  // namespace

// A relative path that stays inside the map's directory.
bool IsShardPath(const std::string& p) {
  if (p.empty() || p[0] == '/' || p.find('\0') != std::string::npos) return false;
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find('/', start), p.size());
    const std::string_view part(p.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string ShardMap::Serialize() const {
  Json content = Content(*this);
  const std::string sum = ChecksumOf(content);
  content["checksum"] = sum;
  return content.dump(1) + "\n";
}

Result<ShardMap> ShardMap::Parse(std::string_view text, const std::string& path) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad(path, "not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat)
    return Bad(path, "not a libsearch shard map");
  if (!j.contains("checksum") || !j["checksum"].is_string()) return Bad(path, "no checksum");
  const std::string stored = j["checksum"].get<std::string>();
  j.erase("checksum");
  if (ChecksumOf(j) != stored) return Bad(path, "checksum mismatch");
  if (!j.contains("version") || !j["version"].is_number_unsigned()) return Bad(path, "no version");
  if (j["version"].get<uint64_t>() > kVersion) {
    return Status::Unimplemented("shard map '" + path + "' has version " + j["version"].dump() +
                                 ", newer than this libsearch reads (" + std::to_string(kVersion) +
                                 "); upgrade libsearch");
  }
  if (j.value("hash", "") != "xxh3-64" || j.value("seq_field", "") != kShardSeqField) {
    return Bad(path, "unknown routing hash or sequence field");
  }
  ShardMap m;
  for (auto [key, out] :
       {std::pair{"generation", &m.generation}, std::pair{"next_seq", &m.next_seq}}) {
    if (!j.contains(key) || !j[key].is_number_unsigned())
      return Bad(path, std::string("no ") + key);
    *out = j[key].get<uint64_t>();
  }
  if (m.generation == 0) return Bad(path, "bad generation");
  if (!j.contains("schema") || !j["schema"].is_string()) return Bad(path, "no schema");
  m.schema_json = j["schema"].get<std::string>();
  if (!j.contains("shards") || !j["shards"].is_array() || j["shards"].empty() ||
      j["shards"].size() > kMaxShards) {
    return Bad(path, "no shard list of 1 to " + std::to_string(kMaxShards) + " shards");
  }
  std::set<std::string> seen;
  for (const Json& e : j["shards"]) {
    if (!e.is_object() || !e.contains("path") || !e["path"].is_string() ||
        !e.contains("generation") || !e["generation"].is_number_unsigned()) {
      return Bad(path, "a shard entry lacks path or generation");
    }
    ShardEntry s{e["path"].get<std::string>(), e["generation"].get<uint64_t>()};
    if (!IsShardPath(s.path) || !seen.insert(s.path).second) {
      return Bad(path, "shard path \"" + s.path + "\" is not relative, or repeated");
    }
    m.shards.push_back(std::move(s));
  }
  return m;
}

bool IsShardMapDir(const std::string& dir) {
  struct stat st {};
  return ::stat((dir + "/" + std::string(kShardMapName)).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<ShardMap> ReadShardMap(const std::string& dir) {
  const std::string path = dir + "/" + std::string(kShardMapName);
  std::string text;
  Status st = ReadFileToString(path, &text);
  if (!st.ok()) {
    if (st.code() == StatusCode::kNotFound) {
      return Status::NotFound("'" + dir + "' has no " + std::string(kShardMapName) +
                              ": not a sharded index");
    }
    return st;
  }
  return ShardMap::Parse(text, path);
}

Status WriteShardMap(const std::string& dir, const ShardMap& map) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto writer,
                             AtomicFileWriter::Create(dir + "/" + std::string(kShardMapName)));
  LIBSEARCH_RETURN_IF_ERROR(writer->Append(map.Serialize()));
  return writer->Commit();
}

namespace {

constexpr std::string_view kStatsFormat = "libsearch-shard-stats";

Status BadStats(const std::string& path, const std::string& what) {
  return Status::Corruption("shard statistics '" + path + "' are damaged: " + what +
                            "; commit the sharded index again (a ShardedWriter publishes them)");
}

}  // namespace

std::string ShardStats::Serialize() const {
  Json shards_json = Json::array();
  for (size_t i = 0; i < shards.size(); ++i) {
    Json parts = Json::array();
    for (const ShardStatsPart& p : shards[i]) {
      parts.push_back({{"segment", p.segment}, {"tombstones", p.tombstones}});
    }
    shards_json.push_back({{"generation", shard_generations[i]}, {"parts", std::move(parts)}});
  }
  Json content{{"format", kStatsFormat},
               {"version", kVersion},
               {"generation", generation},
               {"shards", std::move(shards_json)}};
  const std::string sum = ChecksumOf(content);
  content["checksum"] = sum;
  return content.dump(1) + "\n";
}

Result<ShardStats> ShardStats::Parse(std::string_view text, const std::string& path) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kStatsFormat) {
    return BadStats(path, "not a libsearch shard statistics file");
  }
  if (!j.contains("checksum") || !j["checksum"].is_string()) return BadStats(path, "no checksum");
  const std::string stored = j["checksum"].get<std::string>();
  j.erase("checksum");
  if (ChecksumOf(j) != stored) return BadStats(path, "checksum mismatch");
  if (!j.contains("version") || !j["version"].is_number_unsigned() ||
      j["version"].get<uint64_t>() > kVersion) {
    return Status::Unimplemented("shard statistics '" + path +
                                 "' have a version this libsearch does not read; upgrade it");
  }
  ShardStats out;
  if (!j.contains("generation") || !j["generation"].is_number_unsigned()) {
    return BadStats(path, "no generation");
  }
  out.generation = j["generation"].get<uint64_t>();
  if (!j.contains("shards") || !j["shards"].is_array() || j["shards"].size() > kMaxShards) {
    return BadStats(path, "no shard list");
  }
  for (const Json& shard : j["shards"]) {
    if (!shard.is_object() || !shard.contains("generation") ||
        !shard["generation"].is_number_unsigned() || !shard.contains("parts") ||
        !shard["parts"].is_array()) {
      return BadStats(path, "a shard entry lacks its generation or parts");
    }
    out.shard_generations.push_back(shard["generation"].get<uint64_t>());
    std::vector<ShardStatsPart>& parts = out.shards.emplace_back();
    for (const Json& p : shard["parts"]) {
      if (!p.is_object() || !p.contains("segment") || !p["segment"].is_string() ||
          !p.contains("tombstones") || !p["tombstones"].is_array()) {
        return BadStats(path, "a part lacks its segment or tombstones");
      }
      ShardStatsPart part{p["segment"].get<std::string>(), {}};
      if (!IsShardPath(part.segment)) return BadStats(path, "an extract path is not relative");
      for (const Json& t : p["tombstones"]) {
        if (!t.is_string() || !IsShardPath(t.get<std::string>())) {
          return BadStats(path, "a tombstone extract path is not a relative path");
        }
        part.tombstones.push_back(t.get<std::string>());
      }
      parts.push_back(std::move(part));
    }
  }
  return out;
}

std::string ShardStatsName(uint64_t generation) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "STATS-%020" PRIu64, generation);
  return std::string(kShardStatsDir) + "/" + buf;
}

std::string ShardStatsPath(const std::string& dir, uint64_t generation) {
  return dir + "/" + ShardStatsName(generation);
}

Result<ShardStats> ReadShardStats(const std::string& dir, uint64_t generation) {
  const std::string path = ShardStatsPath(dir, generation);
  std::string text;
  Status st = ReadFileToString(path, &text);
  if (!st.ok()) {
    if (st.code() == StatusCode::kNotFound) {
      return Status::NotFound("sharded index '" + dir + "' has no statistics for its generation " +
                              std::to_string(generation) +
                              " (committed with ShardedWriterOptions::publish_stats off?): a "
                              "shard cannot be searched alone without them");
    }
    return st;
  }
  LIBSEARCH_ASSIGN_OR_RETURN(ShardStats stats, ShardStats::Parse(text, path));
  if (stats.generation != generation) return BadStats(path, "it names another generation");
  return stats;
}

Status WriteShardStats(const std::string& dir, const ShardStats& stats) {
  const std::string stats_dir = dir + "/" + std::string(kShardStatsDir);
  if (::mkdir(stats_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::IOError("cannot create '" + stats_dir + "': " + std::strerror(errno));
  }
  LIBSEARCH_ASSIGN_OR_RETURN(auto writer,
                             AtomicFileWriter::Create(ShardStatsPath(dir, stats.generation)));
  LIBSEARCH_RETURN_IF_ERROR(writer->Append(stats.Serialize()));
  return writer->Commit();
}

uint32_t ShardOfId(std::string_view id, uint32_t num_shards) {
  return static_cast<uint32_t>(Checksum64(id.data(), id.size()) % num_shards);
}

Result<std::string> ShardSchemaJson(std::string_view schema_json) {
  auto j = nlohmann::ordered_json::parse(schema_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("fields") || !j["fields"].is_object()) {
    return Status::InvalidArgument("not a schema: " + std::string(schema_json.substr(0, 80)));
  }
  const std::string seq(kShardSeqField);
  if (j["fields"].contains(seq)) {
    return Status::InvalidArgument("field name '" + seq + "' is reserved by sharded indexes");
  }
  j["fields"][seq] = {{"type", "int"}, {"stored", false}};
  return j.dump();
}

}  // namespace libsearch::internal
