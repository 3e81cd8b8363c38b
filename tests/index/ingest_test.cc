// Bad input never corrupts output: every malformed-input case gives an error
// naming file, line and field, --skip-bad counts instead, and an index file
// already at the output path survives a failed build.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "testing/test_util.h"

namespace libsearch {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

Schema ProductSchema() {
  auto s = Schema::FromJson(R"({"id": "sku", "fields": {
      "title": {"type": "text", "boost": 2.0, "stored": true},
      "brand": {"type": "keyword", "stored": true},
      "price": {"type": "float", "stored": true},
      "stock": {"type": "int"}}})");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return *s;
}

const char* kGood1 =
    R"({"sku": "a1", "title": "Red apple", "brand": "acme", "price": 1.5, "stock": 3})";
const char* kGood2 = R"({"sku": "b2", "title": "Green pear", "price": 2, "stock": null})";

struct BadCase {
  const char* name;
  std::string line;
  std::string expect;  // Substring of the error message.
};

std::vector<BadCase> BadCases() {
  return {
      {"not_json", "{\"sku\": \"x\", \"title\": ", "not valid JSON"},
      {"not_object", "[1, 2]", "expected a JSON object"},
      {"missing_id", R"({"title": "no id"})", "missing id field 'sku'"},
      {"empty_id", R"({"sku": "", "title": "x"})", "id field 'sku'"},
      {"wrong_type_float", R"({"sku": "c3", "price": "cheap"})",
       "field 'price': expected a number"},
      {"wrong_type_int", R"({"sku": "c3", "stock": 2.5})", "field 'stock': expected an integer"},
      {"wrong_type_text", R"({"sku": "c3", "title": {"a": 1}})",
       "field 'title': expected a string"},
      {"duplicate_id", R"({"sku": "a1", "title": "again"})", "duplicate id 'a1'"},
      {"invalid_utf8", std::string("{\"sku\": \"c3\", \"title\": \"caf\xe9\"}"),
       "field 'title': invalid UTF-8"},
      // nlohmann reports these as out_of_range, not parse_error, exceptions.
      {"number_overflow_unused_key", R"({"sku": "c3", "unused": 1e400})",
       "not valid JSON: number overflow parsing '1e400'"},
      {"number_overflow_nested", R"({"sku": "c3", "x": {"y": [1, -1e999]}})", "number overflow"},
      {"too_deep_unused_key",
       "{\"sku\": \"c3\", \"x\": " + std::string(100000, '[') + std::string(100000, ']') + "}",
       "nests deeper than 64 levels ([] and {}) at byte offset 82"},
      {"too_deep_id", "{\"sku\": " + std::string(100000, '[') + "}", "nests deeper than 64 levels"},
      {"int_past_int64", R"({"sku": "c3", "stock": 18446744073709551615})",
       "field 'stock': expected an integer from -2^63 to 2^63-1 for a int field, got number "
       "18446744073709551615"},
      // The message shows 40 bytes of a value, however large.
      {"huge_value", R"({"sku": "c3", "price": {"a": ")" + std::string(1 << 20, 'x') + R"("}})",
       "got object {\"a\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."},
  };
}

TEST(Ingest, EachMalformedLineNamesFileLineAndField) {
  for (const BadCase& c : BadCases()) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const std::string input = dir.File("in.jsonl");
    WriteFile(input, std::string(kGood1) + "\n" + kGood2 + "\n\n" + c.line + "\n");
    ASSERT_OK_AND_ASSIGN(auto builder, IndexBuilder::Create(ProductSchema()));
    auto stats = builder->AddJsonl(input, {});
    ASSERT_FALSE(stats.ok());
    EXPECT_EQ(stats.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(stats.status().message().find(input + ":4: "), std::string::npos)
        << stats.status().message();
    EXPECT_NE(stats.status().message().find(c.expect), std::string::npos)
        << stats.status().message();
    EXPECT_EQ(builder->num_docs(), 2u);  // The bad line added nothing.
    EXPECT_LT(stats.status().message().size(), input.size() + 300) << "a bounded message";
  }
}

