// FanOut: a small pool of threads that runs the items of one call in
// parallel, the calling thread included. A sharded search runs its shards'
// segments on it; a per-query std::thread would cost more than a small
// shard's search (docs/design-notes.md, "Sharded indexes").
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace libsearch::internal {

// Thread-safety: Run may be called from many threads at once; each call's
// items share the workers. The caller also claims items, so a call always
// progresses, even when every worker is busy with other calls.
class FanOut {
 public:
  // `threads` counts the caller: threads - 1 workers (none for 0 or 1).
  explicit FanOut(size_t threads);
  ~FanOut();
  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;

  // Runs fn(0) .. fn(n - 1), each once, and returns when all have.
  void Run(size_t n, const std::function<void(size_t)>& fn);
  size_t threads() const { return workers_.size() + 1; }

  // One per hardware thread (at least 1), at most `cap` (if > 0).
  static size_t DefaultThreads(size_t cap);

 private:
  void Work();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace libsearch::internal
