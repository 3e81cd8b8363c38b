#include "storage/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace libsearch::internal {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  std::string msg(what);
  msg += " '" + path + "': " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(std::move(msg));
  return Status::IOError(std::move(msg));
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Opens `path` for reading only if it is a regular file. O_NONBLOCK keeps a
// FIFO from blocking the open; it changes nothing for regular files.
Result<int> OpenRegular(const std::string& path, std::string_view what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoStatus("cannot open " + std::string(what), path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("cannot stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("'" + path + "' is not a regular file (" +
                                   (S_ISDIR(st.st_mode)    ? "a directory"
                                    : S_ISFIFO(st.st_mode) ? "a pipe"
                                                           : "a device or socket") +
                                   "); give the path of a file");
  }
  return fd;
}

// Removes `<base>.tmp.<pid>.<n>` files left in `dir` by writers that died
// (their pid no longer runs): a killed build would otherwise leave its
// partial output behind for ever.
void RemoveStaleTemporaries(const std::string& dir, const std::string& base) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  const std::string prefix = base + ".tmp.";
  std::vector<std::string> stale;
  for (dirent* e = ::readdir(d); e != nullptr; e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = name.substr(prefix.size());
    const size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string_view::npos) continue;
    long pid = 0;
    bool digits = true;
    for (char c : rest.substr(0, dot)) {
      if (c < '0' || c > '9' || pid > 1L << 40) {
        digits = false;
        break;
      }
      pid = pid * 10 + (c - '0');
    }
    if (!digits || pid <= 0) continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      stale.emplace_back(name);
    }
  }
  ::closedir(d);
  for (const std::string& name : stale) ::unlink((dir + "/" + name).c_str());
}

int64_t MtimeNs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

// ---------------------------------------------------------------- MappedFile

Result<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  LIBSEARCH_ASSIGN_OR_RETURN(const int fd, OpenRegular(path, "index"));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("cannot stat", path, err);
  }
  const size_t size = static_cast<size_t>(st.st_size);
  const char* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return ErrnoStatus("cannot mmap", path, err);
    }
    // Queries touch a few scattered pages; the kernel's default read-ahead
    // (8 MiB per fault on some VMs) would make a cold open read megabytes.
    ::madvise(p, size, MADV_RANDOM);
    data = static_cast<const char*>(p);
  }
  return std::unique_ptr<MappedFile>(new MappedFile(path, fd, data, size, MtimeNs(st)));
}

MappedFile::~MappedFile() {
  if (size_ > 0) ::munmap(const_cast<char*>(data_), size_);
  ::close(fd_);
}

void MappedFile::WillReadAll(uint64_t offset, uint64_t length) const {
  if (length == 0 || offset >= size_) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t begin = offset / page * page;
  const uint64_t end = std::min<uint64_t>(offset + length, size_);
  ::madvise(const_cast<char*>(data_) + begin, end - begin, MADV_WILLNEED);
}

Status MappedFile::Unchanged() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoStatus("cannot stat", path_, errno);
  if (static_cast<uint64_t>(st.st_size) == size_ && MtimeNs(st) == mtime_ns_) return Status::Ok();
  return Status::Corruption("index file '" + path_ +
                            "' changed under this reader (written over in place, not replaced "
                            "by rename; replace index files by rename, as `libsearch index "
                            "--output` does): open it again");
}

// ---------------------------------------------------------- AtomicFileWriter

Result<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Create(const std::string& path) {
  // rename() would replace a symbolic link or a device node itself, not
  // write through it.
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("refusing to replace '" + path + "': it is " +
                                   (S_ISLNK(st.st_mode)
                                        ? "a symbolic link (give the path it points to)"
                                    : S_ISDIR(st.st_mode) ? "a directory"
                                                          : "not a regular file") +
                                   "; the output must be a regular file or a new path");
  }
  const size_t slash = path.rfind('/');
  RemoveStaleTemporaries(DirName(path), slash == std::string::npos ? path : path.substr(slash + 1));
  std::random_device rd;
  const std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd() % 1000000);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot create output file", tmp, errno);
  return std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(path, tmp, fd));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_path_.c_str());
}

Status AtomicFileWriter::Append(std::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write failed", tmp_path_, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  size_ += data.size();
  return Status::Ok();
}

Status AtomicFileWriter::PadTo(uint64_t alignment) {
  const uint64_t rem = size_ % alignment;
  if (rem == 0) return Status::Ok();
  return Append(std::string(alignment - rem, '\0'));
}

Status AtomicFileWriter::WriteAt(uint64_t offset, std::string_view data) {
  if (::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset)) !=
      static_cast<ssize_t>(data.size())) {
    return ErrnoStatus("write failed", tmp_path_, errno);
  }
  return Status::Ok();
}