TEST(Ingest, SkipBadCountsAndKeepsGoodLines) {
  TempDir dir;
  const std::string input = dir.File("in.jsonl");
  std::string text = std::string(kGood1) + "\n";
  for (const BadCase& c : BadCases()) text += c.line + "\n";
  text += std::string(kGood2) + "\n";
  WriteFile(input, text);
  ASSERT_OK_AND_ASSIGN(auto builder, IndexBuilder::Create(ProductSchema()));
  IngestOptions opts;
  opts.skip_bad = true;
  ASSERT_OK_AND_ASSIGN(IngestStats stats, builder->AddJsonl(input, opts));
  EXPECT_EQ(stats.docs_added, 2u);
  EXPECT_EQ(stats.lines_skipped, BadCases().size());
  ASSERT_EQ(stats.errors.size(), BadCases().size());
  EXPECT_NE(stats.errors[0].find(input + ":2: "), std::string::npos) << stats.errors[0];
  ASSERT_OK(builder->Build(dir.File("out.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("out.idx")));
  EXPECT_EQ(index->num_docs(), 2u);
}

TEST(Ingest, FailedBuildLeavesExistingIndexUntouched) {
  TempDir dir;
  const std::string out = dir.File("catalogue.idx");
  ASSERT_OK(testing::BuildIndex(ProductSchema(), {kGood1}, out));
  const std::string before = ReadFile(out);
  // A later run hits bad input: the caller does not Build(), so nothing is
  // written; and a Build() to an unwritable place fails without touching `out`.
  ASSERT_OK_AND_ASSIGN(auto builder, IndexBuilder::Create(ProductSchema()));
  ASSERT_OK(builder->AddJson(kGood2));
  EXPECT_FALSE(builder->AddJson("{broken").ok());
  EXPECT_FALSE(builder->Build(dir.File("no-such-dir/x.idx")).ok());
  EXPECT_EQ(ReadFile(out), before);
  // The bad path lost nothing: the same builder can still build.
  ASSERT_OK(builder->Build(dir.File("second.idx")));
  ASSERT_OK_AND_ASSIGN(auto second, Index::Open(dir.File("second.idx")));
  EXPECT_EQ(second->num_docs(), 1u);
  std::filesystem::remove(dir.File("second.idx"));
  // No temporary files are left behind.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(out));
  EXPECT_EQ(index->num_docs(), 1u);
}

TEST(Ingest, ReadsGzipAndZstd) {
  TempDir dir;
  const std::string plain = std::string(kGood1) + "\n" + kGood2;  // No final newline.
  {
    gzFile f = gzopen(dir.File("in.jsonl.gz").c_str(), "wb");
    gzwrite(f, plain.data(), static_cast<unsigned>(plain.size()));
    gzclose(f);
  }
  std::string z(ZSTD_compressBound(plain.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), plain.data(), plain.size(), 3));
  WriteFile(dir.File("in.jsonl.zst"), z);
  for (const char* name : {"in.jsonl.gz", "in.jsonl.zst"}) {
    ASSERT_OK_AND_ASSIGN(auto builder, IndexBuilder::Create(ProductSchema()));
    ASSERT_OK_AND_ASSIGN(IngestStats stats, builder->AddJsonl(dir.File(name), {}));
    EXPECT_EQ(stats.docs_added, 2u) << name;
  }
  WriteFile(dir.File("bad.jsonl.zst"), z.substr(0, z.size() / 2));
  ASSERT_OK_AND_ASSIGN(auto builder, IndexBuilder::Create(ProductSchema()));
  auto stats = builder->AddJsonl(dir.File("bad.jsonl.zst"), {});
  EXPECT_FALSE(stats.ok());
  EXPECT_EQ(builder->AddJsonl(dir.File("missing.jsonl"), {}).status().code(),
            StatusCode::kNotFound);
}

// Document is AddJson without the JSON text: the same values must give the
// same file, byte for byte (stored documents, postings, numeric columns).
TEST(Ingest, DocumentBuildsTheSameFileAsJson) {
  std::mt19937 rng(20261128);
  const std::vector<std::string> words = {"red", "apple",      "pear",      "café", "Ünïcode",
                                          "x-1", "\"quoted\"", "tab\there", "東京", "a\\b"};
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  ASSERT_OK_AND_ASSIGN(auto from_json, IndexBuilder::Create(ProductSchema()));
  ASSERT_OK_AND_ASSIGN(auto from_doc, IndexBuilder::Create(ProductSchema()));
  Document doc;
  for (int i = 0; i < 3000; ++i) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    doc.Clear();
    const std::string sku = "sku" + std::to_string(i);
    j["sku"] = sku;
    doc.AddString("sku", sku);
    if (pick(5) != 0) {
      std::string title;
      for (size_t w = 0, n = 1 + pick(6); w < n; ++w)
        title += (w ? " " : "") + words[pick(words.size())];
      j["title"] = title;
      doc.AddString("title", title);
    }
    const size_t brands = pick(4);  // 0, 1 (a scalar) or 2-3 (an array).
    for (size_t b = 0; b < brands; ++b) {
      const std::string brand = "brand" + std::to_string(pick(7));
      doc.AddString("brand", brand);
      if (brands == 1) {
        j["brand"] = brand;
      } else {
        j["brand"].push_back(brand);
      }
    }
    switch (pick(4)) {
      case 0: break;
      case 1: {
        const double price = std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
        j["price"] = price;
        doc.AddFloat("price", price);
        break;
      }
      case 2: {
        const int64_t price = static_cast<int64_t>(pick(100000)) - 50000;
        j["price"] = price;  // An integer in a float field.
        doc.AddInt("price", price);
        break;
      }
      default:
        j["price"] = 0.01 * static_cast<double>(pick(10000));
        doc.AddFloat("price", j["price"].get<double>());
    }
    if (pick(3) == 0) {
      const double stock = static_cast<double>(pick(1000));  // Integral floats are integers.
      j["stock"] = stock;
      doc.AddFloat("stock", stock);
    } else if (pick(2) == 0) {
      const int64_t stock = static_cast<int64_t>(rng()) << 20;
      j["stock"] = stock;
      doc.AddInt("stock", stock);
    }
    ASSERT_OK(from_json->AddJson(j.dump()));
    ASSERT_OK(from_doc->Add(doc));
  }
  TempDir dir;
  ASSERT_OK(from_json->Build(dir.File("json.idx")));
  ASSERT_OK(from_doc->Build(dir.File("doc.idx")));
  const std::string a = ReadFile(dir.File("json.idx")), b = ReadFile(dir.File("doc.idx"));
  EXPECT_GT(a.size(), 10000u);
  EXPECT_TRUE(a == b) << "sizes " << a.size() << " and " << b.size();
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("doc.idx")));
  EXPECT_EQ(index->num_docs(), 3000u);
}

