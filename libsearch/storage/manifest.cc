#include "storage/manifest.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "storage/file.h"
#include "util/hash.h"

namespace libsearch::internal {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kFormat = "libsearch-manifest";
// Version 2 adds update files, version 3 segments with several delete
// generations. A manifest is written with the lowest version that holds it,
// so older readers still open what they read right and refuse the rest.
constexpr uint64_t kVersion = 3;

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

// All digits, and at least `min_digits` of them.
bool AllDigits(std::string_view s, size_t min_digits) {
  if (s.size() < min_digits) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsSegmentName(std::string_view s) {
  return s.size() > 1 && s[0] == 's' && AllDigits(s.substr(1), 6);
}

// `<segment>_<generation>.<ext>`.
bool IsGenerationFile(std::string_view name, std::string_view ext) {
  if (name.size() <= ext.size() + 1 || name.substr(name.size() - ext.size()) != ext ||
      name[name.size() - ext.size() - 1] != '.') {
    return false;
  }
  std::string_view stem = name.substr(0, name.size() - ext.size() - 1);
  const size_t us = stem.rfind('_');
  return us != std::string_view::npos && IsSegmentName(stem.substr(0, us)) &&
         AllDigits(stem.substr(us + 1), 1);
}

Status Bad(const std::string& path, const std::string& what) {
  return Status::Corruption("index manifest '" + path + "' is damaged: " + what +
                            "; restore the index directory from a backup or rebuild it with "
                            "`libsearch index`");
}

Json Content(const Manifest& m) {
  Json segments = Json::array();
  uint64_t version = 1;
  for (const SegmentEntry& s : m.segments) {
    Json e = {{"name", s.name}, {"docs", s.num_docs}, {"deleted", s.num_deleted}};
    if (s.deletes.size() == 1) {  // As version 1 has it.
      e["deletes"] = s.deletes[0].deletes;
      e["tombstone"] = s.deletes[0].tombstone;
    } else if (!s.deletes.empty()) {
      Json gens = Json::array();
      for (const DeleteGeneration& g : s.deletes) {
        gens.push_back({{"deletes", g.deletes}, {"tombstone", g.tombstone}, {"docs", g.num_docs}});
      }
      e["delete_generations"] = std::move(gens);
      version = 3;
    }
    if (!s.updates.empty()) {
      e["updates"] = s.updates;
      e["updated"] = s.num_updated;
      version = std::max<uint64_t>(version, 2);
    }
    segments.push_back(std::move(e));
  }
  return Json{{"format", kFormat},
              {"version", version},
              {"generation", m.generation},
              {"next_segment", m.next_segment},
              {"schema", m.schema_json},
              {"synonyms", m.synonyms_json},
              {"segments", std::move(segments)}};
}

// nlohmann's object keys are sorted, so a dump is canonical.
std::string ChecksumOf(const Json& content) {
  const std::string text = content.dump();
  return Hex64(Checksum64(text.data(), text.size()));
}

}  // namespace

std::string Manifest::SegmentName(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "s%06" PRIu64, n);
  return buf;
}

std::vector<std::string> Manifest::Files() const {
  std::vector<std::string> files;
  for (const SegmentEntry& s : segments) {
    files.push_back(s.SegmentFile());
    for (const DeleteGeneration& g : s.deletes) {
      files.push_back(g.deletes);
      files.push_back(g.tombstone);
    }
    if (!s.updates.empty()) files.push_back(s.updates);
  }
  return files;
}

uint64_t Manifest::num_live_docs() const {
  uint64_t n = 0;
  for (const SegmentEntry& s : segments) n += s.num_docs - s.num_deleted;
  return n;
}

std::string Manifest::Serialize() const {
  Json content = Content(*this);
  const std::string sum = ChecksumOf(content);
  content["checksum"] = sum;
  return content.dump(1) + "\n";
}

