// file:///DIR: an object store in a local (or shared) directory. An object
// is a file; its etag is the XXH3-64 of its bytes. Conditional writes hold
// an flock(2) on DIR/.lock, so writers in other processes see them atomic.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "remote/object_store.h"
#include "storage/file.h"
#include "util/hash.h"

namespace libsearch::internal {
namespace {

namespace fs = std::filesystem;

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

Status Errno(const std::string& what, const std::string& path, int err) {
  const std::string message = what + " " + path + ": " + std::strerror(err);
  return err == ENOENT ? Status::NotFound(message) : Status::IOError(message);
}

// Holds an exclusive flock on a file while alive.
class DirLock {
 public:
  static Result<DirLock> Acquire(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("cannot open lock", path, errno);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        const int err = errno;
        ::close(fd);
        return Errno("cannot lock", path, err);
      }
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // Closing releases the flock.
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

class LocalStore final : public ObjectStore {
 public:
  explicit LocalStore(std::string dir) : dir_(std::move(dir)) {}

  Result<GetResult> Get(const std::string& key, const std::string& if_none_match) override {
    GetResult out;
    const Status read = ReadFileToString(Path(key), &out.body);
    if (!read.ok()) return read.code() == StatusCode::kNotFound ? NotFound(key) : read;
    out.etag = Hex(Checksum64(out.body.data(), out.body.size()));
    if (!if_none_match.empty() && out.etag == if_none_match) {
      out.not_modified = true;
      out.body.clear();
    }
    return out;
  }

  Status GetToFile(const std::string& key, const std::string& path) override {
    std::error_code ec;
    fs::copy_file(Path(key), path, fs::copy_options::overwrite_existing, ec);
    if (ec == std::errc::no_such_file_or_directory) return NotFound(key);
    if (ec) return Status::IOError("cannot copy " + Url(key) + " to " + path + ": " + ec.message());
    return Status::Ok();
  }

  Result<std::string> Put(const std::string& key, std::string_view body, Precondition p,
                          const std::string& etag) override {
    LIBSEARCH_ASSIGN_OR_RETURN(const std::string tmp, WriteTemp(key, body));
    LIBSEARCH_RETURN_IF_ERROR(Install(key, tmp, p, etag));
    return Hex(Checksum64(body.data(), body.size()));
  }

  Status PutFile(const std::string& key, const std::string& path, Precondition p) override {
    std::string body;
    LIBSEARCH_RETURN_IF_ERROR(ReadFileToString(path, &body));
    return Put(key, body, p, "").status();
  }

  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string key = fs::relative(it->path(), dir_, ec).generic_string();
      if (key.rfind(prefix, 0) != 0 || key == ".lock" || key.find(".tmp.") != std::string::npos) {
        continue;
      }
      struct stat st {};
      if (::stat(it->path().c_str(), &st) != 0) continue;  // Removed meanwhile.
      out.push_back(
          {std::move(key), static_cast<uint64_t>(st.st_size), static_cast<int64_t>(st.st_mtime)});
    }
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return Status::IOError("cannot list " + Url(prefix) + ": " + ec.message());
    }
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Status Delete(const std::string& key) override {
    if (::unlink(Path(key).c_str()) != 0 && errno != ENOENT) {
      return Errno("cannot remove", Path(key), errno);
    }
    return Status::Ok();
  }

  std::string Url(const std::string& key) const override { return "file://" + Path(key); }

 private:
  std::string Path(const std::string& key) const { return dir_ + "/" + key; }
  Status NotFound(const std::string& key) const {
    return Status::NotFound("no object " + Url(key));
  }

  Result<std::string> WriteTemp(const std::string& key, std::string_view body) {
    const fs::path target = Path(key);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec)
      return Status::IOError("cannot create " + target.parent_path().string() + ": " +
                             ec.message());
    std::random_device rd;
    const std::string tmp =
        target.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("cannot create", tmp, errno);
    size_t done = 0;
    while (done < body.size()) {
      const ssize_t n = ::write(fd, body.data() + done, body.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return Errno("cannot write", tmp, err);
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return Errno("cannot sync", tmp, err);
    }
    return tmp;
  }

  // Moves `tmp` to `key` under `p`; removes `tmp` in every case.
  Status Install(const std::string& key, const std::string& tmp, Precondition p,
                 const std::string& etag) {
    const std::string target = Path(key);
    Status s;
    if (p == Precondition::kIfAbsent) {
      // link(2) fails if the target exists: an atomic create.
      if (::link(tmp.c_str(), target.c_str()) != 0) {
        s = errno == EEXIST ? Status::Aborted(Url(key) + " exists already")
                            : Errno("cannot create", target, errno);
      }
      ::unlink(tmp.c_str());
    } else {
      auto lock = DirLock::Acquire(dir_ + "/.lock");
      if (!lock.ok()) {
        ::unlink(tmp.c_str());
        return lock.status();
      }
      if (p == Precondition::kIfMatch) {
        auto current = Get(key, "");
        if (!current.ok() || current->etag != etag) {
          ::unlink(tmp.c_str());
          if (!current.ok() && current.status().code() != StatusCode::kNotFound) {
            return current.status();
          }
          return Status::Aborted(Url(key) + " changed since version " + etag + " was read");
        }
      }
      if (::rename(tmp.c_str(), target.c_str()) != 0) {
        s = Errno("cannot replace", target, errno);
        ::unlink(tmp.c_str());
      }
    }
    if (s.ok()) s = SyncDirectory(fs::path(target).parent_path().string());
    return s;
  }

  const std::string dir_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenLocalStore(std::string_view dir) {
  std::error_code ec;
  if (dir.empty() || dir.front() != '/') {
    return Status::InvalidArgument(
        "file:// URLs take an absolute path (file:///data/index), got '" + std::string(dir) + "'");
  }
  fs::create_directories(std::string(dir), ec);
  if (ec) return Status::IOError("cannot create " + std::string(dir) + ": " + ec.message());
  std::string root(dir);
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return std::unique_ptr<ObjectStore>(new LocalStore(std::move(root)));
}

}  // namespace libsearch::internal
