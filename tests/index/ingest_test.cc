// Bad input never corrupts output: every malformed-input case gives an error
// naming file, line and field, --skip-bad counts instead, and an index file
// already at the output path survives a failed build.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

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

const char* kGood1 = R"({"sku": "a1", "title": "Red apple", "brand": "acme", "price": 1.5, "stock": 3})";
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
      {"wrong_type_float", R"({"sku": "c3", "price": "cheap"})", "field 'price': expected a number"},
      {"wrong_type_int", R"({"sku": "c3", "stock": 2.5})", "field 'stock': expected an integer"},
      {"wrong_type_text", R"({"sku": "c3", "title": {"a": 1}})", "field 'title': expected a string"},
      {"duplicate_id", R"({"sku": "a1", "title": "again"})", "duplicate id 'a1'"},
      {"invalid_utf8", std::string("{\"sku\": \"c3\", \"title\": \"caf\xe9\"}"),
       "field 'title': invalid UTF-8"},
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
  EXPECT_EQ(builder->AddJsonl(dir.File("missing.jsonl"), {}).status().code(), StatusCode::kNotFound);
}

TEST(Schema, RejectsBadSchemasWithReasons) {
  struct Case {
    const char* json;
    const char* expect;
  } cases[] = {
      {"{", "not valid JSON"},
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
