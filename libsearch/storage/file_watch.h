// FileWatch: whether any of a set of open files may have changed, for one
// read() instead of an fstat per file. An index of many segments checks its
// files before and after every search (MappedFile::Unchanged); with ten
// segments and their tombstones those fstats were about a third of what a
// search of the snapshot cost beyond a single file's.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <vector>

namespace libsearch::internal {

// Linux inotify on the open files themselves (added through
// /proc/self/fd/N: a file renamed over the path later is not what is
// watched, the mapped one is). Watches writes, truncations and attribute
// changes (mtime, links); a reported event is sticky, and the caller then
// falls back to its fstat checks, which tell a real change from, say, a
// merge unlinking an old segment. Changes inotify cannot see (another
// machine writing to a network file system; writes through a shared
// mapping) were not reliably visible to fstat either.
//
// Every FileWatch of the process shares one inotify instance (the default
// limit is 128 instances per user, shared with every other program the
// user runs); a file watched by several snapshots is one watch, counted.
//
// Thread-safety: Quiet() may be called from any thread.
class FileWatch {
 public:
  // Null where inotify is unavailable: another OS, the per-user instance
  // or watch limits reached, /proc not mounted. Callers then check files.
  static std::unique_ptr<FileWatch> Create(std::span<const int> fds);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // True iff no watched file has been written, truncated or had its
  // attributes changed since Create() (as far as inotify has told).
  bool Quiet() const;

 private:
  friend class FileWatchRegistry;
  FileWatch() = default;
  std::vector<int> wds_;  // Watch descriptors in the shared instance.
  std::atomic<bool> fired_{false};
};

}  // namespace libsearch::internal
