// Parallel indexing against its oracle, the single-thread build: random
// documents from a fixed seed, built with 1 thread and with N, through each
// way of adding documents (AddJson, Add, AddJsonl with bad lines skipped or
// stopping the file). The files must be equal byte for byte; as a second,
// independent check, random requests get the same hits, scores, totals and
// facets from both, and both pass Verify().
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "libsearch/index.h"
#include "libsearch/index_builder.h"
#include "testing/rounds.h"
#include "testing/search_compare.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using testing::ReadFile;
using testing::SourcePath;
using testing::TempDir;
using testing::WriteFile;

Schema ProductSchema() {
  auto schema = Schema::FromFile(SourcePath("examples/products/schema.json"));
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return *schema;
}

// The bundled catalogue's product names, the vocabulary of random docs.
std::vector<std::string> Names() {
  std::vector<std::string> names;
  for (const std::string& line : testing::FirstBundledProducts(3000)) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("product_name") && j["product_name"].is_string()) {
      names.push_back(j["product_name"].get<std::string>());
    }
  }
  return names;
}

// A random product: words of `names` (some repeated, some accented or in
// another script), sometimes several values or none; random numbers, some
// missing; keywords, some multi-valued.
std::string RandomProduct(std::mt19937& rng, const std::vector<std::string>& names, int id) {
  static const char* const kExtra[] = {"crème brûlée", "Größe", "日本茶", "wi-fi",
                                       "abc123",       "café",  "ÉCLAIR", "x"};
  static const char* const kCountries[] = {"France", "Germany", "Spain", "USA/Canada", "Italy"};
  auto words = [&](int max) {
    std::string text;
    const int n = static_cast<int>(rng() % static_cast<unsigned>(max));
    for (int i = 0; i < n; ++i) {
      text += (i ? " " : "") +
              (rng() % 9 == 0 ? std::string(kExtra[rng() % 8]) : testing::RandomWord(rng, names));
    }
    return text;
  };
  nlohmann::json doc;
  doc["barcode"] = "p" + std::to_string(id);
  if (rng() % 10 != 0) doc["product_name"] = words(8);
  if (rng() % 7 == 0) {
    doc["ingredients"] = {words(20), words(5)};  // Multi-valued.
  } else if (rng() % 3 != 0) {
    doc["ingredients"] = words(40);
  }
  for (const char* f : {"sugars_100g", "fat_100g", "salt_100g"}) {
    if (rng() % 4 != 0) doc[f] = static_cast<double>(rng() % 5000) / 100.0;
  }
  if (rng() % 3 != 0) doc["is_healthy"] = rng() % 2 == 0;
  if (rng() % 6 == 0) {
    doc["country"] = {kCountries[rng() % 5], kCountries[rng() % 5]};
  } else if (rng() % 5 != 0) {
    doc["country"] = kCountries[rng() % 5];
  }
  return doc.dump();
}

std::vector<std::string> RandomProducts(uint32_t seed, int n) {
  const std::vector<std::string> names = Names();
  std::mt19937 rng(seed);
  std::vector<std::string> docs;
  docs.reserve(n);
  for (int i = 0; i < n; ++i) docs.push_back(RandomProduct(rng, names, i));
  return docs;
}

IndexBuilderOptions WithThreads(uint32_t threads) {
  IndexBuilderOptions o;
  o.threads = threads;
  return o;
}

// Same bytes, then (should that ever be relaxed) the same answers.
void ExpectSameIndex(const std::string& want_path, const std::string& got_path,
                     const std::string& what) {
  const std::string want = ReadFile(want_path), got = ReadFile(got_path);
  ASSERT_FALSE(want.empty()) << what;
  EXPECT_TRUE(want == got) << what << ": the files differ (" << want.size() << " vs " << got.size()
                           << " bytes)";
  auto a = Index::Open(want_path);
  auto b = Index::Open(got_path);
  ASSERT_TRUE(a.ok() && b.ok()) << what;
  EXPECT_TRUE((*a)->Verify().ok()) << what;
  EXPECT_TRUE((*b)->Verify().ok()) << what;
  ASSERT_EQ((*a)->num_docs(), (*b)->num_docs()) << what;
  const std::vector<std::string> names = Names();
  std::mt19937 rng(7);
  for (int r = 0; r < testing::Rounds(120); ++r) {
    const SearchRequest req = testing::RandomProductRequest(rng, names);
    auto ra = (*a)->Search(req);
    auto rb = (*b)->Search(req);
    ASSERT_EQ(ra.ok(), rb.ok()) << what << " query '" << req.query << "'";
    if (!ra.ok()) continue;
    testing::ExpectSameResponse(*ra, *rb, what + " query '" + req.query + "'");
  }
}

