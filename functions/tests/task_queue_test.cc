// Tests of libsearch-service's connection pool and search slots with real
// threads. Nothing is timed: waits have generous upper bounds so that a
// broken pool fails instead of hanging. The service itself is tested over
// HTTP by test_service_keepalive.py.
#include "functions/http_service/task_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <semaphore>
#include <thread>
#include <vector>

namespace libsearch::functions {
namespace {

using std::chrono::seconds;

constexpr seconds kBound{30};

// Tasks that all block until every one of them runs: only a pool with a
// thread per task finishes them (the case of idle keep-alive connections).
TEST(ConnectionPool, GrowsPastItsMinimumForBlockingTasks) {
  ConnectionPool pool(1, 8);
  EXPECT_EQ(pool.threads(), 1u);
  std::latch all_running(8);
  std::counting_semaphore<> finished(0);
  for (int i = 0; i < 8; ++i) {
    pool.enqueue([&] {
      all_running.arrive_and_wait();
      finished.release();
    });
  }
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(finished.try_acquire_for(kBound));
  EXPECT_EQ(pool.threads(), 8u);
  pool.shutdown();
}

TEST(ConnectionPool, StaysWithinItsMaximumAndQueuesTheRest) {
  ConnectionPool pool(1, 2);
  std::counting_semaphore<> started(0), gate(0);
  std::atomic<int> third_ran{0};
  for (int i = 0; i < 2; ++i) {
    pool.enqueue([&] {
      started.release();
      gate.acquire();
    });
  }
  ASSERT_TRUE(started.try_acquire_for(kBound));
  ASSERT_TRUE(started.try_acquire_for(kBound));
  pool.enqueue([&] { third_ran.store(1); });
  EXPECT_EQ(pool.threads(), 2u);  // Not grown: the task waits for a thread.
  EXPECT_EQ(third_ran.load(), 0);
  gate.release(2);
  pool.shutdown();  // Runs what is queued before it joins.
  EXPECT_EQ(third_ran.load(), 1);
}

TEST(ConnectionPool, ShutdownRunsQueuedTasksFirst) {
  ConnectionPool pool(1, 1);
  std::atomic<int> ran{0};
  std::counting_semaphore<> gate(0);
  pool.enqueue([&] {
    gate.acquire();
    ran.fetch_add(1);
  });
  for (int i = 0; i < 5; ++i) pool.enqueue([&] { ran.fetch_add(1); });
  gate.release();
  pool.shutdown();
  EXPECT_EQ(ran.load(), 6);
  EXPECT_EQ(pool.threads(), 0u);
}

TEST(ConnectionPool, RetiresIdleThreadsDownToItsMinimum) {
  ConnectionPool pool(2, 6, std::chrono::milliseconds(1));
  std::latch all_running(6);
  std::counting_semaphore<> finished(0);
  auto blocking = [&] {
    all_running.arrive_and_wait();
    finished.release();
  };
  for (int i = 0; i < 6; ++i) pool.enqueue(blocking);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(finished.try_acquire_for(kBound));
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  while (pool.threads() > 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(pool.threads(), 2u);
  // It grows again, and the next enqueue joins the retired threads.
  std::latch again(3);
  for (int i = 0; i < 3; ++i) {
    pool.enqueue([&] {
      again.arrive_and_wait();
      finished.release();
    });
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(finished.try_acquire_for(kBound));
  pool.shutdown();
}

TEST(WorkSlots, NeverMoreHoldersThanSlots) {
  WorkSlots slots(2);
  std::atomic<int> holders{0}, most{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        const auto lease = slots.Acquire();
        const int now = holders.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        holders.fetch_sub(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(most.load(), 1);
  EXPECT_LE(most.load(), 2);
}

}  // namespace
}  // namespace libsearch::functions
