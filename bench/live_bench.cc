// Live index benchmarks (issue 17 targets): a batch of 1,000 `_set` updates
// and of 1,000 whole-product upserts, each committed; Reopen after a
// 1,000-document commit; and search latency (p50, p99) over a base segment
// plus 10 small segments against the same documents compacted, measured
// side by side (queries alternate between the two).
//
// Corpus: LIBSEARCH_LIVE_CORPUS, a JSON Lines file of products with the
// bundled schema (default: the bundled 10k catalogue; the 818k one:
// bench/live/run.sh). Work directory: LIBSEARCH_LIVE_DIR (default
// /tmp/libsearch_live_bench), rebuilt at every run unless LIBSEARCH_LIVE_REUSE=1
// and it holds the three index directories of an earlier run (on 818k
// products the build takes minutes). The update benchmarks change a copy of
// `base` made afresh in each run (`updated`), so a reused directory stays
// the one built.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "libsearch/libsearch.h"

namespace libsearch {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

[[noreturn]] void Die(const Status& s, const char* what) {
  std::fprintf(stderr, "live_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

// The corpus, its ids, and the index directories built from it.
struct Setup {
  std::vector<std::string> lines;
  std::vector<std::string> ids;
  std::vector<std::string> names;  // Product names, for queries.
  std::string base;                // Base segment, as built.
  std::string updated;             // A copy of base the update benchmarks change.
  std::string segmented;           // Base + 10 small segments.
  std::string compacted;           // The same documents, one segment.
};

Setup& Get() {
  static Setup setup = [] {
    Setup s;
    const std::string src = LIBSEARCH_SOURCE_DIR;
    const std::string corpus =
        Env("LIBSEARCH_LIVE_CORPUS", src + "/examples/products/products.jsonl.gz");
    const std::string work = Env("LIBSEARCH_LIVE_DIR", "/tmp/libsearch_live_bench");
    s.base = work + "/base";
    s.segmented = work + "/segmented";
    s.compacted = work + "/compacted";
    s.updated = work + "/updated";
    const bool reuse = Env("LIBSEARCH_LIVE_REUSE", "") == "1" &&
                       std::filesystem::exists(s.base + "/MANIFEST") &&
                       std::filesystem::exists(s.segmented + "/MANIFEST") &&
                       std::filesystem::exists(s.compacted + "/MANIFEST");
    if (!reuse) {
      std::filesystem::remove_all(work);
      std::filesystem::create_directories(work);
    }
    auto schema = Schema::FromFile(src + "/examples/products/schema.json");
    if (!schema.ok()) Die(schema.status(), "schema");
    IndexWriterOptions no_merge;
    no_merge.merge_on_commit = false;
    if (!reuse) {
      auto w = IndexWriter::Create(s.base, *schema, no_merge);
      if (!w.ok()) Die(w.status(), "create");
      auto stats = (*w)->ApplyJsonl(corpus, {});
      if (!stats.ok()) Die(stats.status(), "corpus");
      auto c = (*w)->Commit();
      if (!c.ok()) Die(c.status(), "commit");
    }
    if (!reuse) {
      std::filesystem::copy(s.base, s.segmented, std::filesystem::copy_options::recursive);
      std::filesystem::remove(s.segmented + "/LOCK");
    }
    // The corpus lines, for upserts and ids (read back from the index).
    auto index = Index::Open(s.base);
    if (!index.ok()) Die(index.status(), "open");
    const uint64_t n = (*index)->num_docs();
    for (uint32_t d = 0; d < n; ++d) {
      auto doc = (*index)->StoredDocument(d);
      if (!doc.ok()) Die(doc.status(), "document");
      const Json j = Json::parse(*doc);
      s.lines.push_back(*doc);
      s.ids.push_back(j[(*index)->schema().id_field()].get<std::string>());
      if (j.contains("product_name")) s.names.push_back(j["product_name"].get<std::string>());
    }
    if (reuse) return s;
    // Ten small commits of 100 changed products each.
    std::mt19937 rng(10);
    auto w = IndexWriter::Open(s.segmented, no_merge);
    if (!w.ok()) Die(w.status(), "open writer");
    for (int c = 0; c < 10; ++c) {
      for (int i = 0; i < 100; ++i) {
        Json doc = Json::parse(s.lines[rng() % s.lines.size()]);
        doc["sugars_100g"] = static_cast<double>(rng() % 3000) / 100.0;
        Status st = (*w)->Upsert(doc.dump());
        if (!st.ok()) Die(st, "upsert");
      }
      auto info = (*w)->Commit();
      if (!info.ok()) Die(info.status(), "commit");
    }
    w->reset();
    std::filesystem::copy(s.segmented, s.compacted, std::filesystem::copy_options::recursive);
    std::filesystem::remove(s.compacted + "/LOCK");
    auto cw = IndexWriter::Open(s.compacted, no_merge);
    if (!cw.ok()) Die(cw.status(), "open compacted");
    auto compacted = (*cw)->Compact();
    if (!compacted.ok()) Die(compacted.status(), "compact");
    return s;
  }();
  return setup;
}

// The update benchmarks' index: base, copied once per run.
const std::string& Updated() {
  static const std::string& dir = []() -> const std::string& {
    Setup& s = Get();
    std::filesystem::remove_all(s.updated);
    std::filesystem::copy(s.base, s.updated, std::filesystem::copy_options::recursive);
    std::filesystem::remove(s.updated + "/LOCK");
    return s.updated;
  }();
  return dir;
}

// 1,000 `_set` updates of a numeric field, then Commit(), per iteration.
void BM_SetBatchCommit(benchmark::State& state) {
  Setup& s = Get();
  auto w = IndexWriter::Open(Updated());
  if (!w.ok()) Die(w.status(), "open writer");
  std::mt19937 rng(1);
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      const Json fields = {{"sugars_100g", static_cast<double>(rng() % 3000) / 100.0}};
      Status st = (*w)->Set(s.ids[rng() % s.ids.size()], fields.dump());
      if (!st.ok()) Die(st, "set");
    }
    auto info = (*w)->Commit();
    if (!info.ok()) Die(info.status(), "commit");
  }
}
BENCHMARK(BM_SetBatchCommit)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

// 1,000 whole-product upserts (changed copies of existing products), then Commit().
void BM_UpsertBatchCommit(benchmark::State& state) {
  Setup& s = Get();
  auto w = IndexWriter::Open(Updated());
  if (!w.ok()) Die(w.status(), "open writer");
  std::mt19937 rng(2);
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      Json doc = Json::parse(s.lines[rng() % s.lines.size()]);
      doc["product_name"] = doc.value("product_name", std::string()) + " new recipe";
      Status st = (*w)->Upsert(doc.dump());
      if (!st.ok()) Die(st, "upsert");
    }
    auto info = (*w)->Commit();
    if (!info.ok()) Die(info.status(), "commit");
  }
}
BENCHMARK(BM_UpsertBatchCommit)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

