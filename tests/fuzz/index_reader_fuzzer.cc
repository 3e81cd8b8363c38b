// The index reader over damaged files: the input is an index file, re-sealed
// (testing::ResealIndex: sizes and checksums made to agree) so that Open
// accepts whatever its structural checks accept and the decoders behind
// them see the damage. Then info, searches (words, phrases, prefixes, typos,
// suggestions, filters, facets, sorts, cursors, highlights), stored documents
// and Verify. Every failure must be a Status, never a crash or a hang, and
// every response must be valid JSON.
//
// Seeds (tests/fuzz/corpus/index_reader/): the small and the medium
// catalogue of fuzz_util.h, written by
//   LIBSEARCH_FUZZ_WRITE_SEEDS=tests/fuzz/corpus/index_reader
//   build-asan/tests/fuzz/index_reader_fuzzer -runs=0
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "libsearch/json.h"
#include "testing/index_reseal.h"

namespace libsearch::fuzz {
namespace {

std::vector<SearchRequest> Requests() {
  std::vector<SearchRequest> out;
  auto add = [&out](std::string query) -> SearchRequest& {
    out.emplace_back();
    out.back().query = std::move(query);
    return out.back();
  };
  add("peanut butter").highlight.fields = {"title", "body"};
  add("\"dark chocolate\" -milk").highlight.fields = {"title"};
  SearchRequest& typos = add("choclate peanutt");
  typos.typos = true;
  typos.highlight.fields = {"title", "body"};
  add("ch").prefix_last = true;
  add("cocoa butt").prefix_last = true;
  add("xyzzy chocolat");  // Nothing: a suggestion.
  SearchRequest& faceted = add("chocolate OR common");
  faceted.default_operator = Operator::kOr;
  faceted.filters = {"price:<3", "brand:(Acme OR b1 OR b2)"};
  faceted.facets = {{.field = "brand", .size = 3},
                    {.field = "tags"},
                    {.field = "price", .ranges = {{.label = "", .to = 2}, {.from = 2}}}};
  faceted.facets[0].disjunctive = true;
  SearchRequest& sorted = add("common -fifth");
  sorted.sort = {{.field = "price", .descending = true}, {.field = "brand"}, {.field = "_score"}};
  sorted.k = 4;
  sorted.offset = 1;
  SearchRequest& pruned = add("common even fifth");
  pruned.default_operator = Operator::kOr;
  pruned.total_hits_threshold = 2;
  pruned.k = 3;
  SearchRequest& conj = add("common even title:fifth");
  conj.total_hits_threshold = 1;
  SearchRequest& count = add("even OR qty:[0 TO 5] OR tags:t9");
  count.k = 0;
  SearchRequest& all = add("");
  all.sort = {{.field = "qty"}};
  all.filters = {"qty:>=0"};
  add("yoghurt usb c");  // Synonyms.
  return out;
}

void Check(const Index& index) {
  const auto info = index.Info();  // (Reads the numeric columns.)
  (void)info;
  for (const SearchRequest& req : Requests()) {
    const Result<SearchResponse> r = index.Search(req);
    if (!r.ok()) continue;
    FUZZ_CHECK(r->hits.size() <= r->total || !r->total_exact, "more hits than the total");
    const std::string json = SearchResponseToJson(*r, req);
    FUZZ_CHECK(IsJson(json), "invalid response JSON: " + json);
    if (!r->next_cursor.empty()) {
      SearchRequest next = req;
      next.offset = 0;
      next.search_after = r->next_cursor;
      (void)index.Search(next);
    }
  }
  for (uint32_t doc = 0; doc < std::min<uint64_t>(index.num_docs(), 3); ++doc) {
    const Result<std::string> stored = index.StoredDocument(doc);
    if (stored.ok()) FUZZ_CHECK(IsJson(*stored), "invalid stored JSON: " + *stored);
  }
  (void)index.Verify();
}

void WriteSeeds(const std::string& dir) {
  IndexBuilderOptions small;
  small.synonyms = SmallSynonyms();
  small.keep_source = true;
  BuildOrDie(SmallCatalogue(), small, dir + "/small.idx");
  BuildOrDie(MediumCatalogue(), {}, dir + "/medium.idx", kMediumSchemaJson);
  std::fprintf(stderr, "wrote %s/small.idx and %s/medium.idx\n", dir.c_str(), dir.c_str());
}

}  // namespace
}  // namespace libsearch::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* dir = std::getenv("LIBSEARCH_FUZZ_WRITE_SEEDS")) {
    libsearch::fuzz::WriteSeeds(dir);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using libsearch::fuzz::ScratchDir;
  std::string file(reinterpret_cast<const char*>(data), size);
  libsearch::testing::ResealIndex(&file);
  const std::string path = ScratchDir() + "/input.idx";
  libsearch::fuzz::WriteFileOrDie(path, file);
  auto index = libsearch::Index::Open(path);
  if (index.ok()) libsearch::fuzz::Check(**index);
  return 0;
}