namespace {
thread_local DeferredSync* deferred_sync = nullptr;
}  // namespace

DeferredSync::DeferredSync() { deferred_sync = this; }

DeferredSync::~DeferredSync() {
  for (const File& f : files_) ::close(f.fd);
  if (deferred_sync == this) deferred_sync = nullptr;
}

Status DeferredSync::Finish() {
  if (deferred_sync == this) deferred_sync = nullptr;
  active_ = false;
  std::vector<int> errors(files_.size(), 0);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < files_.size();) {
      if (::fsync(files_[i].fd) != 0) errors[i] = errno;
    }
  };
  // Enough threads that every file's fsync waits on the same journal commit.
  constexpr size_t kMaxThreads = 16;
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(files_.size(), kMaxThreads); ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  Status status = Status::Ok();
  for (size_t i = 0; i < files_.size(); ++i) {
    if (::close(files_[i].fd) != 0 && errors[i] == 0) errors[i] = errno;
    if (errors[i] != 0 && status.ok())
      status = ErrnoStatus("fsync failed", files_[i].path, errors[i]);
  }
  files_.clear();
  LIBSEARCH_RETURN_IF_ERROR(status);
  for (const std::string& dir : dirs_) LIBSEARCH_RETURN_IF_ERROR(SyncDirectory(dir));
  dirs_.clear();
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  if (DeferredSync* group = deferred_sync; group != nullptr && group->active_) {
    if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
      return ErrnoStatus("cannot rename temporary file to", path_, errno);
    }
    committed_ = true;
    group->files_.push_back({fd_, path_});
    fd_ = -1;
    const std::string dir = DirName(path_);
    if (std::find(group->dirs_.begin(), group->dirs_.end(), dir) == group->dirs_.end()) {
      group->dirs_.push_back(dir);
    }
    return Status::Ok();
  }
  if (::fsync(fd_) != 0) return ErrnoStatus("fsync failed", tmp_path_, errno);
  if (::close(fd_) != 0) {
    fd_ = -1;
    return ErrnoStatus("close failed", tmp_path_, errno);
  }
  fd_ = -1;
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    return ErrnoStatus("cannot rename temporary file to", path_, errno);
  }
  committed_ = true;
  // Make the rename itself durable.
  return SyncDirectory(DirName(path_));
}

Status SyncDirectory(const std::string& dir) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoStatus("cannot open directory", dir, errno);
  const int rc = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  // Some file systems cannot fsync a directory (EINVAL); their renames are
  // as durable as they get.
  if (rc != 0 && err != EINVAL) return ErrnoStatus("fsync failed on directory", dir, err);
  return Status::Ok();
}

// ---------------------------------------------------------------- LineReader

namespace {

// Splits a byte stream produced by `Fill` into lines.
class BufferedLineReader : public LineReader {
 public:
  bool Next(std::string* line) override {
    line->clear();
    while (true) {
      const size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        line->append(buf_, pos_, nl - pos_);
        pos_ = nl + 1;
        break;
      }
      line->append(buf_, pos_, std::string::npos);
      buf_.clear();
      pos_ = 0;
      // A damaged stream's last, partial line is not a line: the error is.
      if (!status_.ok()) return false;
      if (eof_) {
        if (line->empty()) return false;
        break;
      }
      Fill(&buf_);
    }
    if (!line->empty() && line->back() == '\r') line->pop_back();
    return true;
  }
  Status status() const override { return status_; }
  uint64_t bytes_read() const override { return bytes_read_; }

 protected:
  // Appends more decoded bytes to *buf, or sets eof_ / status_.
  virtual void Fill(std::string* buf) = 0;
  Status status_;
  bool eof_ = false;
  uint64_t bytes_read_ = 0;

 private:
  std::string buf_;
  size_t pos_ = 0;
};

constexpr size_t kChunk = 1 << 16;

class PlainReader : public BufferedLineReader {
 public:
  PlainReader(std::string path, FILE* f) : path_(std::move(path)), f_(f) {}
  ~PlainReader() override { std::fclose(f_); }

 protected:
  void Fill(std::string* buf) override {
    char chunk[kChunk];
    const size_t n = std::fread(chunk, 1, kChunk, f_);
    bytes_read_ += n;
    buf->append(chunk, n);
    if (n < kChunk) {
      if (std::ferror(f_)) status_ = ErrnoStatus("read failed", path_, errno);
      eof_ = true;
    }
  }

 private:
  std::string path_;
  FILE* f_;
};

class GzipReader : public BufferedLineReader {
 public:
  GzipReader(std::string path, gzFile f) : path_(std::move(path)), f_(f) {}
  ~GzipReader() override { gzclose(f_); }

