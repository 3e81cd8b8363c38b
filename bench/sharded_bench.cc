// Sharded search in process (issue 23): per request, the latency of one
// index, of the sharded index (fan-out on threads, and on the calling
// thread only), and of its slowest shard searched alone; the fan-out
// overhead is sharded minus slowest shard. Also the build of the shards
// and the first search after open (statistics not yet cached).
//
//   libsearch_sharded_bench JSONL SCHEMA WORKDIR [SHARDS...]
// (a single index WORKDIR/one.idx is built unless present.) Figures:
// docs/design-notes.md, "Sharded indexes".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench_requests.h"
#include "libsearch/libsearch.h"

namespace {

using bench::Clock;
using bench::Pct;
using bench::Requests;
using bench::Us;

std::vector<double> Run(const libsearch::Index& index,
                        const std::vector<libsearch::SearchRequest>& reqs) {
  std::vector<double> us;
  for (const auto& r : reqs) {
    const auto t0 = Clock::now();
    auto resp = index.Search(r);
    us.push_back(Us(t0, Clock::now()));
    if (!resp.ok()) std::fprintf(stderr, "search: %s\n", resp.status().ToString().c_str());
  }
  return us;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s JSONL SCHEMA WORKDIR [SHARDS...]\n", argv[0]);
    return 2;
  }
  const std::string jsonl = argv[1], work = argv[3];
  std::vector<uint32_t> counts;
  for (int i = 4; i < argc; ++i) counts.push_back(static_cast<uint32_t>(std::stoul(argv[i])));
  if (counts.empty()) counts = {1, 3, 7};
  auto schema = libsearch::Schema::FromFile(argv[2]);
  if (!schema.ok()) return 1;
  std::filesystem::create_directories(work);
  const std::string one_path = work + "/one.idx";
  if (!std::filesystem::exists(one_path)) {
    const auto t0 = Clock::now();
    auto b = libsearch::IndexBuilder::Create(*schema);
    if (!b.ok() || !(*b)->AddJsonl(jsonl, {}).ok() || !(*b)->Build(one_path).ok()) return 1;
    std::printf("build one index: %.1f s\n", Us(t0, Clock::now()) / 1e6);
  }
  auto one = libsearch::Index::Open(one_path);
  if (!one.ok()) return 1;
  const auto reqs = Requests(jsonl, 1000);
  Run(**one, reqs);  // Warm the page cache.
  const std::vector<double> one_us = Run(**one, reqs);
  std::printf("one index (%llu docs): p50 %.0f us, p90 %.0f us\n",
              static_cast<unsigned long long>((*one)->num_docs()), Pct(one_us, 0.5),
              Pct(one_us, 0.9));
  for (uint32_t n : counts) {
    const std::string dir = work + "/shards-" + std::to_string(n);
    if (!std::filesystem::exists(dir)) {
      const auto t0 = Clock::now();
      auto w = libsearch::ShardedWriter::Create(dir, *schema, n);
      if (!w.ok() || !(*w)->ApplyJsonl(jsonl, {}).ok() || !(*w)->Commit().ok()) return 1;
      std::printf("build %u shards: %.1f s\n", n, Us(t0, Clock::now()) / 1e6);
    }
    const auto o0 = Clock::now();
    auto fan = libsearch::ShardedIndex::Open(dir);
    if (!fan.ok()) return 1;
    const auto o1 = Clock::now();
    auto first = (*fan)->Search(reqs[0]);
    const auto o2 = Clock::now();
    auto second = (*fan)->Search(reqs[0]);
    const auto o3 = Clock::now();
    std::printf("%u shards: open %.0f us, first search %.0f us, same search again %.0f us\n", n,
                Us(o0, o1), Us(o1, o2), Us(o2, o3));
    libsearch::ShardedIndexOptions serial;
    serial.threads = 1;
    auto inline_index = libsearch::ShardedIndex::Open(dir, {}, serial);
    if (!inline_index.ok()) return 1;
    std::vector<std::unique_ptr<libsearch::Index>> alone;
    for (uint32_t s = 0; s < n; ++s) {
      char name[32];
      std::snprintf(name, sizeof(name), "/shard-%03u", s);
      auto shard = libsearch::Index::Open(dir + name);
      if (!shard.ok()) return 1;
      alone.push_back(std::move(*shard));
    }
    Run(**fan, reqs);
    Run(**inline_index, reqs);
    for (auto& s : alone) Run(*s, reqs);
    const std::vector<double> fan_us = Run(**fan, reqs);
    const std::vector<double> inline_us = Run(**inline_index, reqs);
    std::vector<double> slowest(reqs.size(), 0), overhead(reqs.size());
    for (auto& s : alone) {
      const std::vector<double> us = Run(*s, reqs);
      for (size_t i = 0; i < us.size(); ++i) slowest[i] = std::max(slowest[i], us[i]);
    }
    for (size_t i = 0; i < reqs.size(); ++i) overhead[i] = fan_us[i] - slowest[i];
    std::printf(
        "%u shards: fan-out p50 %.0f us p90 %.0f us; calling thread only p50 %.0f us; "
        "slowest shard alone p50 %.0f us; overhead over it p50 %.0f us p90 %.0f us\n",
        n, Pct(fan_us, 0.5), Pct(fan_us, 0.9), Pct(inline_us, 0.5), Pct(slowest, 0.5),
        Pct(overhead, 0.5), Pct(overhead, 0.9));
  }
  return 0;
}
