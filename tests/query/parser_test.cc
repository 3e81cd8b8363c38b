#include <gtest/gtest.h>

#include <random>

#include "query/query.h"
#include "testing/test_util.h"

namespace libsearch::internal {
namespace {

class ParserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Schema::FromJson(R"({"id": "sku", "fields": {
        "title": {"type": "text", "boost": 2.0},
        "body": {"type": "text", "language": "none"},
        "brand": {"type": "keyword"},
        "price": {"type": "float"}}})");
    ASSERT_TRUE(s.ok());
    schema_ = std::make_unique<Schema>(std::move(*s));
    analysis::AnalyzerOptions en;
    analysis::AnalyzerOptions none;
    none.language = "none";
    auto a = analysis::Analyzer::Create(en);
    auto b = analysis::Analyzer::Create(none);
    ASSERT_TRUE(a.ok() && b.ok());
    en_ = std::move(*a);
    none_ = std::move(*b);
    analyzers_ = {nullptr, en_.get(), none_.get(), nullptr, nullptr};
  }

  // Parses with title as the only default field unless `fields` says otherwise.
  std::string Parse(const std::string& q, DefaultOperator op = DefaultOperator::kAnd,
                    std::vector<uint32_t> fields = {1}) {
    ParseOptions po;
    po.default_fields = fields;
    po.default_operator = op;
    auto r = ParseQuery(q, *schema_, analyzers_, po);
    if (!r.ok()) return "ERROR " + r.status().message();
    return (*r)->ToString(*schema_);
  }

  std::unique_ptr<Schema> schema_;
  std::unique_ptr<analysis::Analyzer> en_, none_;
  std::vector<const analysis::Analyzer*> analyzers_;
};

TEST_F(ParserTest, Terms) {
  EXPECT_EQ(Parse("Apples"), "title:appl^2");
  EXPECT_EQ(Parse("red apples"), "(+title:red^2 +title:appl^2)");
  EXPECT_EQ(Parse("red apples", DefaultOperator::kOr), "(title:red^2 title:appl^2)");
  EXPECT_EQ(Parse("red", DefaultOperator::kAnd, {1, 2}), "(title:red^2 body:red)");
  EXPECT_EQ(Parse(""), "*:*");
  EXPECT_EQ(Parse("   "), "*:*");
}

// A schema without text fields: a bare word is an error, not a query that
// silently matches everything (issue 19); named fields still work.
TEST_F(ParserTest, BareWordsWithoutDefaultFieldsAreAnError) {
  EXPECT_EQ(Parse("hello", DefaultOperator::kAnd, {}).rfind("ERROR ", 0), 0u)
      << Parse("hello", DefaultOperator::kAnd, {});
  EXPECT_NE(Parse("red", DefaultOperator::kAnd, {}).find("no text field"), std::string::npos);
  EXPECT_EQ(Parse("brand:acme", DefaultOperator::kAnd, {}), "brand:acme");
  EXPECT_EQ(Parse("", DefaultOperator::kAnd, {}), "*:*");
}

TEST_F(ParserTest, OperatorsAndGroups) {
  EXPECT_EQ(Parse("+red -green blue", DefaultOperator::kOr),
            "(+title:red^2 title:blue^2 -title:green^2)");
  EXPECT_EQ(Parse("red NOT green"), "(+title:red^2 -title:green^2)");
  EXPECT_EQ(Parse("red AND green"), "(+title:red^2 +title:green^2)");
  EXPECT_EQ(Parse("tea OR coffee cup"), "(+(title:tea^2 title:coffe^2) +title:cup^2)");
  EXPECT_EQ(Parse("(tea OR coffee) -(decaf OR instant)"),
            "(+(title:tea^2 title:coffe^2) -(title:decaf^2 title:instant^2))");
  EXPECT_EQ(Parse("-salt"), "(+*:* -title:salt^2)");
}

TEST_F(ParserTest, PhrasesAndMultiTokenWords) {
  EXPECT_EQ(Parse("\"peanut butter\""), "title:\"peanut butter\"^2");
  EXPECT_EQ(Parse("\"peanut butter"), "title:\"peanut butter\"^2") << "lenient open quote";
  EXPECT_EQ(Parse("wi-fi"), "title:\"wi fi\"^2");
  EXPECT_EQ(Parse("\"single\""), "title:singl^2");
  EXPECT_EQ(Parse("\"\""), "*:*");
}

