#include "util/fan_out.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace libsearch::internal {

FanOut::FanOut(size_t threads) {
  for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

FanOut::~FanOut() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

size_t FanOut::DefaultThreads(size_t cap) {
  size_t n = std::max<size_t>(1, std::thread::hardware_concurrency());
  return cap > 0 ? std::min(n, cap) : n;
}

void FanOut::Work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // Stopping.
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void FanOut::Run(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (n == 1 || workers_.empty()) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  // Items are claimed from a counter: whoever is free takes the next. The
  // state outlives this call for helpers that start after the last item.
  struct Batch {
    std::atomic<size_t> next{0};
    size_t done = 0;
    std::mutex mu;
    std::condition_variable cv;
  };
  auto batch = std::make_shared<Batch>();
  auto drain = [batch, n, &fn] {
    size_t ran = 0;
    for (size_t i; (i = batch->next.fetch_add(1)) < n; ++ran) fn(i);
    if (ran == 0) return;
    std::lock_guard<std::mutex> lock(batch->mu);
    batch->done += ran;
    if (batch->done == n) batch->cv.notify_all();
  };
  const size_t helpers = std::min(workers_.size(), n - 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A helper that starts after Run returned finds no item and never
    // touches `fn` (captured by reference).
    for (size_t h = 0; h < helpers; ++h) tasks_.emplace_back(drain);
  }
  if (helpers == 1) {
    cv_.notify_one();
  } else {
    cv_.notify_all();
  }
  drain();
  std::unique_lock<std::mutex> lock(batch->mu);
  batch->cv.wait(lock, [&] { return batch->done == n; });
}

}  // namespace libsearch::internal
