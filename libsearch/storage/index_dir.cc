#include "storage/index_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
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
constexpr char kUpdateMagic[8] = {'L', 'S', 'U', 'P', 'D', '0', '0', '1'};

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

namespace libsearch::internal {

const DocUpdates::Doc* DocUpdates::Find(uint32_t doc) const {
  auto it = std::lower_bound(docs.begin(), docs.end(), doc,
                             [](const Doc& d, uint32_t want) { return d.doc < want; });
  return it != docs.end() && it->doc == doc ? &*it : nullptr;
}

Status WriteUpdateFile(const std::string& path, const DocUpdates& updates, uint64_t num_docs) {
  std::string bytes(kUpdateMagic, sizeof(kUpdateMagic));
  PutFixed64(&bytes, num_docs);
  PutFixed64(&bytes, updates.docs.size());
  int64_t last = -1;
  for (const DocUpdates::Doc& d : updates.docs) {
    if (static_cast<int64_t>(d.doc) <= last || d.doc >= num_docs) {
      return Status::Internal("update file '" + path + "': doc " + std::to_string(d.doc) +
                              " out of order or past the segment's " + std::to_string(num_docs) +
                              " docs");
    }
    last = d.doc;
    PutFixed32(&bytes, d.doc);
    PutFixed32(&bytes, static_cast<uint32_t>(d.fields_json.size()));
    bytes += d.fields_json;
    PutFixed32(&bytes, static_cast<uint32_t>(d.numbers.size()));
    for (const DocUpdates::Number& n : d.numbers) {
      PutFixed32(&bytes, n.field);
      bytes.push_back(n.present ? 1 : 0);
      PutFixed64(&bytes, n.bits);
    }
  }
  PutFixed64(&bytes, Checksum64(bytes.data(), bytes.size()));
  LIBSEARCH_ASSIGN_OR_RETURN(auto writer, AtomicFileWriter::Create(path));
  LIBSEARCH_RETURN_IF_ERROR(writer->Append(bytes));
  return writer->Commit();
}

Result<std::shared_ptr<const DocUpdates>> ReadUpdateFile(const std::string& path, uint64_t num_docs,
                                                         size_t num_fields) {
  std::string bytes;
  LIBSEARCH_RETURN_IF_ERROR(ReadFileToString(path, &bytes));
  auto bad = [&path](const std::string& what) {
    return Status::Corruption("update file '" + path + "' is damaged: " + what +
                              "; restore the index directory or rebuild it");
  };
  constexpr size_t kHeader = 8 + 8 + 8;
  if (bytes.size() < kHeader + 8 ||
      std::memcmp(bytes.data(), kUpdateMagic, sizeof(kUpdateMagic)) != 0) {
    return bad("not a libsearch update file");
  }
  const size_t body = bytes.size() - 8;
  if (DecodeFixed64(bytes.data() + body) != Checksum64(bytes.data(), body)) {
    return bad("checksum mismatch");
  }
  if (DecodeFixed64(bytes.data() + 8) != num_docs) {
    return bad("written for a segment of " + std::to_string(DecodeFixed64(bytes.data() + 8)) +
               " docs, not " + std::to_string(num_docs));
  }
  const uint64_t count = DecodeFixed64(bytes.data() + 16);
  if (count > num_docs) return bad("more updated docs than the segment has");
  auto out = std::make_shared<DocUpdates>();
  out->docs.reserve(count);
  size_t pos = kHeader;
  auto need = [&](size_t n) { return body - pos >= n; };
  int64_t last = -1;
  for (uint64_t i = 0; i < count; ++i) {
    DocUpdates::Doc& d = out->docs.emplace_back();
    if (!need(8)) return bad("truncated");
    d.doc = DecodeFixed32(bytes.data() + pos);
    const uint32_t len = DecodeFixed32(bytes.data() + pos + 4);
    pos += 8;
    if (static_cast<int64_t>(d.doc) <= last || d.doc >= num_docs) {
      return bad("doc " + std::to_string(d.doc) + " out of order or past the segment's end");
    }
    last = d.doc;
    if (!need(uint64_t{len} + 4)) return bad("truncated");
    d.fields_json.assign(bytes.data() + pos, len);
    pos += len;
    const uint32_t k = DecodeFixed32(bytes.data() + pos);
    pos += 4;
    if (k > num_fields || !need(uint64_t{k} * 13)) return bad("truncated");
    for (uint32_t j = 0; j < k; ++j) {
      DocUpdates::Number& n = d.numbers.emplace_back();
      n.field = DecodeFixed32(bytes.data() + pos);
      const uint8_t present = static_cast<uint8_t>(bytes[pos + 4]);
      n.bits = DecodeFixed64(bytes.data() + pos + 5);
      pos += 13;
      if (n.field >= num_fields || present > 1) return bad("bad numeric value entry");
      n.present = present == 1;
    }
  }
  if (pos != body) return bad("trailing bytes");
  return std::shared_ptr<const DocUpdates>(std::move(out));
}

}  // namespace libsearch::internal