TEST_F(ParserTest, Fields) {
  EXPECT_EQ(Parse("body:Running"), "body:running");
  EXPECT_EQ(Parse("brand:ACME"), "brand:ACME") << "keywords are exact";
  EXPECT_EQ(Parse("brand:\"Acme Foods\""), "brand:Acme Foods");
  EXPECT_EQ(Parse("title:(red OR blue)"), "(title:red^2 title:blue^2)");
  EXPECT_EQ(Parse("ratio 1:2"), "(+title:ratio^2 +title:\"1 2\"^2)") << "not a field name";
  EXPECT_EQ(Parse("co-op"), "title:\"co op\"^2");
  EXPECT_EQ(Parse("ratio: high"), "(+title:ratio^2 +title:high^2)") << "a trailing colon is prose";
}

TEST_F(ParserTest, NumericFilters) {
  EXPECT_EQ(Parse("price:5"), "price:[5 TO 5]");
  EXPECT_EQ(Parse("price:[1.5 TO 20]"), "price:[1.5 TO 20]");
  EXPECT_EQ(Parse("price:{1 TO 20}"), "price:{1 TO 20}");
  EXPECT_EQ(Parse("price:[10 TO *]"), "price:[10 TO *]");
  EXPECT_EQ(Parse("price:[* TO 3}"), "price:[* TO 3}");
  EXPECT_EQ(Parse("price:>=5"), "price:[5 TO *]");
  EXPECT_EQ(Parse("price:>5"), "price:{5 TO *]");
  EXPECT_EQ(Parse("price:<=5"), "price:[* TO 5]");
  EXPECT_EQ(Parse("price:<-2.5"), "price:[* TO -2.5}");
  EXPECT_EQ(Parse("red price:<5"), "(+title:red^2 +price:[* TO 5})");
  EXPECT_EQ(Parse("red -price:[1 TO 2]"), "(+title:red^2 -price:[1 TO 2])");
  EXPECT_EQ(Parse("price:[1 TO 2] OR price:>9"), "(price:[1 TO 2] price:{9 TO *])");
}

TEST_F(ParserTest, ClearErrors) {
  EXPECT_EQ(Parse("(red"), "ERROR query position 0: '(' is never closed");
  EXPECT_EQ(Parse("red)"), "ERROR query position 3: ')' has no matching '('");
  EXPECT_EQ(Parse("colour:red").substr(0, 47), "ERROR query position 0: unknown field 'colour' ");
  EXPECT_EQ(Parse("red OR"), "ERROR query position 4: 'OR' needs a term on both sides");
  EXPECT_EQ(Parse("OR red"), "ERROR query position 0: an operator is missing its operand");
  EXPECT_EQ(Parse("red -"), "title:red^2") << "a lone '-' is punctuation";
  EXPECT_EQ(Parse("price:abc"),
            "ERROR query position 6: 'abc' is not a number (field 'price' has type float)");
  EXPECT_EQ(Parse("price:[1 TO"), "ERROR query position 6: range is never closed with ']' or '}'");
  EXPECT_EQ(Parse("price:[1 5]"),
            "ERROR query position 6: a range is written [low TO high] (use * for an open end)");
  EXPECT_EQ(Parse("price:>=x"),
            "ERROR query position 6: 'x' is not a number (field 'price' has type float)");
  EXPECT_NE(Parse("title:").find("needs a value"), std::string::npos);
  EXPECT_NE(Parse(std::string(5000, 'a')).find("limit"), std::string::npos);
  EXPECT_NE(Parse(std::string(40, '(') + "a" + std::string(40, ')')).find("nested too deeply"),
            std::string::npos);
}

TEST_F(ParserTest, NeverCrashesOnRandomInput) {
  std::mt19937 rng(99);
  const std::string alphabet = "ab (\")+-:ORANDNOTtitle:brand:*\\\xc3\xa9";
  for (int i = 0; i < 20000; ++i) {
    std::string q;
    const size_t len = rng() % 24;
    for (size_t k = 0; k < len; ++k) q.push_back(alphabet[rng() % alphabet.size()]);
    const std::string out = Parse(q);  // Either a query or a clear error.
    EXPECT_FALSE(out.empty());
  }
}

}  // namespace
}  // namespace libsearch::internal
