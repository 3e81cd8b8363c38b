// Product-search benchmark cases (issue: filters, facets, sort, typos,
// search-as-you-type), run on a catalogue index given by
// LIBSEARCH_BENCH_INDEX (default: the bundled 10k sample, built once). The
// full 818k catalogue: bench/product/run.sh. Latency percentiles over a fixed
// list of queries are reported as counters (p50_us, p99_us).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <string>
#include <vector>

#include "libsearch/libsearch.h"

namespace libsearch {
namespace {

// The catalogue index path (built once if LIBSEARCH_BENCH_INDEX is unset).
const std::string& CataloguePath() {
  static const std::string path = [] {
    std::string p =
        std::getenv("LIBSEARCH_BENCH_INDEX") ? std::getenv("LIBSEARCH_BENCH_INDEX") : "";
    if (p.empty()) {
      const std::string src = LIBSEARCH_SOURCE_DIR;
      p = "/tmp/libsearch_product_bench.idx";
      auto schema = Schema::FromFile(src + "/examples/products/schema.json");
      auto builder = IndexBuilder::Create(*schema);
      if (!(*builder)->AddJsonl(src + "/examples/products/products.jsonl.gz", {}).ok() ||
          !(*builder)->Build(p).ok()) {
        std::abort();
      }
    }
    return p;
  }();
  return path;
}

// The catalogue opened with default options (filter cache on), or with the
// filter cache off.
const Index& Catalogue(bool filter_cache = true) {
  auto open = [](bool cache) {
    OpenOptions o;
    if (!cache) o.filter_cache_bytes = 0;
    auto opened = Index::Open(CataloguePath(), o);
    if (!opened.ok()) std::abort();
    return std::move(*opened);
  };
  static std::unique_ptr<Index> with_cache = open(true);
  static std::unique_ptr<Index> without_cache = open(false);
  return filter_cache ? *with_cache : *without_cache;
}

double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Runs the requests round-robin; reports latency percentiles: wall clock
// (p50_us, p99_us) and this thread's CPU time (cpu_p50_us, cpu_p99_us),
// which a shared machine's other load does not inflate.
void RunRequests(benchmark::State& state, std::vector<SearchRequest> requests,
                 bool filter_cache = true) {
  // LIBSEARCH_BENCH_ONLY=QUERY: only the requests with this query text, to
  // profile one of them.
  if (const char* only = std::getenv("LIBSEARCH_BENCH_ONLY"); only != nullptr) {
    std::erase_if(requests, [&](const SearchRequest& r) { return r.query != only; });
    if (requests.empty()) {
      state.SkipWithError("no request has the query LIBSEARCH_BENCH_ONLY names");
      return;
    }
  }
  const Index& index = Catalogue(filter_cache);
  std::vector<double> us, cpu;
  size_t i = 0;
  for (auto _ : state) {
    const double c0 = ThreadCpuMicros();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = index.Search(requests[i++ % requests.size()]);
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = ThreadCpuMicros();
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    benchmark::DoNotOptimize(r);
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    cpu.push_back(c1 - c0);
  }
  auto pct = [](std::vector<double>& v, size_t p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, v.size() * p / 100)];
  };
  // LIBSEARCH_BENCH_PER_QUERY=1: each request's median CPU time on stderr,
  // to find the slow ones behind a p99.
  if (std::getenv("LIBSEARCH_BENCH_PER_QUERY") != nullptr && !cpu.empty()) {
    for (size_t q = 0; q < requests.size(); ++q) {
      std::vector<double> mine;
      for (size_t j = q; j < cpu.size(); j += requests.size()) mine.push_back(cpu[j]);
      if (!mine.empty()) {
        std::fprintf(stderr, "  %-28s cpu p50 %9.1f us\n", requests[q].query.c_str(),
                     pct(mine, 50));
      }
    }
  }
  if (!us.empty()) {
    state.counters["p50_us"] = pct(us, 50);
    state.counters["p99_us"] = pct(us, 99);
    state.counters["cpu_p50_us"] = pct(cpu, 50);
    state.counters["cpu_p99_us"] = pct(cpu, 99);
  }
}

