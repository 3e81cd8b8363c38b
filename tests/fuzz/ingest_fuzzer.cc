// Document ingest: the input is JSON Lines for the small schema of
// fuzz_util.h, each line given to IndexBuilder::AddJson, then the index is
// built and opened. Checked: a bad line is a clean InvalidArgument that adds
// nothing; the built file verifies, holds exactly the documents accepted,
// each stored document is a JSON object, and a search of all finds them all.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "fuzz_util.h"

namespace libsearch::fuzz {
namespace {

void Run(std::string_view input) {
  static const Schema* schema = new Schema(SmallSchema());
  IndexBuilderOptions options;
  options.keep_source = true;
  options.synonyms = SmallSynonyms();
  auto builder = IndexBuilder::Create(*schema, options);
  FUZZ_CHECK(builder.ok(), builder.status().ToString());
  uint64_t added = 0;
  while (!input.empty()) {
    const size_t eol = input.find('\n');
    const std::string_view line = input.substr(0, eol);
    input = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
    const Status s = (*builder)->AddJson(line);
    if (s.ok()) {
      ++added;
    } else {
      FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument, s.ToString());
    }
  }
  if (added == 0) return;
  const std::string path = ScratchDir() + "/ingest.idx";
  std::filesystem::remove(path);
  const Status built = (*builder)->Build(path);
  FUZZ_CHECK(built.ok(), built.ToString());

  auto index = Index::Open(path);
  FUZZ_CHECK(index.ok(), index.status().ToString());
  const Status verified = (*index)->Verify();
  FUZZ_CHECK(verified.ok(), verified.ToString());
  FUZZ_CHECK((*index)->num_docs() == added, "documents lost or invented");
  for (uint32_t doc = 0; doc < added; ++doc) {
    const Result<std::string> stored = (*index)->StoredDocument(doc);
    FUZZ_CHECK(stored.ok(), stored.status().ToString());
    FUZZ_CHECK(IsJson(*stored) && stored->front() == '{', "stored document: " + *stored);
  }
  SearchRequest all;
  all.k = 1000;
  all.total_hits_threshold = SearchRequest::kExactTotal;
  all.facets = {{.field = "brand"}, {.field = "price", .ranges = {{.to = 1}, {.from = 1}}}};
  all.sort = {{.field = "qty"}};
  const Result<SearchResponse> r = (*index)->Search(all);
  FUZZ_CHECK(r.ok(), r.status().ToString());
  FUZZ_CHECK(r->total == added && r->hits.size() == added, "a search of all misses documents");
  // The words of the stored text are searchable (whatever they are).
  SearchRequest words;
  words.query = "peanut OR chocolate OR a";
  words.typos = true;
  words.prefix_last = true;
  words.highlight.fields = {"title", "body"};
  const Result<SearchResponse> w = (*index)->Search(words);
  FUZZ_CHECK(w.ok(), w.status().ToString());
}

}  // namespace
}  // namespace libsearch::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  libsearch::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
