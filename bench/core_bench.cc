// Core micro-benchmarks: block decoding and end-to-end queries on the bundled
// catalogue. Compare numbers only within one run on one machine.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "libsearch/libsearch.h"
#include "util/bitpack.h"

namespace libsearch {
namespace {

// Unpack + delta decode of one 128-doc block: arg 0 = bit width, arg 1 =
// kernel (0 scalar reference, 1 SIMD), so the ratio comes from one run.
void BM_Decode_UnpackDelta(benchmark::State& state) {
  const uint32_t width = static_cast<uint32_t>(state.range(0));
  const internal::BitpackKernels& k =
      state.range(1) ? internal::SimdKernels() : internal::ScalarKernels();
  state.SetLabel(k.name);
  std::mt19937 rng(1);
  uint32_t in[internal::kBlockSize], out[internal::kBlockSize];
  const uint64_t limit = width == 32 ? 0x100000000ull : (1ull << width);
  for (uint32_t& v : in) v = static_cast<uint32_t>(rng() % limit);
  std::string packed;
  internal::PackBlock(in, width, &packed);
  for (auto _ : state) {
    k.unpack_delta(packed.data(), width, 0, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * internal::kBlockSize));
}
BENCHMARK(BM_Decode_UnpackDelta)
    ->ArgNames({"width", "simd"})
    ->ArgsProduct({{1, 4, 8, 12, 20, 32}, {0, 1}});

// The bundled catalogue, indexed once per process.
const Index& Catalogue() {
  static std::unique_ptr<Index> index = [] {
    const std::string src = LIBSEARCH_SOURCE_DIR;
    const std::string path = "/tmp/libsearch_bench_products.idx";
    auto schema = Schema::FromFile(src + "/examples/products/schema.json");
    auto builder = IndexBuilder::Create(*schema);
    if (!(*builder)->AddJsonl(src + "/examples/products/products.jsonl.gz", {}).ok() ||
        !(*builder)->Build(path).ok()) {
      std::abort();
    }
    return std::move(*Index::Open(path));
  }();
  return *index;
}

// range(0): 0 = TOP_10 with pruning (no count), 1 = TOP_10 + exact COUNT
// (exhaustive), 2 = COUNT only (k = 0, no scoring). range(1): 0 = words over
// several fields by BM25F (the default), 1 = a BM25 per field, summed.
void RunQuery(benchmark::State& state, const char* query, Operator op, bool docs) {
  const Index& index = Catalogue();
  SearchRequest req;
  req.query = query;
  req.default_operator = op;
  req.include_docs = docs;
  req.field_scoring = state.range(1) == 0 ? FieldScoring::kBm25f : FieldScoring::kPerField;
  const int64_t mode = state.range(0);
  state.SetLabel(mode == 0 ? "top10" : mode == 1 ? "top10+count" : "count");
  req.total_hits_threshold = mode == 0 ? 0 : SearchRequest::kExactTotal;
  if (mode == 2) req.k = 0;
  uint64_t matched = 0;
  for (auto _ : state) {
    auto resp = index.Search(req);
    matched = resp->total;
    benchmark::DoNotOptimize(resp);
  }
  state.counters["matches"] = static_cast<double>(matched);
}

void BM_Search_TermTop10(benchmark::State& s) { RunQuery(s, "sugar", Operator::kAnd, false); }
void BM_Search_AndTop10(benchmark::State& s) {
  RunQuery(s, "peanut butter", Operator::kAnd, false);
}
void BM_Search_OrTop10(benchmark::State& s) {
  RunQuery(s, "salt sugar water", Operator::kOr, false);
}
// One field: a flat union of terms (the bulk MaxScore path); the query above
// is a union of per-field unions (the doc-at-a-time MaxScore path).
void BM_Search_OrOneFieldTop10(benchmark::State& s) {
  RunQuery(s, "ingredients:salt ingredients:sugar ingredients:water ingredients:oil", Operator::kOr,
           false);
}
void BM_Search_PhraseTop10(benchmark::State& s) {
  RunQuery(s, "\"wheat flour\"", Operator::kAnd, false);
}
void BM_Search_AndTop10WithDocs(benchmark::State& s) {
  RunQuery(s, "peanut butter", Operator::kAnd, true);
}
// Search-as-you-type and typo tolerance (top 10, pruned).
// range(0): as RunQuery's range(1).
void RunExpanded(benchmark::State& state, const char* query, bool prefix, bool typos) {
  const Index& index = Catalogue();
  SearchRequest req;
  req.field_scoring = state.range(0) == 0 ? FieldScoring::kBm25f : FieldScoring::kPerField;
  req.query = query;
  req.prefix_last = prefix;
  req.typos = typos;
  req.include_docs = false;
  req.total_hits_threshold = 0;
  for (auto _ : state) benchmark::DoNotOptimize(index.Search(req));
}
void BM_Search_Prefix2Letters(benchmark::State& s) { RunExpanded(s, "ch", true, false); }
void BM_Search_PrefixWord(benchmark::State& s) { RunExpanded(s, "peanut butt", true, false); }
void BM_Search_Typo1(benchmark::State& s) { RunExpanded(s, "peanutt", false, true); }
void BM_Search_Typo2(benchmark::State& s) { RunExpanded(s, "strawberies chocolat", false, true); }
BENCHMARK(BM_Search_Prefix2Letters)->ArgName("per_field")->DenseRange(0, 1);
BENCHMARK(BM_Search_PrefixWord)->ArgName("per_field")->DenseRange(0, 1);
BENCHMARK(BM_Search_Typo1)->ArgName("per_field")->DenseRange(0, 1);
BENCHMARK(BM_Search_Typo2)->ArgName("per_field")->DenseRange(0, 1);

BENCHMARK(BM_Search_TermTop10)->ArgNames({"mode", "per_field"})->ArgsProduct({{0, 1, 2}, {0, 1}});
BENCHMARK(BM_Search_AndTop10)->ArgNames({"mode", "per_field"})->ArgsProduct({{0, 1, 2}, {0, 1}});
BENCHMARK(BM_Search_OrTop10)->ArgNames({"mode", "per_field"})->ArgsProduct({{0, 1, 2}, {0, 1}});
BENCHMARK(BM_Search_OrOneFieldTop10)
    ->ArgNames({"mode", "per_field"})
    ->ArgsProduct({{0, 1, 2}, {0, 1}});
BENCHMARK(BM_Search_PhraseTop10)->ArgNames({"mode", "per_field"})->ArgsProduct({{0, 1, 2}, {0, 1}});
BENCHMARK(BM_Search_AndTop10WithDocs)->ArgNames({"mode", "per_field"})->Args({0, 0})->Args({0, 1});

}  // namespace
}  // namespace libsearch

BENCHMARK_MAIN();
