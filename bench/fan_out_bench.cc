// Fan-out across functions (issue 23, acceptance 3): a FanOutIndex over
// shard endpoints (libsearch-service --shard i, Lambda emulators; URLs as
// HttpShardTransport takes them). Per request: the coordinator's latency
// (FanOutIndex::Search on this thread, over HTTP) and, per round, the time
// of its slowest shard (the took_us each shard reply carries: its own time
// on the request); the overhead over the slowest shard is the first minus
// the sum of the second over the request's rounds: HTTP both ways, the
// JSON of request and replies, the merge. First pages take one round;
// next pages (search_after) one when the coordinator's cursor cache has the
// cursor (FanOutOptions::cursor_cache_entries), else two: both measured,
// side by side, on the same cursors (a second coordinator without the
// cache), alternating which goes first.
//
//   libsearch_fan_out_bench JSONL URLS [REQUESTS]
//
// JSONL (uncompressed) gives the requests' words (bench_requests.h). Prints
// a Markdown table. Figures: docs/design-notes.md, "Fan-out across
// functions".
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench_requests.h"
#include "libsearch/fan_out.h"
#include "libsearch/libsearch.h"

namespace {

using bench::Clock;
using bench::Pct;
using bench::Us;

// Adds up, per search, the slowest shard's own time of each round.
class Timed final : public libsearch::ShardTransport {
 public:
  explicit Timed(std::shared_ptr<libsearch::ShardTransport> inner) : inner_(std::move(inner)) {}
  size_t num_shards() const override { return inner_->num_shards(); }
  std::string Describe(size_t shard) const override { return inner_->Describe(shard); }
  std::vector<libsearch::Result<std::string>> Exchange(const std::vector<std::string>& requests,
                                                       Clock::time_point deadline) override {
    auto out = inner_->Exchange(requests, deadline);
    double slowest = 0;
    for (const auto& r : out) {
      if (!r.ok()) continue;
      const size_t at = r->find("\"took_us\":");
      if (at != std::string::npos) slowest = std::max(slowest, std::atof(r->c_str() + at + 10));
    }
    slowest_us += slowest;
    ++rounds;
    return out;
  }
  double slowest_us = 0;
  int rounds = 0;

 private:
  std::shared_ptr<libsearch::ShardTransport> inner_;
};

struct Series {
  std::vector<double> total, slowest, overhead;
  size_t rounds = 0;
  void Add(double t, double s, int r) {
    total.push_back(t);
    slowest.push_back(s);
    overhead.push_back(t - s);
    rounds += static_cast<size_t>(r);
  }
  void Print(const char* what) const {
    std::printf("| %s | %zu | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", what,
                total.size(), total.empty() ? 0.0 : static_cast<double>(rounds) / total.size(),
                Pct(total, 0.5), Pct(total, 0.9), Pct(slowest, 0.5), Pct(slowest, 0.9),
                Pct(overhead, 0.5), Pct(overhead, 0.9));
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s JSONL URLS [REQUESTS]\n", argv[0]);
    return 2;
  }
  const size_t n = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 1000;
  std::vector<std::string> urls;
  std::string url;
  for (const char c : std::string(argv[2]) + ",") {
    if (c == ',') {
      if (!url.empty()) urls.push_back(url);
      url.clear();
    } else {
      url += c;
    }
  }
  auto http = libsearch::HttpShardTransport(urls);
  if (!http.ok()) {
    std::fprintf(stderr, "%s\n", http.status().ToString().c_str());
    return 1;
  }
  auto timed = std::make_shared<Timed>(*http);
  auto index = libsearch::FanOutIndex::Open(timed);
  libsearch::FanOutOptions no_cache;
  no_cache.cursor_cache_entries = 0;
  auto uncached = libsearch::FanOutIndex::Open(timed, no_cache);
  if (!index.ok() || !uncached.ok()) {
    std::fprintf(stderr, "%s\n",
                 (index.ok() ? uncached.status() : index.status()).ToString().c_str());
    return 1;
  }
  const std::vector<libsearch::SearchRequest> reqs = bench::Requests(argv[1], n);
  // Warm up: connections open, pages cached, statistics walked once.
  for (size_t i = 0; i < std::min<size_t>(reqs.size(), 100); ++i) (void)(*index)->Search(reqs[i]);
  Series first, cached, located;
  size_t failed = 0;
  // One search, timed, into `series`.
  auto run = [&](const libsearch::Index& on, const libsearch::SearchRequest& r, Series* series) {
    timed->slowest_us = 0;
    timed->rounds = 0;
    const auto t0 = Clock::now();
    auto resp = on.Search(r);
    const double took = Us(t0, Clock::now());
    if (!resp.ok()) {
      ++failed;
      return std::string();
    }
    series->Add(took, timed->slowest_us, timed->rounds);
    return resp->next_cursor;
  };
  for (size_t i = 0; i < reqs.size(); ++i) {
    const std::string cursor = run(**index, reqs[i], &first);
    if (cursor.empty()) continue;
    libsearch::SearchRequest page = reqs[i];
    page.search_after = cursor;
    if (i % 2 == 0) {
      run(**index, page, &cached);
      run(**uncached, page, &located);
    } else {
      run(**uncached, page, &located);
      run(**index, page, &cached);
    }
  }
  std::printf("%zu shards: %s\n\n", urls.size(), argv[2]);
  std::printf(
      "| requests | n | rounds | coordinator p50 us | p90 | slowest shard p50 us | p90 | "
      "overhead p50 us | p90 |\n|---|---|---|---|---|---|---|---|---|\n");
  first.Print("first page");
  cached.Print("next page, cursor cached");
  located.Print("next page, cursor located (no cache)");
  if (failed > 0) std::printf("\n%zu requests failed\n", failed);
  return failed > 0 ? 1 : 0;
}