TEST(ParallelBuildTest, AddJsonGivesTheSingleThreadFile) {
  TempDir dir;
  const Schema schema = ProductSchema();
  // Past two batches of 2,048 docs, so the workers take over mid-build.
  const std::vector<std::string> docs = RandomProducts(42, 7000);
  for (uint32_t threads : {1u, 2u, 3u}) {
    auto builder = IndexBuilder::Create(schema, WithThreads(threads));
    ASSERT_TRUE(builder.ok());
    for (const std::string& d : docs) ASSERT_TRUE((*builder)->AddJson(d).ok()) << d;
    ASSERT_TRUE((*builder)->Build(dir.File(std::to_string(threads) + ".idx")).ok());
  }
  ExpectSameIndex(dir.File("1.idx"), dir.File("2.idx"), "2 threads");
  ExpectSameIndex(dir.File("1.idx"), dir.File("3.idx"), "3 threads");
}

TEST(ParallelBuildTest, AddDocumentGivesTheSingleThreadFile) {
  TempDir dir;
  const Schema schema = ProductSchema();
  const std::vector<std::string> docs = RandomProducts(43, 5000);
  for (uint32_t threads : {1u, 4u}) {
    auto builder = IndexBuilder::Create(schema, WithThreads(threads));
    ASSERT_TRUE(builder.ok());
    Document doc;
    for (const std::string& d : docs) {
      doc.Clear();
      const nlohmann::json j = nlohmann::json::parse(d);
      for (const auto& [key, value] : j.items()) {
        for (const auto& v : value.is_array() ? value : nlohmann::json::array({value})) {
          if (v.is_string()) doc.AddString(key, v.get<std::string>());
          if (v.is_boolean()) doc.AddString(key, v.get<bool>() ? "true" : "false");
          if (v.is_number()) doc.AddFloat(key, v.get<double>());
        }
      }
      ASSERT_TRUE((*builder)->Add(doc).ok()) << d;
    }
    ASSERT_TRUE((*builder)->Build(dir.File(std::to_string(threads) + ".idx")).ok());
  }
  ExpectSameIndex(dir.File("1.idx"), dir.File("4.idx"), "4 threads, Add");
}

// AddJsonl parses on the workers too; bad and duplicate lines (skipped) must
// leave the same doc numbers as one thread gives, and one-by-one adds may
// come before and after a file.
TEST(ParallelBuildTest, AddJsonlWithSkippedLinesGivesTheSingleThreadFile) {
  TempDir dir;
  const Schema schema = ProductSchema();
  std::vector<std::string> docs = RandomProducts(44, 9000);
  std::string jsonl;
  for (size_t i = 100; i < docs.size(); ++i) {
    jsonl += docs[i] + "\n";
    if (i % 997 == 0) jsonl += "{\"barcode\": \"bad\", \"sugars_100g\": \"x\"}\n";
    if (i % 1499 == 0) jsonl += docs[i] + "\n";  // A duplicate id.
    if (i % 2003 == 0) jsonl += "\n   \n";
  }
  WriteFile(dir.File("in.jsonl"), jsonl);
  IngestOptions skip;
  skip.skip_bad = true;
  std::vector<IngestStats> stats;
  for (uint32_t threads : {1u, 2u, 5u}) {
    auto builder = IndexBuilder::Create(schema, WithThreads(threads));
    ASSERT_TRUE(builder.ok());
    for (size_t i = 0; i < 50; ++i) ASSERT_TRUE((*builder)->AddJson(docs[i]).ok());
    auto s = (*builder)->AddJsonl(dir.File("in.jsonl"), skip);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    stats.push_back(*s);
    for (size_t i = 50; i < 100; ++i) ASSERT_TRUE((*builder)->AddJson(docs[i]).ok());
    ASSERT_TRUE((*builder)->Build(dir.File(std::to_string(threads) + ".idx")).ok());
  }
  for (const IngestStats& s : stats) {
    EXPECT_EQ(s.lines, stats[0].lines);
    EXPECT_EQ(s.docs_added, stats[0].docs_added);
    EXPECT_EQ(s.lines_skipped, stats[0].lines_skipped);
    EXPECT_EQ(s.errors, stats[0].errors);
  }
  EXPECT_EQ(stats[0].lines_skipped, 9u + 6u);
  ExpectSameIndex(dir.File("1.idx"), dir.File("2.idx"), "2 threads, AddJsonl");
  ExpectSameIndex(dir.File("1.idx"), dir.File("5.idx"), "5 threads, AddJsonl");
}

