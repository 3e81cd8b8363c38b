#include "storage/file_watch.h"

#include <cerrno>
#include <string>

#if defined(__linux__)
#include <sys/inotify.h>
#include <unistd.h>
#endif

namespace libsearch::internal {

#if defined(__linux__)

std::unique_ptr<FileWatch> FileWatch::Create(std::span<const int> fds) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return nullptr;
  std::unique_ptr<FileWatch> watch(new FileWatch(fd));
  for (const int f : fds) {
    const std::string path = "/proc/self/fd/" + std::to_string(f);
    if (::inotify_add_watch(fd, path.c_str(), IN_MODIFY | IN_ATTRIB) < 0) return nullptr;
  }
  return watch;
}

FileWatch::~FileWatch() { ::close(fd_); }

bool FileWatch::Quiet() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (fired_) return false;
  // Any event at all ends the quiet; its content does not matter.
  alignas(inotify_event) char buf[4096];
  const ssize_t n = ::read(fd_, buf, sizeof buf);
  if (n > 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) fired_ = true;
  return !fired_;
}

#else

std::unique_ptr<FileWatch> FileWatch::Create(std::span<const int>) { return nullptr; }
FileWatch::~FileWatch() = default;
bool FileWatch::Quiet() const { return false; }

#endif

}  // namespace libsearch::internal
