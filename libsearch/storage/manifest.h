// The commit point of an index directory: which immutable segment files are
// live, which doc ids of each are deleted, and a generation number that
// grows with every commit (docs/format.md, "Index directories").
//
// A commit writes its new segment and delete files first, then replaces
// MANIFEST through a temporary name (write, fsync, rename, fsync the
// directory), so a reader or a crash sees the old or the new commit, never a
// mix. Files no manifest names are leftovers of a dead or older writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/status.h"

namespace libsearch::internal {

inline constexpr std::string_view kManifestName = "MANIFEST";

// Docs of a segment deleted by one commit, or by several whose deletes were
// merged: a delete file listing them and a tombstone indexing them. A
// commit adds one for its new deletes only, so it never rewrites what
// earlier commits deleted (docs/format.md, "Delete generations").
struct DeleteGeneration {
  std::string deletes;    // `<segment>_<generation>.del`.
  std::string tombstone;  // `<segment>_<generation>.tomb`: an index file of those
                          // docs (built from their sources), whose statistics the
                          // reader subtracts so that scores equal a fresh build's.
  uint64_t num_docs = 0;  // Docs in both (> 0).
};

struct SegmentEntry {
  std::string name;          // "s000001": the segment file is `<name>.seg`.
  uint64_t num_docs = 0;     // Docs in the segment file, deleted ones included.
  uint64_t num_deleted = 0;  // Sum over `deletes`.
  // Oldest first; their docs are disjoint and together the deleted docs.
  // Empty without deletes.
  std::vector<DeleteGeneration> deletes;
  // `<name>_<generation>.upd`, or empty if none: in-place updates of fields
  // without terms (`_set`), read over the segment's columns and documents.
  std::string updates;
  uint64_t num_updated = 0;  // Docs with an entry in the update file.

  std::string SegmentFile() const { return name + ".seg"; }
};

struct Manifest {
  uint64_t generation = 0;    // 1 for the first commit; +1 per commit.
  uint64_t next_segment = 1;  // Number for the next new segment's name.
  std::string schema_json;    // The schema (Schema::ToJson) every segment has.
  std::string synonyms_json;  // Stored synonym groups (a JSON array), "" for none.
  std::vector<SegmentEntry> segments;

  // The name of segment number `n` ("s000001"; more digits past 999999).
  static std::string SegmentName(uint64_t n);
  // The file names this commit refers to, MANIFEST excluded.
  std::vector<std::string> Files() const;
  uint64_t num_live_docs() const;

  // One JSON object with a checksum of its own content.
  std::string Serialize() const;
  // `path` names the file in errors. Checks the checksum, the format
  // version, that names are well-formed and unique, and that counts agree.
  static Result<Manifest> Parse(std::string_view text, const std::string& path);
};

// Reads `dir`/MANIFEST. NotFound if the directory has none.
Result<Manifest> ReadManifest(const std::string& dir);
// Replaces `dir`/MANIFEST atomically and durably (see above).
Status WriteManifest(const std::string& dir, const Manifest& manifest);

// True if `name` is a file an index directory's writer creates: a segment,
// delete or update file, MANIFEST, the lock, or a temporary file of theirs.
bool IsIndexDirFile(std::string_view name);

}  // namespace libsearch::internal
