// File: functions/http_service/task_queue.cc
#include "functions/http_service/task_queue.h"

#include <algorithm>
#include <system_error>

namespace libsearch::functions {

ConnectionPool::ConnectionPool(size_t min_threads, size_t max_threads,
                               std::chrono::milliseconds idle_timeout)
    : min_threads_(std::max<size_t>(min_threads, 1)),
      max_threads_(std::max(min_threads_, max_threads)),
      idle_timeout_(idle_timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < min_threads_; ++i) Spawn();
}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::enqueue(std::function<void()> fn) {
  std::vector<std::thread> exited;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (shutdown_) {
      // After shutdown() the task runs on the caller (see the header).
      lock.unlock();
      fn();
      return;
    }
    tasks_.push_back(std::move(fn));
    // Each idle thread takes one queued task (a woken one still counts as
    // idle until it takes it); a task left over gets a new thread.
    if (tasks_.size() > idle_ && threads_.size() < max_threads_) Spawn();
    exited.swap(exited_);
  }
  ready_.notify_one();
  JoinExited(std::move(exited));
}

void ConnectionPool::shutdown() {
  std::map<std::thread::id, std::thread> threads;
  std::vector<std::thread> exited;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
    threads.swap(threads_);
    exited.swap(exited_);
  }
  ready_.notify_all();
  for (auto& [id, thread] : threads) thread.join();
  JoinExited(std::move(exited));
}

size_t ConnectionPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_.size();
}

void ConnectionPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    ++idle_;
    const bool woken =
        ready_.wait_for(lock, idle_timeout_, [&] { return !tasks_.empty() || shutdown_; });
    --idle_;
    if (!woken) {
      if (threads_.size() > min_threads_) {
        // Retire: the thread's handle goes to exited_ for a later join
        // (a thread cannot join itself). Spawn registered it under mu_, so
        // it is in threads_.
        auto self = threads_.find(std::this_thread::get_id());
        exited_.push_back(std::move(self->second));
        threads_.erase(self);
        return;
      }
      continue;
    }
    if (tasks_.empty()) return;  // Shut down, and nothing is left to run.
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

void ConnectionPool::Spawn() {
  try {
    std::thread thread([this] { Work(); });
    const std::thread::id id = thread.get_id();
    threads_.emplace(id, std::move(thread));
  } catch (const std::system_error&) {
    // Out of threads (EAGAIN): the pool works with the ones it has.
  }
}

void ConnectionPool::JoinExited(std::vector<std::thread> exited) {
  // They have left Work() already (or are about to): the joins are quick.
  for (std::thread& thread : exited) thread.join();
}

}  // namespace libsearch::functions
