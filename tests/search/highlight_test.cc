#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace libsearch {
namespace {

class HighlightTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = Schema::FromJson(R"({"id": "id", "fields": {
        "title": {"type": "text", "stored": true},
        "body": {"type": "text", "stored": true},
        "notes": {"type": "text"}}})");
    ASSERT_TRUE(schema.ok());
    std::string long_body;
    for (int i = 0; i < 40; ++i) long_body += "filler" + std::to_string(i) + " ";
    long_body += "the quick brown fox jumps ";
    for (int i = 0; i < 40; ++i) long_body += "padding" + std::to_string(i) + " ";
    ASSERT_OK(testing::BuildIndex(
        *schema,
        {R"({"id": "1", "title": "Running Shoes for Runners", "body": "Light shoes; the runner's choice."})",
         R"({"id": "2", "title": ["Blue kettle", "Steel kettle with whistle"], "body": "Boils water fast."})",
         R"({"id": "3", "title": "Fox figurine", "body": ")" + long_body + R"("})",
         R"({"id": "4", "title": "Salted caramel", "body": "Caramel, salt, sugar.", "notes": "caramel"})"},
        dir_.File("h.idx")));
    auto index = Index::Open(dir_.File("h.idx"));
    ASSERT_TRUE(index.ok());
    index_ = std::move(*index);
  }

  // The snippet of `field` in the first hit, or "<none>".
  std::string Snippet(SearchRequest req, const std::string& field) {
    auto resp = index_->Search(req);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    if (!resp.ok() || resp->hits.empty()) return "<no hits>";
    for (const auto& [f, s] : resp->hits[0].highlights) {
      if (f == field) return s;
    }
    return "<none>";
  }

  testing::TempDir dir_;
  std::unique_ptr<Index> index_;
};

TEST_F(HighlightTest, MarksStemmedMatchesInStoredText) {
  SearchRequest req;
  req.query = "run shoe";
  req.highlight.fields = {"title", "body"};
  EXPECT_EQ(Snippet(req, "title"), "<em>Running</em> <em>Shoes</em> for Runners");
  EXPECT_EQ(Snippet(req, "body"), "Light <em>shoes</em>; the runner's choice.");
}

TEST_F(HighlightTest, CustomTagsPrefixTyposAndExclusions) {
  SearchRequest req;
  req.query = "kettl";
  req.prefix_last = true;
  req.highlight.fields = {"title"};
  req.highlight.pre_tag = "[";
  req.highlight.post_tag = "]";
  EXPECT_EQ(Snippet(req, "title"), "Blue [kettle]") << "first value of a multi-valued field";
  req.query = "caramell";
  req.prefix_last = false;
  req.typos = true;
  EXPECT_EQ(Snippet(req, "title"), "Salted [caramel]");
  req.typos = false;
  req.query = "caramel -salt";
  req.highlight.fields = {"body"};
  EXPECT_EQ(Snippet(req, "body"), "<no hits>") << "doc 4 has salt";
  req.query = "sugar -notes:toffee";
  EXPECT_EQ(Snippet(req, "body"), "Caramel, salt, [sugar].");
}

TEST_F(HighlightTest, LongTextGivesAFragmentAroundTheBestMatch) {
  SearchRequest req;
  req.query = "quick fox";
  req.default_operator = Operator::kOr;
  req.highlight.fields = {"body"};
  req.highlight.fragment_bytes = 60;
  const std::string s = Snippet(req, "body");
  EXPECT_EQ(s.rfind("\u2026", 0), 0u) << s;  // Cut at the start...
  EXPECT_NE(s.find("<em>quick</em> brown <em>fox</em>"), std::string::npos) << s;
  EXPECT_EQ(s.substr(s.size() - 3), "\u2026") << s;  // ...and at the end.
  EXPECT_LT(s.size(), 120u);
}

TEST_F(HighlightTest, OnlyStoredTextFields) {
  SearchRequest req;
  req.query = "caramel";
  req.highlight.fields = {"notes"};
  auto resp = index_->Search(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_NE(resp.status().message().find("'notes' is not a stored text field"), std::string::npos);
}

}  // namespace
}  // namespace libsearch

namespace libsearch {
namespace {

TEST_F(HighlightTest, DidYouMeanOnlyWhenNothingMatches) {
  SearchRequest req;
  req.query = "steel ketle";
  ASSERT_OK_AND_ASSIGN(SearchResponse none, index_->Search(req));
  EXPECT_EQ(none.total, 0u);
  // Index terms are stems ("kettl"); the suggestion shows the word as the
  // stored text spells it.
  EXPECT_EQ(none.suggestion, "steel kettle");
  req.query = none.suggestion;
  ASSERT_OK_AND_ASSIGN(SearchResponse fixed, index_->Search(req));
  ASSERT_EQ(fixed.total, 1u);
  EXPECT_EQ(fixed.hits[0].id, "2");
  EXPECT_TRUE(fixed.suggestion.empty()) << "no suggestion when something matched";
  req.query = "qwxzv";
  ASSERT_OK_AND_ASSIGN(SearchResponse hopeless, index_->Search(req));
  EXPECT_TRUE(hopeless.suggestion.empty());
  // A correction that itself matches nothing: no suggestion, and no endless
  // retry (this once recursed until the stack overflowed).
  req.query = "steel kettel xylophone";
  ASSERT_OK_AND_ASSIGN(SearchResponse dead_end, index_->Search(req));
  EXPECT_EQ(dead_end.total, 0u);
  EXPECT_TRUE(dead_end.suggestion.empty()) << dead_end.suggestion;
  req.query = "ketle";
  req.suggest = false;
  ASSERT_OK_AND_ASSIGN(SearchResponse off, index_->Search(req));
  EXPECT_TRUE(off.suggestion.empty());
  req.suggest = true;
  req.query = "steel -whistle";  // Matches nothing, but no word is misspelt.
  ASSERT_OK_AND_ASSIGN(SearchResponse excluded, index_->Search(req));
  EXPECT_TRUE(excluded.suggestion.empty());
}

}  // namespace
}  // namespace libsearch
