#include <gtest/gtest.h>

#include <set>

#include "testing/test_util.h"

namespace libsearch {
namespace {

class SynonymsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = Schema::FromJson(R"({"id": "id", "fields": {"title": {"type": "text"}}})");
    ASSERT_TRUE(schema.ok());
    schema_ = std::make_unique<Schema>(*schema);
    docs_ = {R"({"id": "1", "title": "Samsung TV 55 inch"})",
             R"({"id": "2", "title": "LG OLED Television"})",
             R"({"id": "3", "title": "USB C cable, 2 m"})",
             R"({"id": "4", "title": "Type C charger"})", R"({"id": "5", "title": "Soda water"})"};
  }

  std::set<std::string> Ids(const Index& index, const std::string& q) {
    SearchRequest req;
    req.query = q;
    req.include_docs = false;
    auto r = index.Search(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::set<std::string> ids;
    if (r.ok()) {
      for (const Hit& h : r->hits) ids.insert(h.id);
    }
    return ids;
  }

  std::unique_ptr<Schema> schema_;
  std::vector<std::string> docs_;
  testing::TempDir dir_;
};

TEST_F(SynonymsTest, StoredAndOpenTimeGroupsBothApply) {
  auto builder = IndexBuilder::Create(*schema_, [] {
    IndexBuilderOptions o;
    o.synonyms = {{"tv", "television"}};
    return o;
  }());
  ASSERT_TRUE(builder.ok());
  for (const auto& d : docs_) ASSERT_OK((*builder)->AddJson(d));
  ASSERT_OK((*builder)->Build(dir_.File("s.idx")));
  OpenOptions open;
  open.synonyms = {{"usb c", "type c"}, {"pop", "soda"}};
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_.File("s.idx"), open));
  EXPECT_EQ(Ids(*index, "tv"), (std::set<std::string>{"1", "2"}));
  EXPECT_EQ(Ids(*index, "televisions"), (std::set<std::string>{"1", "2"})) << "stems match";
  EXPECT_EQ(Ids(*index, "oled tv"), (std::set<std::string>{"2"}));
  EXPECT_EQ(Ids(*index, "usb c"), (std::set<std::string>{"3", "4"})) << "multi-word phrase";
  EXPECT_EQ(Ids(*index, "Type-C charger"), (std::set<std::string>{"4"}));
  EXPECT_EQ(Ids(*index, "pop water"), (std::set<std::string>{"5"}));
  EXPECT_EQ(Ids(*index, "usb OR pop"), (std::set<std::string>{"3"})) << "OR groups are left alone";
  SearchRequest req;
  req.query = "usb c tv";
  ASSERT_OK_AND_ASSIGN(std::string explained, index->ExplainQuery(req));
  EXPECT_EQ(explained, "(+(title:\"usb c\" title:\"type c\") +(title:tv title:televis))");
  // Without the open-time groups only the stored ones apply.
  ASSERT_OK_AND_ASSIGN(auto plain, Index::Open(dir_.File("s.idx")));
  EXPECT_EQ(Ids(*plain, "tv"), (std::set<std::string>{"1", "2"}));
  EXPECT_EQ(Ids(*plain, "usb c"), (std::set<std::string>{"3"}));
}

TEST_F(SynonymsTest, LoadSynonymsFileFormatAndErrors) {
  testing::WriteFile(dir_.File("syn.txt"), "# comment\n\ntv, television ,telly\nusb c,type c\n");
  ASSERT_OK_AND_ASSIGN(auto groups, LoadSynonyms(dir_.File("syn.txt")));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], (std::vector<std::string>{"tv", "television", "telly"}));
  testing::WriteFile(dir_.File("bad.txt"), "tv, television\nlonely\n");
  auto bad = LoadSynonyms(dir_.File("bad.txt"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.txt:2: a synonym group needs at least two"),
            std::string::npos);
  EXPECT_EQ(LoadSynonyms(dir_.File("none.txt")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace libsearch

namespace libsearch {
namespace {

// With split_codes, model numbers match however they are typed.
TEST(CodeWordSearch, JoinedSpacedAndHyphenatedFormsFindEachOther) {
  testing::TempDir dir;
  auto schema = Schema::FromJson(
      R"({"id": "id", "fields": {"title": {"type": "text", "split_codes": true}}})");
  ASSERT_TRUE(schema.ok());
  ASSERT_OK(testing::BuildIndex(
      *schema,
      {R"({"id": "1", "title": "Apple iPhone15 case"})",
       R"({"id": "2", "title": "Case for iphone 15 Pro"})",
       R"({"id": "3", "title": "SD-500 memory card"})", R"({"id": "4", "title": "sd500 reader"})",
       R"({"id": "5", "title": "iphone 14, 15 cm cable"})"},
      dir.File("c.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("c.idx")));
  auto ids = [&](const std::string& q) {
    SearchRequest req;
    req.query = q;
    req.include_docs = false;
    auto r = index->Search(req);
    EXPECT_TRUE(r.ok());
    std::set<std::string> out;
    for (const Hit& h : r->hits) out.insert(h.id);
    return out;
  };
  EXPECT_EQ(ids("iphone15"), (std::set<std::string>{"1", "2"}));
  EXPECT_EQ(ids("\"iphone 15\""), (std::set<std::string>{"1", "2"}));
  EXPECT_EQ(ids("iPhone-15"), (std::set<std::string>{"1", "2"}));
  EXPECT_EQ(ids("sd500"), (std::set<std::string>{"3", "4"}));
  EXPECT_EQ(ids("SD-500"), (std::set<std::string>{"3", "4"}));
  // The joined token does not count towards the field length: doc 1 has
  // three words ("apple", "iphone"+"15", "case") -> 4 positions.
  const IndexInfo info = *index->Info();
  for (const FieldInfo& f : info.fields) {
    if (f.name == "title") {
      EXPECT_EQ(f.total_terms, 4u + 5u + 4u + 3u + 5u);
    }
  }
}

}  // namespace
}  // namespace libsearch
