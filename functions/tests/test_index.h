// File: functions/tests/test_index.h
//
// The bundled catalogue (examples/products), indexed once per test binary
// into a temporary file through the public API.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <libsearch/libsearch.h>

namespace libsearch::functions::testing {

// The index file, removed with its directory at exit.
struct TempIndex {
  std::string dir, path;
  ~TempIndex() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

inline std::string CatalogueIndexPath() {
  static TempIndex index;
  static const bool built = [] {
    index.dir = (std::filesystem::temp_directory_path() /
                 ("libsearch-functions-test-" + std::to_string(::getpid())))
                    .string();
    std::filesystem::create_directories(index.dir);
    index.path = index.dir + "/products.idx";
    const std::string src = LIBSEARCH_SOURCE_DIR "/examples/products/";
    auto schema = Schema::FromFile(src + "schema.json");
    if (!schema.ok()) std::abort();
    auto builder = IndexBuilder::Create(*schema);
    if (!builder.ok()) std::abort();
    if (!(*builder)->AddJsonl(src + "products.jsonl.gz", {}).ok()) std::abort();
    if (!(*builder)->Build(index.path).ok()) std::abort();
    return true;
  }();
  (void)built;
  return index.path;
}

inline const Index& CatalogueIndex() {
  static const std::unique_ptr<Index> index = [] {
    auto opened = Index::Open(CatalogueIndexPath());
    if (!opened.ok()) std::abort();
    return std::move(*opened);
  }();
  return *index;
}

}  // namespace libsearch::functions::testing
