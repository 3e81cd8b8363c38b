#include "storage/file_watch.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#if defined(__linux__)
#include <sys/inotify.h>
#include <unistd.h>
#endif

namespace libsearch::internal {

#if defined(__linux__)

// The process's one inotify instance and who watches each descriptor.
// Events are read under the lock by whichever Quiet() call comes first and
// handed to every watcher of their descriptor.
class FileWatchRegistry {
 public:
  static FileWatchRegistry& Get() {
    static auto* registry = new FileWatchRegistry();  // Never destroyed: outlives every watch.
    return *registry;
  }

  bool Add(FileWatch* w, std::span<const int> fds) {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0) fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) return false;
    Drain();  // Events from before this watch are not its own.
    for (const int f : fds) {
      const std::string path = "/proc/self/fd/" + std::to_string(f);
      const int wd = ::inotify_add_watch(fd_, path.c_str(), IN_MODIFY | IN_ATTRIB);
      if (wd < 0) {
        RemoveLocked(w);
        return false;
      }
      w->wds_.push_back(wd);
      watchers_[wd].push_back(w);
    }
    return true;
  }

  void Remove(FileWatch* w) {
    std::lock_guard<std::mutex> lock(mu_);
    Drain();  // Other watchers' events must not be lost with the watch.
    RemoveLocked(w);
  }

  void Poll() {
    std::lock_guard<std::mutex> lock(mu_);
    Drain();
  }

 private:
  void RemoveLocked(FileWatch* w) {
    for (const int wd : w->wds_) {
      auto it = watchers_.find(wd);
      if (it == watchers_.end()) continue;
      auto& list = it->second;
      list.erase(std::remove(list.begin(), list.end(), w), list.end());
      if (list.empty()) {
        ::inotify_rm_watch(fd_, wd);
        watchers_.erase(it);
      }
    }
    w->wds_.clear();
  }

  // Reads every queued event; each fires the watchers of its descriptor
  // (a queue overflow, or a read error, fires them all).
  void Drain() {
    alignas(inotify_event) char buf[4096];
    while (true) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {
        FireAll();
        return;
      }
      for (ssize_t off = 0; off < n;) {
        inotify_event e;
        std::memcpy(&e, buf + off, sizeof e);
        off += static_cast<ssize_t>(sizeof e + e.len);
        if (e.mask & IN_Q_OVERFLOW) {
          FireAll();
          continue;
        }
        if (e.mask & IN_IGNORED) continue;  // A removed watch's last word.
        auto it = watchers_.find(e.wd);
        if (it == watchers_.end()) continue;
        for (FileWatch* w : it->second) w->fired_.store(true, std::memory_order_release);
      }
    }
  }

  void FireAll() {
    for (auto& [wd, list] : watchers_) {
      for (FileWatch* w : list) w->fired_.store(true, std::memory_order_release);
    }
  }

  std::mutex mu_;
  int fd_ = -1;
  std::unordered_map<int, std::vector<FileWatch*>> watchers_;
};

std::unique_ptr<FileWatch> FileWatch::Create(std::span<const int> fds) {
  std::unique_ptr<FileWatch> watch(new FileWatch());
  if (!FileWatchRegistry::Get().Add(watch.get(), fds)) return nullptr;
  return watch;
}

FileWatch::~FileWatch() { FileWatchRegistry::Get().Remove(this); }

bool FileWatch::Quiet() const {
  if (fired_.load(std::memory_order_acquire)) return false;
  FileWatchRegistry::Get().Poll();
  return !fired_.load(std::memory_order_acquire);
}

#else

class FileWatchRegistry {};
std::unique_ptr<FileWatch> FileWatch::Create(std::span<const int>) { return nullptr; }
FileWatch::~FileWatch() = default;
bool FileWatch::Quiet() const { return false; }

#endif

}  // namespace libsearch::internal