// One typo, a numeric range filter, two facets and a sort. The filter is the
// same in every request, so from the second on it comes from the filter
// cache; the _NoFilterCache variant evaluates it every time.
// The refinements of a shopper's page: a range filter, two facets, a sort.
void Refine(SearchRequest* r) {
  r->filters = {"sugars_100g:[0 TO 30]"};
  r->facets = {{"country", 10, {}, false}, {"nutrition_band", 10, {}, false}};
  r->sort = {{"sugars_100g", false}};
}

std::vector<SearchRequest> TypoRangeFacetsSortRequests() {
  const char* words[] = {"chocolte", "yoghourt", "biscuts", "cheesse", "tomatoe", "strawbery",
                         "vanila",   "almnds",   "peanutt", "cerael",  "orgnic",  "juicee"};
  std::vector<SearchRequest> reqs;
  for (const char* w : words) {
    SearchRequest r;
    r.query = w;
    r.typos = true;
    Refine(&r);
    r.include_docs = false;
    reqs.push_back(r);
  }
  return reqs;
}
void BM_Product_TypoRangeFacetsSort(benchmark::State& state) {
  RunRequests(state, TypoRangeFacetsSortRequests());
}
BENCHMARK(BM_Product_TypoRangeFacetsSort)->Iterations(600);
void BM_Product_TypoRangeFacetsSort_NoFilterCache(benchmark::State& state) {
  RunRequests(state, TypoRangeFacetsSortRequests(), /*filter_cache=*/false);
}
BENCHMARK(BM_Product_TypoRangeFacetsSort_NoFilterCache)->Iterations(600);

// Typo tolerance in relevance order (typo tiers), on right and wrong
// spellings, as an app that always turns typos on sends them.
// Relevance-ordered requests for `queries`, no documents fetched.
std::vector<SearchRequest> RelevanceRequests(std::initializer_list<const char*> queries,
                                             bool typos) {
  std::vector<SearchRequest> reqs;
  for (const char* q : queries) {
    SearchRequest r;
    r.query = q;
    r.typos = typos;
    r.include_docs = false;
    reqs.push_back(r);
  }
  return reqs;
}

void BM_Product_TyposRelevance(benchmark::State& state) {
  RunRequests(state,
              RelevanceRequests({"chocolate", "cheese", "milk", "peanut butter", "organic juice",
                                 "chocolte", "strawbery", "yoghourt", "biscuts", "vanila"},
                                true));
}
BENCHMARK(BM_Product_TyposRelevance)->Iterations(300);

// Issue 16's product queries with typos on, as typed (right and wrong), and
// queries that find nothing and ask for "did you mean".
void BM_Product_TyposShopper(benchmark::State& state) {
  RunRequests(state,
              RelevanceRequests({"choclate chip", "chocolate", "strawbery jam", "olive oil",
                                 "peanutt buter", "choclate", "snacks", "organic peanut butter"},
                                true));
}
BENCHMARK(BM_Product_TyposShopper)->Iterations(400);
void BM_Product_ZeroHitsSuggest(benchmark::State& state) {
  RunRequests(state, RelevanceRequests({"laptop", "kindle", "soundbar", "chocolatte chipps",
                                        "peanutt buterr", "xqzt", "samsung tv"},
                                       false));
}
BENCHMARK(BM_Product_ZeroHitsSuggest)->Iterations(350);

// Search-as-you-type: the last word is a prefix.
void PrefixCase(benchmark::State& state, std::initializer_list<const char*> prefixes) {
  std::vector<SearchRequest> reqs;
  for (const char* p : prefixes) {
    SearchRequest r;
    r.query = p;
    r.prefix_last = true;
    r.include_docs = false;
    reqs.push_back(r);
  }
  RunRequests(state, reqs);
}
// Two letters (the target case); one letter and three (the most
// letters the bundled schema's prefix index covers); four (expansions).
void BM_Product_Prefix2Letters(benchmark::State& state) {
  PrefixCase(state, {"ch", "ap", "mi", "or", "ba", "to", "su", "co", "pe", "gr"});
}
BENCHMARK(BM_Product_Prefix2Letters)->Iterations(600);
void BM_Product_Prefix1Letter(benchmark::State& state) {
  PrefixCase(state, {"c", "a", "m", "o", "b", "t", "s", "p", "g", "w"});
}
BENCHMARK(BM_Product_Prefix1Letter)->Iterations(300);
void BM_Product_Prefix3Letters(benchmark::State& state) {
  PrefixCase(state, {"cho", "app", "mil", "ora", "ban", "tom", "sug", "coc", "pea", "gre"});
}
BENCHMARK(BM_Product_Prefix3Letters)->Iterations(300);
void BM_Product_Prefix4Letters(benchmark::State& state) {
  PrefixCase(state,
             {"choc", "appl", "milk", "oran", "bana", "toma", "suga", "coco", "pean", "gree"});
}
BENCHMARK(BM_Product_Prefix4Letters)->Iterations(300);

