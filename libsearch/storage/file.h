// Files: a read-only memory mapping for opening indexes, an atomic writer for
// producing them, and a line reader for (optionally compressed) JSON Lines.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/status.h"

namespace libsearch::internal {

// A whole regular file mapped read-only (PROT_READ, MAP_SHARED). Opening does
// no work proportional to the file size. Never writes, never locks: works
// from a read-only directory.
//
// The file must not change while mapped: a file renamed over it is fine (the
// mapping keeps the old one), but one written over in place (`cp` onto it)
// changes the mapped bytes, and reading past a truncation raises SIGBUS.
// Unchanged() detects the change, before the next read, from the open
// descriptor's size and modification time.
//
// Thread-safety: immutable after Open; data() may be read from any thread.
class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Valid for the lifetime of this object.
  std::string_view data() const { return {data_, size_}; }
  const std::string& path() const { return path_; }
  // The open descriptor (for a FileWatch); owned by this object.
  int fd() const { return fd_; }
  // Corruption if the file has been written to or truncated since it was
  // mapped (one fstat).
  Status Unchanged() const;
  // About to read [offset, offset + length) through: asks the kernel to read
  // it ahead (the mapping is otherwise MADV_RANDOM, a page per fault).
  void WillReadAll(uint64_t offset, uint64_t length) const;

 private:
  MappedFile(std::string path, int fd, const char* data, size_t size, int64_t mtime_ns)
      : path_(std::move(path)), fd_(fd), data_(data), size_(size), mtime_ns_(mtime_ns) {}
  std::string path_;
  int fd_;  // Kept open for Unchanged().
  const char* data_;
  size_t size_;
  int64_t mtime_ns_;
};

// Writes a file under a temporary name in the destination directory, then
// fsyncs it, renames it over `path` and fsyncs the directory. Until Commit()
// succeeds the destination (and any file already there) is untouched; if the
// writer is destroyed without Commit() the temporary file is removed.
//
// Thread-safety: single-threaded.
class AtomicFileWriter {
 public:
  static Result<std::unique_ptr<AtomicFileWriter>> Create(const std::string& path);
  ~AtomicFileWriter();

  Status Append(std::string_view data);
  // Appends zero bytes up to the next multiple of `alignment`.
  Status PadTo(uint64_t alignment);
  // Overwrites already-written bytes (used for the header, written last).
  Status WriteAt(uint64_t offset, std::string_view data);
  uint64_t size() const { return size_; }
  Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string tmp_path, int fd)
      : path_(std::move(path)), tmp_path_(std::move(tmp_path)), fd_(fd) {}
  std::string path_;
  std::string tmp_path_;
  int fd_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// Makes the fsyncs of the AtomicFileWriters committed on this thread while it
// is in scope wait for Finish(): their Commit() writes and renames, Finish()
// fsyncs all of those files at once (from several threads, so that the file
// system can make them durable in one journal commit instead of one per
// file) and then their directories, once each. A commit of an index
// directory writes many files and names them in its MANIFEST only after
// Finish(), so they are as durable as when each is synced alone; only the
// waits are shared. A file renamed into place but not yet synced is named by
// no MANIFEST: if the writer dies, the next one removes it.
//
// Thread-safety: one per thread at a time; Finish() on the creating thread.
class DeferredSync {
 public:
  DeferredSync();
  // Closes what Finish() did not sync (without syncing it).
  ~DeferredSync();
  DeferredSync(const DeferredSync&) = delete;
  DeferredSync& operator=(const DeferredSync&) = delete;

  // Syncs every file committed so far, then their directories; later
  // commits on this thread sync as usual. The first error, if any.
  Status Finish();

 private:
  friend class AtomicFileWriter;
  struct File {
    int fd;
    std::string path;
  };
  std::vector<File> files_;
  std::vector<std::string> dirs_;
  bool active_ = true;
};

// Reads a text file line by line, transparently decompressing `.gz` (zlib)
// and `.zst` (zstd) by file name suffix.
class LineReader {
 public:
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path);
  virtual ~LineReader() = default;
  // Sets *line to the next line without its '\n' (and '\r'). Returns false at
  // the end of the input, or on error (then status() says why).
  virtual bool Next(std::string* line) = 0;
  virtual Status status() const = 0;
  // Compressed bytes consumed so far, for progress reports.
  virtual uint64_t bytes_read() const = 0;
};

// fsyncs the directory `dir`, which makes renames and creations in it
// durable.
Status SyncDirectory(const std::string& dir);

// Reads a whole (small) file into *out.
Status ReadFileToString(const std::string& path, std::string* out);

}  // namespace libsearch::internal
