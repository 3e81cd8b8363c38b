// File: functions/http_service/task_queue.h
//
// Threads for libsearch-service's connections, apart from its search workers.
//
// cpp-httplib (0.11, Debian 12) hands each accepted connection to its
// TaskQueue as one task that lasts the connection's whole keep-alive life,
// idle time included. With its fixed ThreadPool, N idle keep-alive clients
// hold all N threads and every later connection (a health probe, a new
// client) waits until one of them times out: 5 s with the service's
// settings, past Kubernetes' 1 s probe timeout.
//
// So connections and searches are bounded separately:
//   ConnectionPool  a thread per connection, grown on demand up to a bound
//                   (--max-connections); past it, connections wait in order.
//   WorkSlots       the CPU-bound work (a search) runs in at most --threads
//                   connections at once; the rest wait for a slot.
// An idle connection then costs a mostly sleeping thread, not a worker, and
// /healthz and /metrics, which take no slot, are never behind searches.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <semaphore>
#include <thread>
#include <utility>
#include <vector>

namespace libsearch::functions {

class ConnectionPool final : public httplib::TaskQueue {
 public:
  // Starts `min_threads` threads at once and keeps them; adds one whenever a
  // task arrives and no thread is idle, up to `max_threads`. A thread above
  // `min_threads` exits after `idle_timeout` without a task. min_threads is
  // raised to 1 and max_threads to min_threads if lower.
  ConnectionPool(size_t min_threads, size_t max_threads,
                 std::chrono::milliseconds idle_timeout = std::chrono::seconds(60));
  ~ConnectionPool() override;  // Shuts down if shutdown() was not called.
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Runs `fn` on a pool thread; FIFO once all max_threads are busy. Called
  // after shutdown() (httplib never does), it runs `fn` on the caller.
  void enqueue(std::function<void()> fn) override;
  // Runs the tasks already queued, then joins every thread.
  void shutdown() override;

  // Threads alive (for tests).
  size_t threads() const;

 private:
  void Work();
  // Starts one thread unless the system refuses (then queued tasks wait for
  // a busy one). mu_ must be held.
  void Spawn();
  void JoinExited(std::vector<std::thread> exited);

  const size_t min_threads_, max_threads_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::map<std::thread::id, std::thread> threads_;
  std::vector<std::thread> exited_;  // Retired; joined by the next caller.
  size_t idle_ = 0;
  bool shutdown_ = false;
};

// At most `n` holders at once; Acquire blocks for a slot.
class WorkSlots {
 public:
  // Requires n >= 1.
  explicit WorkSlots(unsigned n) : free_(static_cast<std::ptrdiff_t>(n)) {}

  // Holds a slot until destroyed.
  class [[nodiscard]] Lease {
   public:
    explicit Lease(WorkSlots* slots) : slots_(slots) {}
    Lease(Lease&& other) noexcept : slots_(std::exchange(other.slots_, nullptr)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (slots_ != nullptr) slots_->free_.release();
    }

   private:
    WorkSlots* slots_;
  };

  Lease Acquire() {
    free_.acquire();
    return Lease(this);
  }

 private:
  std::counting_semaphore<> free_;
};

}  // namespace libsearch::functions