// Reopen() of an open index after a commit of 1,000 upserts; only the
// Reopen() call is timed (manual time: the writer's open and commit between
// the calls are not).
void BM_ReopenAfterCommit(benchmark::State& state) {
  Setup& s = Get();
  auto index = Index::Open(Updated());
  if (!index.ok()) Die(index.status(), "open");
  auto w = IndexWriter::Open(Updated());
  if (!w.ok()) Die(w.status(), "open writer");
  std::mt19937 rng(3);
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      Status st = (*w)->Upsert(s.lines[rng() % s.lines.size()]);
      if (!st.ok()) Die(st, "upsert");
    }
    auto info = (*w)->Commit();
    if (!info.ok()) Die(info.status(), "commit");
    const auto t0 = Clock::now();
    auto next = (*index)->Reopen();
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - t0).count());
    if (!next.ok()) Die(next.status(), "reopen");
    *index = std::move(*next);
  }
}
BENCHMARK(BM_ReopenAfterCommit)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(5);

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Product queries (two words of a name, AND), top 10, on the segmented and
// the compacted index alternately (each first on every other query);
// counters: p50/p99 of each, in us, and their ratios. arg: 0 plain, 1 with
// typos and search-as-you-type.
void BM_SearchSegmentedVsCompacted(benchmark::State& state) {
  Setup& s = Get();
  auto segmented = Index::Open(s.segmented);
  auto compacted = Index::Open(s.compacted);
  if (!segmented.ok() || !compacted.ok()) std::abort();
  std::mt19937 rng(4);
  std::vector<SearchRequest> requests;
  for (int q = 0; q < 500; ++q) {
    const std::string& name = s.names[rng() % s.names.size()];
    SearchRequest req;
    std::string word;
    int words = 0;
    for (char c : name + " ") {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else {
        if (word.size() >= 3 && words < 2) req.query += (words++ ? " " : "") + word;
        word.clear();
      }
    }
    req.include_docs = false;
    req.typos = req.prefix_last = state.range(0) == 1;
    requests.push_back(req);
  }
  std::vector<double> seg_us, comp_us;
  for (auto _ : state) {
    for (size_t q = 0; q < requests.size(); ++q) {
      const SearchRequest& req = requests[q];
      // Which index runs a query first alternates: the second run of the
      // same query is some 5% faster (code and analysers warm), which
      // always favouring one index would add to the ratio.
      for (int order = 0; order < 2; ++order) {
        const int which = order ^ static_cast<int>(q % 2);
        const Index& index = which == 0 ? **segmented : **compacted;
        const auto t0 = Clock::now();
        auto r = index.Search(req);
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        if (!r.ok()) Die(r.status(), "search");
        (which == 0 ? seg_us : comp_us).push_back(us);
      }
    }
  }
  const double p50s = Percentile(seg_us, 0.5), p99s = Percentile(seg_us, 0.99);
  const double p50c = Percentile(comp_us, 0.5), p99c = Percentile(comp_us, 0.99);
  state.counters["segmented_p50_us"] = p50s;
  state.counters["segmented_p99_us"] = p99s;
  state.counters["compacted_p50_us"] = p50c;
  state.counters["compacted_p99_us"] = p99c;
  state.counters["p50_ratio"] = p50s / p50c;
  state.counters["p99_ratio"] = p99s / p99c;
  state.counters["segments"] = static_cast<double>((*segmented)->Info()->segments.size());
}
BENCHMARK(BM_SearchSegmentedVsCompacted)
    ->ArgName("typos_prefix")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace
}  // namespace libsearch

BENCHMARK_MAIN();