TEST(Ingest, BadDocumentNamesTheFieldAndAddsNothing) {
  struct Case {
    const char* name;
    Document doc;
    std::string expect;
  };
  std::vector<Case> cases(9);
  cases[0] = {"unknown_field", {}, "field 'colour' is not in the schema (its fields: sku, title"};
  cases[0].doc.AddString("sku", "c3").AddString("colour", "red");
  cases[1] = {"wrong_type_float", {}, "field 'price': expected a number"};
  cases[1].doc.AddString("sku", "c3").AddString("price", "cheap");
  cases[2] = {"fractional_int", {}, "field 'stock': expected an integer"};
  cases[2].doc.AddString("sku", "c3").AddFloat("stock", 2.5);
  cases[3] = {"multi_valued_int", {}, "field 'stock': expected an integer"};
  cases[3].doc.AddString("sku", "c3").AddInt("stock", 1).AddInt("stock", 2);
  cases[4] = {"invalid_utf8", {}, "field 'title': invalid UTF-8 at byte 4"};
  cases[4].doc.AddString("sku", "c3").AddString("title", "caf\xe9");
  cases[5] = {"nan", {}, "field 'price': expected a finite number"};
  cases[5].doc.AddString("sku", "c3").AddFloat("price", std::nan(""));
  cases[6] = {"missing_id", {}, "missing id field 'sku'"};
  cases[6].doc.AddString("title", "no id");
  cases[7] = {"two_ids", {}, "id field 'sku' must be one non-empty value"};
  cases[7].doc.AddString("sku", "c3").AddString("sku", "c4");
  cases[8] = {"duplicate_id", {}, "duplicate id 'a1'"};
  cases[8].doc.AddString("sku", "a1");
  ASSERT_OK_AND_ASSIGN(auto builder, IndexBuilder::Create(ProductSchema()));
  ASSERT_OK(builder->AddJson(kGood1));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Status s = builder->Add(c.doc);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(c.expect), std::string::npos) << s.message();
    EXPECT_EQ(builder->num_docs(), 1u);
  }
  Document good;
  good.AddString("sku", "c3").AddString("title", "Plum").AddInt("stock", 7);
  ASSERT_OK(builder->Add(good));
  TempDir dir;
  ASSERT_OK(builder->Build(dir.File("out.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("out.idx")));
  EXPECT_EQ(index->num_docs(), 2u);
  EXPECT_EQ(builder->Add(good).message(), "IndexBuilder::Build() was already called");
}

TEST(Schema, RejectsBadSchemasWithReasons) {
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {"{", "not valid JSON"},
      {R"({"id": "x", "fields": {"a": {"type": "text", "boost": 1e400}}})", "number overflow"},
      {R"({"id": "x", "fields": {"a": {"type": "text"}}, "search_defaults": {"k": 1e999}})",
       "number overflow"},
      {R"({"fields": {}})", "\"id\""},
      {R"({"id": "x", "fields": {"a": {"type": "blob"}}})", "unknown type 'blob'"},
      {R"({"id": "x", "fields": {"a": {"type": "text", "language": "klingon"}}})", "klingon"},
      {R"({"id": "x", "fields": {"a": {"type": "text", "boost": -1}}})", "boost"},
      {R"({"id": "x", "fields": {"a": {"type": "text", "stord": true}}})", "unknown key 'stord'"},
      {R"({"id": "x", "fields": {"x": {"type": "int"}}})", "must have type keyword"},
      {R"({"id": "x", "fields": {"a:b": {"type": "text"}}})", "may not contain"},
      {R"({"id": "x", "fields": {"a": {"type": "text", "index_prefixes": 5}}})",
       "\"index_prefixes\" must be an integer from 0 to 4"},
      {R"({"id": "x", "fields": {"a": {"type": "keyword", "index_prefixes": 2}}})",
       "on text fields only"},
  };
  for (const Case& c : cases) {
    auto s = Schema::FromJson(c.json);
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos) << s.status().message();
  }
}

TEST(Schema, DeepNestingIsRefusedWithoutRecursion) {
  const std::string deep = R"({"id": "x", "fields": {"a": {"type": "text"}}, "extra": )" +
                           std::string(100000, '[') + std::string(100000, ']') + "}";
  auto s = Schema::FromJson(deep);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "schema nests deeper than 64 levels ([] and {}) at byte offset 119");
}

TEST(Schema, JsonRoundTripKeepsFieldOrder) {
  const Schema s = ProductSchema();
  ASSERT_OK_AND_ASSIGN(Schema again, Schema::FromJson(s.ToJson()));
  ASSERT_EQ(again.fields().size(), 5u);  // The id field is added first.
  EXPECT_EQ(again.fields()[0].name, "sku");
  EXPECT_EQ(again.fields()[1].name, "title");
  EXPECT_EQ(again.fields()[4].name, "stock");
  EXPECT_EQ(again.fields()[1].boost, 2.0);
  EXPECT_EQ(again.ToJson(), s.ToJson());
}

}  // namespace
}  // namespace libsearch
