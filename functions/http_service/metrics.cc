// File: functions/http_service/metrics.cc
#include "functions/http_service/metrics.h"

#include <chrono>
#include <cstdio>

namespace libsearch::functions {

Metrics::Metrics()
    : start_time_seconds_(
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count()) {
  for (auto& row : requests_) {
    for (auto& c : row) c.store(0, std::memory_order_relaxed);
  }
  for (auto& row : buckets_) {
    for (auto& c : row) c.store(0, std::memory_order_relaxed);
  }
  for (auto& s : sum_nanos_) s.store(0, std::memory_order_relaxed);
}

std::string_view Metrics::RouteName(Route route) {
  switch (route) {
    case Route::kSearch: return "/search";
    case Route::kHealthz: return "/healthz";
    case Route::kMetrics: return "/metrics";
    default: return "other";
  }
}

size_t Metrics::CodeSlot(int status) {
  for (size_t i = 0; i + 1 < kCodes.size(); ++i) {
    if (kCodes[i] == status) return i;
  }
  return kCodes.size() - 1;
}

void Metrics::Record(Route route, int status, double seconds) {
  const auto r = static_cast<size_t>(route);
  requests_[r][CodeSlot(status)].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  buckets_[r][b].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_[r].fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

std::string Metrics::Render(uint64_t num_docs, const libsearch::ReplicaStatus& index) const {
  std::string out;
  char line[256];
  out +=
      "# HELP libsearch_http_requests_total HTTP requests served, by route and status code.\n"
      "# TYPE libsearch_http_requests_total counter\n";
  for (size_t r = 0; r < kRoutes; ++r) {
    const std::string route(RouteName(static_cast<Route>(r)));
    for (size_t c = 0; c < kCodes.size(); ++c) {
      const uint64_t n = requests_[r][c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      const std::string code = kCodes[c] == 0 ? "other" : std::to_string(kCodes[c]);
      std::snprintf(line, sizeof(line),
                    "libsearch_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n", route.c_str(),
                    code.c_str(), static_cast<unsigned long long>(n));
      out += line;
    }
  }
  out +=
      "# HELP libsearch_http_request_duration_seconds Time from request parsed to response "
      "ready, by route.\n"
      "# TYPE libsearch_http_request_duration_seconds histogram\n";
  for (size_t r = 0; r < kRoutes; ++r) {
    const std::string route(RouteName(static_cast<Route>(r)));
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += buckets_[r][b].load(std::memory_order_relaxed);
      if (b < kBuckets.size()) {
        std::snprintf(
            line, sizeof(line),
            "libsearch_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
            route.c_str(), kBuckets[b], static_cast<unsigned long long>(cumulative));
      } else {
        std::snprintf(
            line, sizeof(line),
            "libsearch_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
            route.c_str(), static_cast<unsigned long long>(cumulative));
      }
      out += line;
    }
    std::snprintf(line, sizeof(line),
                  "libsearch_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n"
                  "libsearch_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                  route.c_str(),
                  static_cast<double>(sum_nanos_[r].load(std::memory_order_relaxed)) / 1e9,
                  route.c_str(), static_cast<unsigned long long>(cumulative));
    out += line;
  }
  out +=
      "# HELP libsearch_http_requests_in_flight Requests being served now.\n"
      "# TYPE libsearch_http_requests_in_flight gauge\n"
      "libsearch_http_requests_in_flight " +
      std::to_string(in_flight_.load(std::memory_order_relaxed)) +
      "\n"
      "# HELP libsearch_index_documents Documents in the served index.\n"
      "# TYPE libsearch_index_documents gauge\n"
      "libsearch_index_documents " +
      std::to_string(num_docs) +
      "\n"
      "# HELP libsearch_index_generation Commit generation of the served snapshot.\n"
      "# TYPE libsearch_index_generation gauge\n"
      "libsearch_index_generation " +
      std::to_string(index.generation) +
      "\n"
      "# HELP libsearch_index_refresh_checks_total Checks for a newer commit.\n"
      "# TYPE libsearch_index_refresh_checks_total counter\n"
      "libsearch_index_refresh_checks_total " +
      std::to_string(index.checks) +
      "\n"
      "# HELP libsearch_index_refreshes_total Newer snapshots swapped in.\n"
      "# TYPE libsearch_index_refreshes_total counter\n"
      "libsearch_index_refreshes_total " +
      std::to_string(index.refreshes) +
      "\n"
      "# HELP libsearch_index_refresh_failures_total Failed checks or refreshes (the last good "
      "snapshot kept serving).\n"
      "# TYPE libsearch_index_refresh_failures_total counter\n"
      "libsearch_index_refresh_failures_total " +
      std::to_string(index.failures) +
      "\n"
      "# HELP libsearch_index_refresh_ok 1 if the last check succeeded.\n"
      "# TYPE libsearch_index_refresh_ok gauge\n"
      "libsearch_index_refresh_ok " +
      (index.last_error.empty() ? "1" : "0") +
      "\n"
      "# HELP libsearch_index_refresh_age_seconds Time since the last check.\n"
      "# TYPE libsearch_index_refresh_age_seconds gauge\n"
      "# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n"
      "# TYPE process_start_time_seconds gauge\n";
  std::snprintf(line, sizeof(line), "libsearch_index_refresh_age_seconds %.3f\n",
                index.last_check_age_seconds);
  out.insert(out.find("# HELP process_start_time_seconds"), line);
  std::snprintf(line, sizeof(line), "process_start_time_seconds %.3f\n", start_time_seconds_);
  out += line;
  return out;
}

}  // namespace libsearch::functions
