// File: functions/http_service/metrics.h
//
// Request counters and a latency histogram, exposed in the Prometheus text
// format (version 0.0.4) on GET /metrics. Thread-safe; recording a request
// costs a few relaxed atomic increments.
#pragma once

#include <libsearch/remote.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace libsearch::functions {

class Metrics {
 public:
  enum class Route { kSearch = 0, kHealthz, kMetrics, kOther, kCount };

  // Upper bounds (seconds) of the latency buckets; +Inf is implied.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  Metrics();

  // One finished request: its route, HTTP status and duration in seconds.
  void Record(Route route, int status, double seconds);

  void InFlight(int delta) { in_flight_.fetch_add(delta, std::memory_order_relaxed); }

  // The exposition text; `num_docs` and what `index` says of its refreshes
  // are reported too.
  std::string Render(uint64_t num_docs, const libsearch::ReplicaStatus& index) const;

  static std::string_view RouteName(Route route);

 private:
  // The status codes counted one by one; anything else counts as "other".
  static constexpr std::array<int, 14> kCodes = {200, 304, 400, 404, 405, 408, 413,
                                                 414, 415, 431, 500, 501, 503, 0};
  static size_t CodeSlot(int status);

  static constexpr size_t kRoutes = static_cast<size_t>(Route::kCount);
  std::array<std::array<std::atomic<uint64_t>, kCodes.size()>, kRoutes> requests_;
  std::array<std::array<std::atomic<uint64_t>, kBuckets.size() + 1>, kRoutes> buckets_;
  std::array<std::atomic<uint64_t>, kRoutes> sum_nanos_;
  std::atomic<int64_t> in_flight_{0};
  double start_time_seconds_;
};

}  // namespace libsearch::functions
