// Shared by the fuzzers (tests/fuzz/*_fuzzer.cc): a small schema and
// catalogue, the index built from them once per process, a scratch directory,
// and checks that stop the fuzzer with a message (a crash libFuzzer reports).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/libsearch.h"

// Stops the fuzzer when an invariant fails: the input is saved as a crash.
#define FUZZ_CHECK(cond, what)                                                          \
  do {                                                                                  \
    if (!(cond)) ::libsearch::fuzz::Fail(__FILE__, __LINE__, #cond, std::string(what)); \
  } while (0)

namespace libsearch::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* cond,
                              const std::string& what) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n  %s\n", file, line, cond, what.c_str());
  std::abort();
}

// Every kind of field and section: two text fields (one with code splitting
// and a prefix index), a single-valued keyword (keyword_dense), a
// multi-valued one (keyword_ords), int and float columns, a stored-only
// field, and search defaults.
inline constexpr std::string_view kSchemaJson = R"({"id": "sku", "fields": {
  "title": {"type": "text", "boost": 2.0, "stored": true, "split_codes": true,
            "index_prefixes": 2},
  "body": {"type": "text", "language": "none", "stored": true},
  "brand": {"type": "keyword", "stored": true},
  "tags": {"type": "keyword"},
  "price": {"type": "float", "stored": true},
  "qty": {"type": "int", "stored": true},
  "url": {"type": "keyword", "indexed": false, "stored": true}},
  "search_defaults": {"k": 5}})";

inline const std::vector<std::string>& SmallCatalogue() {
  static const std::vector<std::string> docs = {
      R"({"sku": "a1", "title": "Organic peanut butter", "body": "Roasted peanuts, salt",
          "brand": "Acme", "tags": ["spread", "vegan"], "price": 3.5, "qty": 12,
          "url": "http://x/a1"})",
      R"({"sku": "a2", "title": "Dark chocolate 70%", "body": "cocoa mass, sugar, cocoa butter",
          "brand": "Zenith", "tags": ["sweet"], "price": 2.25, "qty": 40})",
      R"({"sku": "a3", "title": "Milk chocolate with peanuts", "body": "sugar, milk, peanuts",
          "brand": "Acme", "tags": ["sweet", "nuts"], "price": 1.99, "qty": -3})",
      R"({"sku": "a4", "title": "iPhone15 charger USB-C", "body": "Cable, 1 m",
          "brand": "Volt", "price": 19.0, "qty": 7, "url": "http://x/a4"})",
      R"({"sku": "a5", "title": "Crème brûlée dessert", "body": "cream, sugar, eggs, vanilla",
          "tags": ["sweet", "dessert"], "qty": 0})",
      R"({"sku": "a6", "title": "Yoghurt, plain", "body": "milk, cultures",
          "brand": "Dairy Co", "tags": ["dairy"], "price": 0.89})",
      R"({"sku": "a7", "title": "Peanut oil", "body": "peanut oil", "brand": "Acme",
          "price": 4.1, "qty": 2})",
      R"({"sku": "a8", "title": "Chocolate chip cookies", "body": "flour, chocolate chips, butter",
          "brand": "Zenith", "tags": ["sweet", "baked"], "price": 2.75, "qty": 30})",
  };
  return docs;
}

// Enough documents for terms with full postings blocks, packed and bitmap,
// and varint tails, with tfs above 1: "common" in every doc, "even" in every
// other, "fifth" in every fifth (packed: too sparse for a bitmap), plus a
// few words of the small catalogue (which has the other fields).
inline std::vector<std::string> MediumCatalogue() {
  static const char* const kWords[] = {"peanut", "chocolate", "butter", "sugar",
                                       "milk",   "dark",      "cocoa",  "chip"};
  std::vector<std::string> docs;
  for (uint32_t i = 0; i < 660; ++i) {
    std::string title = "common";
    if (i % 2 == 0) title += " even even";
    if (i % 5 == 0) title += " fifth";
    if (i % 35 == 3) title += " fifth fifth";
    title += " ";
    title += kWords[(i * 7 + i / 3) % 8];
    docs.push_back(R"({"sku": ")" + std::to_string(i) + R"(", "title": ")" + title + "\"}");
  }
  return docs;
}

// Synonym groups stored in the fuzzers' indexes.
inline std::vector<std::vector<std::string>> SmallSynonyms() {
  return {{"yoghurt", "yogurt"}, {"usb c", "type c"}};
}

// A directory of this process's own, on tmpfs when there is one (the
// fuzzers write an index per input), removed at exit.
inline const std::string& ScratchDir() {
  static const std::string* dir = [] {
    std::filesystem::path base = "/dev/shm";
    if (access(base.c_str(), W_OK) != 0) base = std::filesystem::temp_directory_path();
    std::string tmpl = (base / "libsearch-fuzz-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    auto* path = new std::string(tmpl);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(*dir, ec);
    });
    return path;
  }();
  return *dir;
}

// The medium catalogue's: its documents have only these fields.
inline constexpr std::string_view kMediumSchemaJson = R"({"id": "sku", "fields": {
  "title": {"type": "text", "stored": true, "index_prefixes": 2}}})";

inline Schema SmallSchema(std::string_view json = kSchemaJson) {
  auto schema = Schema::FromJson(json);
  FUZZ_CHECK(schema.ok(), schema.status().ToString());
  return std::move(*schema);
}

// Builds `docs` into `path`; aborts on error (the inputs are ours).
inline void BuildOrDie(const std::vector<std::string>& docs, const IndexBuilderOptions& options,
                       const std::string& path, std::string_view schema_json = kSchemaJson) {
  auto builder = IndexBuilder::Create(SmallSchema(schema_json), options);
  FUZZ_CHECK(builder.ok(), builder.status().ToString());
  for (const std::string& d : docs) {
    const Status s = (*builder)->AddJson(d);
    FUZZ_CHECK(s.ok(), s.ToString());
  }
  const Status s = (*builder)->Build(path);
  FUZZ_CHECK(s.ok(), s.ToString());
}

// The small catalogue, indexed with synonyms and sources once per process,
// opened afresh for each input: an index keeps caches (filters, typo
// expansions), and each input must run alone, the same every time (and not
// look like a leak to libFuzzer's leak check).
inline std::unique_ptr<Index> OpenSmallIndex() {
  static const std::string* path = [] {
    IndexBuilderOptions options;
    options.synonyms = SmallSynonyms();
    options.keep_source = true;
    auto* p = new std::string(ScratchDir() + "/small.idx");
    BuildOrDie(SmallCatalogue(), options, *p);
    return p;
  }();
  auto opened = Index::Open(*path);
  FUZZ_CHECK(opened.ok(), opened.status().ToString());
  return std::move(*opened);
}

inline bool IsJson(std::string_view text) {
  return nlohmann::json::accept(text.begin(), text.end());
}

inline void WriteFileOrDie(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(out.good(), "cannot write " + path);
}

}  // namespace libsearch::fuzz
