#include "storage/index_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>
#include <vector>

#include "storage/file.h"
#include "util/coding.h"
#include "util/hash.h"

namespace libsearch::internal {
namespace {

constexpr char kDeleteMagic[8] = {'L', 'S', 'D', 'E', 'L', '0', '0', '1'};
// magic, u64 cardinality, u64 segment num_docs, roaring bytes, u64 checksum.
constexpr size_t kDeleteHeader = 8 + 8 + 8;

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " '" + path + "': " + std::strerror(errno));
}

std::string Holder() {
  char host[256] = "unknown host";
  ::gethostname(host, sizeof(host) - 1);
  host[sizeof(host) - 1] = '\0';
  char when[32] = "";
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return "pid " + std::to_string(::getpid()) + " on " + host + " since " + when;
}

}  // namespace

Result<std::unique_ptr<WriterLock>> WriterLock::Acquire(const std::string& dir) {
  const std::string path = dir + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open the writer lock", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder(256, '\0');
    const ssize_t n = ::pread(fd, holder.data(), holder.size(), 0);
    holder.resize(n > 0 ? static_cast<size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    ::close(fd);
    if (err != EWOULDBLOCK) {
      errno = err;
      return Errno("cannot lock", path);
    }
    return Status::IOError("index '" + dir + "' is locked by another writer (" +
                           (holder.empty() ? std::string("holder unknown") : holder) +
                           "); wait for it to finish, or stop it: one writer at a time");
  }
  const std::string who = Holder() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, who.data(), who.size(), 0) < 0) {
    ::close(fd);
    return Errno("cannot write the writer lock", path);
  }
  return std::unique_ptr<WriterLock>(new WriterLock(fd));
}

WriterLock::~WriterLock() {
  // Emptied first so a reader of the file never names a writer that is gone.
  if (::ftruncate(fd_, 0) != 0) {
    // Nothing to do: the lock itself is released by close.
  }
  ::close(fd_);
}

Status WriteDeleteFile(const std::string& path, const DocSet& deleted, uint64_t num_docs) {
  if (deleted.cardinality() > 0 && deleted.maximum() >= num_docs) {
    return Status::Internal("delete file '" + path + "': doc " + std::to_string(deleted.maximum()) +
                            " is past the segment's " + std::to_string(num_docs) + " docs");
  }
  std::string bytes(kDeleteMagic, sizeof(kDeleteMagic));
  PutFixed64(&bytes, deleted.cardinality());
  PutFixed64(&bytes, num_docs);
  bytes += deleted.Serialize();
  PutFixed64(&bytes, Checksum64(bytes.data(), bytes.size()));
  LIBSEARCH_ASSIGN_OR_RETURN(auto writer, AtomicFileWriter::Create(path));
  LIBSEARCH_RETURN_IF_ERROR(writer->Append(bytes));
  return writer->Commit();
}

Result<std::unique_ptr<DocSet>> ReadDeleteFile(const std::string& path, uint64_t num_docs) {
  std::string bytes;
  LIBSEARCH_RETURN_IF_ERROR(ReadFileToString(path, &bytes));
  auto bad = [&path](const std::string& what) {
    return Status::Corruption("delete file '" + path + "' is damaged: " + what +
                              "; restore the index directory or rebuild it");
  };
  if (bytes.size() < kDeleteHeader + 8 ||
      std::memcmp(bytes.data(), kDeleteMagic, sizeof(kDeleteMagic)) != 0) {
    return bad("not a libsearch delete file");
  }
  const size_t body = bytes.size() - 8;
  if (DecodeFixed64(bytes.data() + body) != Checksum64(bytes.data(), body)) {
    return bad("checksum mismatch");
  }
  const uint64_t count = DecodeFixed64(bytes.data() + 8);
  std::unique_ptr<DocSet> set =
      DocSet::Deserialize(std::string_view(bytes).substr(kDeleteHeader, body - kDeleteHeader));
  if (set == nullptr || set->cardinality() != count) return bad("bitmap does not decode");
  if (DecodeFixed64(bytes.data() + 16) != num_docs) {
    return bad("written for a segment of " + std::to_string(DecodeFixed64(bytes.data() + 16)) +
               " docs, not " + std::to_string(num_docs));
  }
  if (count > 0 && set->maximum() >= num_docs) {
    return bad("doc " + std::to_string(set->maximum()) + " is past the segment's end");
  }
  return set;
}

Status RemoveUnreferencedFiles(const std::string& dir, const Manifest& manifest,
                               uint64_t* removed) {
  *removed = 0;
  const std::vector<std::string> live = manifest.Files();
  const std::set<std::string> keep(live.begin(), live.end());
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Errno("cannot list", dir);
  std::vector<std::string> doomed;
  for (dirent* e = ::readdir(d); e != nullptr; e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == kManifestName || name == "LOCK") continue;
    if (IsIndexDirFile(name) && keep.count(name) == 0) doomed.push_back(name);
  }
  ::closedir(d);
  for (const std::string& name : doomed) {
    std::string path = dir;
    path += '/';
    path += name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove", path);
    ++*removed;
  }
  if (*removed > 0) return SyncDirectory(dir);
  return Status::Ok();
}

}  // namespace libsearch::internal