// Without skip_bad the first bad line stops the file, and the documents
// before it stay added, with any number of threads.
TEST(ParallelBuildTest, AddJsonlStoppedByABadLineKeepsTheSameDocs) {
  TempDir dir;
  const Schema schema = ProductSchema();
  std::vector<std::string> docs = RandomProducts(45, 6000);
  docs.insert(docs.begin() + 4500, docs[10]);  // Line 4501: a duplicate id.
  std::string jsonl;
  for (const std::string& d : docs) jsonl += d + "\n";
  WriteFile(dir.File("in.jsonl"), jsonl);
  for (uint32_t threads : {1u, 2u}) {
    auto builder = IndexBuilder::Create(schema, WithThreads(threads));
    ASSERT_TRUE(builder.ok());
    auto s = (*builder)->AddJsonl(dir.File("in.jsonl"), {});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("in.jsonl:4501: duplicate id 'p10'"), std::string::npos)
        << s.status().ToString();
    EXPECT_EQ((*builder)->num_docs(), 4500u);
    ASSERT_TRUE((*builder)->Build(dir.File(std::to_string(threads) + ".idx")).ok());
  }
  ExpectSameIndex(dir.File("1.idx"), dir.File("2.idx"), "2 threads, stopped");
}

// The bundled catalogue, as `libsearch index` builds it.
TEST(ParallelBuildTest, BundledCatalogueIsTheSameFile) {
  TempDir dir;
  const Schema schema = ProductSchema();
  for (uint32_t threads : {1u, 2u}) {
    auto builder = IndexBuilder::Create(schema, WithThreads(threads));
    ASSERT_TRUE(builder.ok());
    ASSERT_TRUE((*builder)->AddJsonl(SourcePath("examples/products/products.jsonl.gz"), {}).ok());
    ASSERT_TRUE((*builder)->Build(dir.File(std::to_string(threads) + ".idx")).ok());
  }
  ExpectSameIndex(dir.File("1.idx"), dir.File("2.idx"), "bundled catalogue");
}

// A builder dropped without Build() while its workers still invert a batch
// must wait for them before freeing what they read.
TEST(ParallelBuildTest, ABuilderDroppedBeforeBuildIsSafe) {
  TempDir dir;
  const std::vector<std::string> docs = RandomProducts(46, 3000);
  std::string jsonl;
  for (const std::string& d : docs) jsonl += d + "\n";
  WriteFile(dir.File("in.jsonl"), jsonl);
  for (int round = 0; round < testing::Rounds(8); ++round) {
    auto builder = IndexBuilder::Create(ProductSchema(), WithThreads(3));
    ASSERT_TRUE(builder.ok());
    if (round % 2 == 0) {
      for (const std::string& d : docs) ASSERT_TRUE((*builder)->AddJson(d).ok());
    } else {
      ASSERT_TRUE((*builder)->AddJsonl(dir.File("in.jsonl"), {}).ok());
    }
    EXPECT_EQ((*builder)->num_docs(), docs.size());
  }
}

TEST(ParallelBuildTest, TooManyThreadsIsAnError) {
  auto builder = IndexBuilder::Create(ProductSchema(), WithThreads(257));
  ASSERT_FALSE(builder.ok());
  EXPECT_EQ(builder.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(IndexBuilder::Create(ProductSchema(), WithThreads(0)).ok());  // Hardware threads.
}

}  // namespace
}  // namespace libsearch
