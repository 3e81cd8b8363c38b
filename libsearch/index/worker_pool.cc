#include "index/worker_pool.h"

namespace libsearch::internal {

WorkerPool::WorkerPool(size_t threads) : workers_(threads) {
  for (size_t k = 0; k < threads; ++k) workers_[k].thread = std::thread([this, k] { Loop(k); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  for (Worker& w : workers_) w.thread.join();
}

uint64_t WorkerPool::RunOnEach(std::function<void(size_t)> fn) {
  auto shared = std::make_shared<const std::function<void(size_t)>>(std::move(fn));
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ticket = ++next_ticket_;
    for (Worker& w : workers_) w.queue.push_back({ticket, shared});
  }
  work_.notify_all();
  return ticket;
}

void WorkerPool::WaitFor(uint64_t ticket) {
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] {
    for (const Worker& w : workers_) {
      if (w.done < ticket) return false;
    }
    return true;
  });
}

void WorkerPool::Loop(size_t k) {
  Worker& w = workers_[k];
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_.wait(lock, [&] { return stop_ || !w.queue.empty(); });
    if (w.queue.empty()) return;  // Stopping, with nothing left to run.
    Task task = std::move(w.queue.front());
    w.queue.pop_front();
    lock.unlock();
    (*task.fn)(k);
    lock.lock();
    w.done = task.ticket;
    done_.notify_all();
  }
}

}  // namespace libsearch::internal