 protected:
  void Fill(std::string* buf) override {
    char chunk[kChunk];
    const int n = gzread(f_, chunk, kChunk);
    int errnum = Z_OK;
    const char* error = gzerror(f_, &errnum);
    // zlib reports a stream cut short (Z_BUF_ERROR) only through gzerror:
    // gzread returns what it decoded, then 0 as at a clean end.
    if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
      status_ = Status::InvalidArgument("'" + path_ + "' is not valid gzip: " + error +
                                        (errnum == Z_BUF_ERROR ? " (the file is truncated)" : "") +
                                        "; check or re-create the file");
      eof_ = true;
      return;
    }
    // zlib reads a file without a gzip header as plain bytes.
    if (gzdirect(f_) != 0) {
      status_ = Status::InvalidArgument("'" + path_ +
                                        "' is not gzip-compressed, though its name ends in .gz; "
                                        "compress it or rename it");
      eof_ = true;
      return;
    }
    bytes_read_ = static_cast<uint64_t>(gzoffset(f_));
    buf->append(chunk, static_cast<size_t>(n));
    if (n == 0) eof_ = true;
  }

 private:
  std::string path_;
  gzFile f_;
};

class ZstdReader : public BufferedLineReader {
 public:
  ZstdReader(std::string path, FILE* f)
      : path_(std::move(path)), f_(f), dctx_(ZSTD_createDStream()), in_buf_(ZSTD_DStreamInSize()) {
    ZSTD_initDStream(dctx_);
  }
  ~ZstdReader() override {
    ZSTD_freeDStream(dctx_);
    std::fclose(f_);
  }

 protected:
  void Fill(std::string* buf) override {
    while (true) {
      if (in_.pos < in_.size || pending_) {
        ZSTD_outBuffer out = {out_buf_.data(), out_buf_.size(), 0};
        last_ret_ = ZSTD_decompressStream(dctx_, &out, &in_);
        if (ZSTD_isError(last_ret_)) {
          status_ = Status::InvalidArgument("'" + path_ +
                                            "' is not valid zstd: " + ZSTD_getErrorName(last_ret_));
          return;
        }
        // A full output buffer may mean the decoder holds more.
        pending_ = out.pos == out.size;
        if (out.pos > 0) {
          buf->append(out_buf_.data(), out.pos);
          return;
        }
      }
      const size_t n = std::fread(in_buf_.data(), 1, in_buf_.size(), f_);
      bytes_read_ += n;
      if (n == 0) {
        if (std::ferror(f_)) {
          status_ = ErrnoStatus("read failed", path_, errno);
        } else if (last_ret_ != 0) {
          status_ = Status::InvalidArgument("'" + path_ + "' is a truncated zstd stream");
        }
        eof_ = true;
        return;
      }
      in_ = {in_buf_.data(), n, 0};
    }
  }

 private:
  std::string path_;
  FILE* f_;
  ZSTD_DStream* dctx_;
  std::vector<char> in_buf_;
  std::vector<char> out_buf_ = std::vector<char>(ZSTD_DStreamOutSize());
  ZSTD_inBuffer in_ = {nullptr, 0, 0};
  size_t last_ret_ = 0;
  bool pending_ = false;
};

}  // namespace

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path) {
  LIBSEARCH_ASSIGN_OR_RETURN(const int fd, OpenRegular(path, "input"));
  if (EndsWith(path, ".gz")) {
    gzFile f = gzdopen(fd, "rb");
    if (f == nullptr) {
      ::close(fd);
      return Status::ResourceExhausted("cannot open input '" + path + "': out of memory");
    }
    gzbuffer(f, 1 << 17);
    return std::unique_ptr<LineReader>(new GzipReader(path, f));
  }
  FILE* f = ::fdopen(fd, "rb");
  if (f == nullptr) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("cannot open input", path, err);
  }
  if (EndsWith(path, ".zst")) {
    return std::unique_ptr<LineReader>(new ZstdReader(path, f));
  }
  return std::unique_ptr<LineReader>(new PlainReader(path, f));
}

Status ReadFileToString(const std::string& path, std::string* out) {
  LIBSEARCH_ASSIGN_OR_RETURN(const int fd, OpenRegular(path, "file"));
  FILE* f = ::fdopen(fd, "rb");
  if (f == nullptr) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus("cannot open", path, err);
  }
  out->clear();
  char chunk[kChunk];
  size_t n;
  while ((n = std::fread(chunk, 1, kChunk, f)) > 0) out->append(chunk, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return ErrnoStatus("read failed", path, errno);
  return Status::Ok();
}

}  // namespace libsearch::internal