Result<Manifest> Manifest::Parse(std::string_view text, const std::string& path) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad(path, "not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat) return Bad(path, "not a libsearch manifest");
  // The checksum rule is the same in every version, so it comes first: a
  // damaged version number reads as damage, not as a newer format.
  if (!j.contains("checksum") || !j["checksum"].is_string()) return Bad(path, "no checksum");
  const std::string stored = j["checksum"].get<std::string>();
  j.erase("checksum");
  if (ChecksumOf(j) != stored) return Bad(path, "checksum mismatch");
  if (!j.contains("version") || !j["version"].is_number_unsigned()) {
    return Bad(path, "no version");
  }
  if (j["version"].get<uint64_t>() > kVersion) {
    return Status::Unimplemented("index manifest '" + path + "' has version " +
                                 j["version"].dump() + ", newer than this libsearch reads (" +
                                 std::to_string(kVersion) + "); upgrade libsearch");
  }

  auto u64 = [&j](const char* key, uint64_t* out) {
    if (!j.contains(key) || !j[key].is_number_unsigned()) return false;
    *out = j[key].get<uint64_t>();
    return true;
  };
  Manifest m;
  if (!u64("generation", &m.generation) || m.generation == 0) return Bad(path, "bad generation");
  if (!u64("next_segment", &m.next_segment)) return Bad(path, "bad next_segment");
  for (auto [key, out] :
       {std::pair{"schema", &m.schema_json}, std::pair{"synonyms", &m.synonyms_json}}) {
    if (!j.contains(key) || !j[key].is_string()) return Bad(path, std::string("no ") + key);
    *out = j[key].get<std::string>();
  }
  if (!j.contains("segments") || !j["segments"].is_array()) return Bad(path, "no segment list");
  std::set<std::string> seen, seen_files;
  for (const Json& e : j["segments"]) {
    SegmentEntry s;
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("docs") ||
        !e["docs"].is_number_unsigned() || !e.contains("deleted") ||
        !e["deleted"].is_number_unsigned()) {
      return Bad(path, "a segment entry lacks name, docs or deleted");
    }
    s.name = e["name"].get<std::string>();
    s.num_docs = e["docs"].get<uint64_t>();
    s.num_deleted = e["deleted"].get<uint64_t>();
    if (!IsSegmentName(s.name) || !seen.insert(s.name).second) {
      return Bad(path, "segment name \"" + s.name + "\" is malformed or repeated");
    }
    if (s.num_deleted > s.num_docs)
      return Bad(path, "segment " + s.name + " deletes more docs than it has");
    // A generation's file names must be of this segment and unique.
    auto file = [&](const Json& v, const char* key, std::string_view ext,
                    std::string* out) -> Status {
      if (!v.is_string()) return Bad(path, std::string(key) + " of " + s.name + " is not a name");
      *out = v.get<std::string>();
      if (!IsGenerationFile(*out, ext) || out->rfind(s.name + "_", 0) != 0 ||
          !seen_files.insert(*out).second) {
        return Bad(path, std::string(key) + " file \"" + *out + "\" does not belong to " + s.name +
                             " or is repeated");
      }
      return Status::Ok();
    };
    if (e.contains("delete_generations")) {
      const Json& gens = e["delete_generations"];
      if (!gens.is_array() || gens.size() < 2 || e.contains("deletes") || e.contains("tombstone")) {
        return Bad(path, "segment " + s.name + ": bad delete_generations");
      }
      uint64_t sum = 0;
      for (const Json& g : gens) {
        DeleteGeneration d;
        if (!g.is_object() || !g.contains("deletes") || !g.contains("tombstone") ||
            !g.contains("docs") || !g["docs"].is_number_unsigned()) {
          return Bad(path, "segment " + s.name +
                               ": a delete generation lacks deletes, "
                               "tombstone or docs");
        }
        LIBSEARCH_RETURN_IF_ERROR(file(g["deletes"], "deletes", "del", &d.deletes));
        LIBSEARCH_RETURN_IF_ERROR(file(g["tombstone"], "tombstone", "tomb", &d.tombstone));
        d.num_docs = g["docs"].get<uint64_t>();
        if (d.num_docs == 0 || d.num_docs > s.num_docs) {
          return Bad(path, "segment " + s.name + ": bad doc count of a delete generation");
        }
        sum += d.num_docs;
        s.deletes.push_back(std::move(d));
      }
      if (sum != s.num_deleted) {
        return Bad(path, "segment " + s.name + ": delete generations do not add up to deleted");
      }
    } else if (e.contains("deletes") || e.contains("tombstone")) {
      if (!e.contains("deletes") || !e.contains("tombstone")) {
        return Bad(path, "segment " + s.name +
                             ": deleted docs, delete file and tombstone file disagree (all or "
                             "none)");
      }
      DeleteGeneration d;
      LIBSEARCH_RETURN_IF_ERROR(file(e["deletes"], "deletes", "del", &d.deletes));
      LIBSEARCH_RETURN_IF_ERROR(file(e["tombstone"], "tombstone", "tomb", &d.tombstone));
      d.num_docs = s.num_deleted;
      s.deletes.push_back(std::move(d));
    }
    if ((s.num_deleted > 0) != !s.deletes.empty()) {
      return Bad(path, "segment " + s.name +
                           ": deleted docs, delete file and tombstone file disagree (all or none)");
    }
    if (e.contains("updates")) {
      LIBSEARCH_RETURN_IF_ERROR(file(e["updates"], "updates", "upd", &s.updates));
    }
    if (e.contains("updated")) {
      if (!e["updated"].is_number_unsigned()) return Bad(path, "bad updated count");
      s.num_updated = e["updated"].get<uint64_t>();
    }
    if (s.updates.empty() != (s.num_updated == 0) || s.num_updated > s.num_docs) {
      return Bad(path, "segment " + s.name + ": updated docs and update file disagree");
    }
    m.segments.push_back(std::move(s));
  }
  return m;
}

Result<Manifest> ReadManifest(const std::string& dir) {
  const std::string path = dir + "/" + std::string(kManifestName);
  std::string text;
  Status st = ReadFileToString(path, &text);
  if (!st.ok()) {
    if (st.code() == StatusCode::kNotFound) {
      return Status::NotFound("'" + dir + "' is a directory without a " +
                              std::string(kManifestName) +
                              ": not an index (an index is a file, or a directory written by "
                              "`libsearch index --output DIR/` or IndexWriter)");
    }
    return st;
  }
  return Manifest::Parse(text, path);
}

Status WriteManifest(const std::string& dir, const Manifest& manifest) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto writer,
                             AtomicFileWriter::Create(dir + "/" + std::string(kManifestName)));
  LIBSEARCH_RETURN_IF_ERROR(writer->Append(manifest.Serialize()));
  return writer->Commit();
}

bool IsIndexDirFile(std::string_view name) {
  if (name == kManifestName || name == "LOCK") return true;
  const size_t tmp = name.find(".tmp.");
  if (tmp != std::string_view::npos) return IsIndexDirFile(name.substr(0, tmp));
  if (name.size() > 4 && name.substr(name.size() - 4) == ".seg") {
    return IsSegmentName(name.substr(0, name.size() - 4));
  }
  return IsGenerationFile(name, "del") || IsGenerationFile(name, "tomb") ||
         IsGenerationFile(name, "upd");
}

}  // namespace libsearch::internal
