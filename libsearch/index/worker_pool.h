// A fixed set of threads, each running the tasks given to it in order: a
// parallel build keeps one inverter per thread, and an inverter must see
// its documents in doc order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace libsearch::internal {

// Thread-safety: RunOnEach and WaitFor from one thread (the owner).
class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  // Runs what is queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return workers_.size(); }

  // Queues fn(k) on worker k, for every k, after the tasks queued before;
  // returns its ticket for WaitFor. fn must not throw.
  uint64_t RunOnEach(std::function<void(size_t)> fn);

  // Returns once every worker has run the task of `ticket` (and so every
  // earlier one).
  void WaitFor(uint64_t ticket);

 private:
  struct Task {
    uint64_t ticket;
    std::shared_ptr<const std::function<void(size_t)>> fn;
  };
  struct Worker {
    std::deque<Task> queue;
    uint64_t done = 0;  // The ticket of the last task it ran.
    std::thread thread;
  };
  void Loop(size_t k);

  std::mutex mu_;
  std::condition_variable work_;  // A task was queued, or stopping.
  std::condition_variable done_;  // A task finished.
  uint64_t next_ticket_ = 0;
  bool stop_ = false;
  std::vector<Worker> workers_;
};

}  // namespace libsearch::internal
