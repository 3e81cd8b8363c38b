// The files of an index directory besides the manifest: the writer's lock,
// delete files, and the removal of files no commit refers to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libsearch/status.h"
#include "storage/manifest.h"
#include "util/doc_set.h"

namespace libsearch::internal {

// One writer per index directory: an exclusive flock(2) on `dir`/LOCK, held
// until the WriterLock is destroyed. The kernel drops it when the holder
// dies, so a crashed writer never leaves the index locked. The file records
// who holds it, for the error the next writer sees. Readers never lock.
//
// Thread-safety: a second WriterLock on the same directory fails even from
// the same process.
class WriterLock {
 public:
  // IOError ("... is locked by pid N on HOST since TIME ...") if another
  // writer holds the directory.
  static Result<std::unique_ptr<WriterLock>> Acquire(const std::string& dir);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_;
};

// A segment's deleted docs: an immutable file written once per commit that
// changes them (docs/format.md, "Delete files").
// REQUIRES: every doc in `deleted` is below `num_docs`, the segment's size.
Status WriteDeleteFile(const std::string& path, const DocSet& deleted, uint64_t num_docs);
// Checks the magic, the checksum, the segment size and that every doc is
// below it.
Result<std::unique_ptr<DocSet>> ReadDeleteFile(const std::string& path, uint64_t num_docs);

// A segment's in-place field updates (IndexWriter `_set` of fields without
// terms): an immutable file written once per commit that changes them
// (docs/format.md, "Update files"). It holds every updated doc of the
// segment, not only the commit's, with all its changed fields.
struct DocUpdates {
  // One numeric field's value after the update, as its column holds it:
  // int64 or double bits, or absent (the field was removed).
  struct Number {
    uint32_t field = 0;
    bool present = false;
    uint64_t bits = 0;
  };
  struct Doc {
    uint32_t doc = 0;
    // Compact JSON object of the changed fields (null: removed), as `_set`
    // gives them, for the stored and source documents.
    std::string fields_json;
    std::vector<Number> numbers;  // The changed numeric fields, by field id.
  };
  std::vector<Doc> docs;  // In increasing doc order.

  // The doc's entry, or null.
  const Doc* Find(uint32_t doc) const;
};
// REQUIRES: docs strictly increasing and below `num_docs`.
Status WriteUpdateFile(const std::string& path, const DocUpdates& updates, uint64_t num_docs);
// Checks the magic, the checksum, the segment size, the doc order and that
// every doc is below `num_docs` and every field below `num_fields`. The
// JSON objects are checked where they are used (IndexReader::ApplyUpdates).
Result<std::shared_ptr<const DocUpdates>> ReadUpdateFile(const std::string& path, uint64_t num_docs,
                                                         size_t num_fields);

// Removes the files of `dir` that IsIndexDirFile() recognises and `manifest`
// does not name (MANIFEST and LOCK are kept): segments of commits that are
// gone, temporary files of a dead writer. Files of other programs are never
// touched. REQUIRES: the caller holds the WriterLock. Sets *removed to the
// number of files removed.
Status RemoveUnreferencedFiles(const std::string& dir, const Manifest& manifest, uint64_t* removed);

}  // namespace libsearch::internal