// Issue 16's shopper mix, typos on, as an app sends it. Each category runs
// plain (arg 0) and with a range filter, two facets and a sort (arg 1);
// the targets are p99 <= 5 ms and p50 <= 1 ms per category, one thread.
std::vector<SearchRequest> MixRequests(std::initializer_list<const char*> queries, bool prefix,
                                       bool refined) {
  std::vector<SearchRequest> reqs = RelevanceRequests(queries, /*typos=*/true);
  for (SearchRequest& r : reqs) {
    r.prefix_last = prefix;
    if (refined) Refine(&r);
  }
  return reqs;
}
// Popular product-name words.
void BM_Mix_PopularWords(benchmark::State& state) {
  RunRequests(state,
              MixRequests({"chocolate", "cheese", "milk", "yogurt",  "bread",   "juice",  "coffee",
                           "tea",       "pasta",  "rice", "chips",   "cookies", "cereal", "butter",
                           "water",     "sauce",  "soup", "chicken", "salad",   "cream"},
                          false, state.range(0) != 0));
}
BENCHMARK(BM_Mix_PopularWords)->ArgName("refined")->DenseRange(0, 1)->Iterations(600);
// Two and three words.
void BM_Mix_MultiWord(benchmark::State& state) {
  RunRequests(state, MixRequests({"peanut butter", "olive oil", "orange juice", "dark chocolate",
                                  "greek yogurt", "whole wheat bread", "green tea", "tomato sauce",
                                  "vanilla ice cream", "chicken noodle soup", "almond milk",
                                  "organic peanut butter"},
                                 false, state.range(0) != 0));
}
BENCHMARK(BM_Mix_MultiWord)->ArgName("refined")->DenseRange(0, 1)->Iterations(600);
// Misspelled variants of the same kind of queries.
void BM_Mix_Misspelled(benchmark::State& state) {
  RunRequests(state, MixRequests({"chocolte", "choclate chip", "peanutt buter", "strawbery jam",
                                  "yoghourt", "biscuts", "cheesse", "tomatoe sauce", "vanila",
                                  "almnds", "cerael", "orgnic juice"},
                                 false, state.range(0) != 0));
}
BENCHMARK(BM_Mix_Misspelled)->ArgName("refined")->DenseRange(0, 1)->Iterations(600);
// Search-as-you-type: every prefix of 1-6 letters of a few words, some
// after a complete first word.
void BM_Mix_Prefixes(benchmark::State& state) {
  RunRequests(state, MixRequests({"c",           "ch",     "cho",      "choc",      "choco",
                                  "chocol",      "p",      "pe",       "pea",       "pean",
                                  "peanu",       "peanut", "peanut b", "peanut bu", "peanut but",
                                  "peanut butt", "s",      "st",       "str",       "stra",
                                  "straw",       "strawb", "olive o",  "olive oi"},
                                 true, state.range(0) != 0));
}
BENCHMARK(BM_Mix_Prefixes)->ArgName("refined")->DenseRange(0, 1)->Iterations(720);
// Queries that find nothing: the time includes "did you mean".
void BM_Mix_ZeroHits(benchmark::State& state) {
  RunRequests(state, MixRequests({"laptop", "kindle", "soundbar", "samsung tv", "xqzt", "mattress",
                                  "guitar strings"},
                                 false, state.range(0) != 0));
}
BENCHMARK(BM_Mix_ZeroHits)->ArgName("refined")->DenseRange(0, 1)->Iterations(350);

}  // namespace
}  // namespace libsearch

BENCHMARK_MAIN();
