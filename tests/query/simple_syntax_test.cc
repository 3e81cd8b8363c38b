// QuerySyntax::kSimple: never an error on any text (only max_query_bytes),
// malformed syntax read as plain words, and every query that kFull accepts
// (its quotes paired) read exactly as kFull reads it.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "query/query.h"
#include "testing/rounds.h"
#include "testing/test_util.h"
#include "util/utf8.h"

namespace libsearch {
namespace {

// ------------------------------------------------ Parser, literal trees

class SimpleParseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Schema::FromJson(R"({"id": "sku", "fields": {
        "title": {"type": "text"},
        "brand": {"type": "keyword"},
        "price": {"type": "float"},
        "url": {"type": "keyword", "indexed": false, "stored": true}}})");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    schema_ = std::make_unique<Schema>(std::move(*s));
    analysis::AnalyzerOptions none;
    none.language = "none";  // Unstemmed: the expected strings read as typed.
    auto a = analysis::Analyzer::Create(none);
    ASSERT_TRUE(a.ok());
    analyzer_ = std::move(*a);
    analyzers_ = {nullptr, analyzer_.get(), nullptr, nullptr, nullptr};
  }

  std::string Parse(const std::string& q, QuerySyntax syntax = QuerySyntax::kSimple) {
    internal::ParseOptions po;
    po.syntax = syntax;
    const uint32_t fields[] = {1};
    po.default_fields = fields;
    auto r = internal::ParseQuery(q, *schema_, analyzers_, po);
    if (!r.ok()) return "ERROR " + r.status().message();
    return (*r)->ToString(*schema_);
  }

  std::unique_ptr<Schema> schema_;
  std::unique_ptr<analysis::Analyzer> analyzer_;
  std::vector<const analysis::Analyzer*> analyzers_;
};

TEST_F(SimpleParseTest, MalformedSyntaxIsReadAsWords) {
  struct Case {
    const char* query;
    const char* simple;  // What kSimple makes of it.
  };
  const Case cases[] = {
      {"alpha (+)- thalassemia", "(+title:alpha +title:thalassemia)"},
      {"star wars:the clone wars", "(+title:star +title:wars +title:the +title:clone +title:wars)"},
      {"usb c:hdmi adapter", "(+title:usb +title:c +title:hdmi +title:adapter)"},
      {"OR", "title:or"},
      {"red OR", "(+title:red +title:or)"},
      {"OR red", "(+title:or +title:red)"},
      {"red OR OR blue", "(+title:red +(title:or title:blue))"},
      {"red OR -blue", "(+title:red +title:or -title:blue)"},
      {"tea NOT", "(+title:tea +title:not)"},
      {"tea +)", "title:tea"},
      {"tea +NOT milk", "(+title:tea +title:not +title:milk)"},
      {"tea -AND", "(+title:tea -title:and)"},
      {"tea +OR", "(+title:tea +title:or)"},
      {"(red", "title:red"},
      {"red)", "title:red"},
      {")red (blue OR green", "(+title:red +(title:blue title:green))"},
      {"(red) blue)", "(+title:red +title:blue)"},
      {"-(", "*:*"},
      {"title:", "title:title"},
      {"title: red", "(+title:title +title:red)"},
      {"title:-red", "(+title:title +title:red)"},
      {"title:OR red", "(+title:title +title:or +title:red)"},
      {"url:x", "(+title:url +title:x)"},
      {"colour:red", "(+title:colour +title:red)"},
      {"price:abc", "(+title:price +title:abc)"},
      {"price:[1 TO", "(+title:price +title:1 +title:to)"},
      {"price:[1 5]", "(+title:price +title:1 +title:5)"},
      {"price:>=x cheap", "(+title:price +title:x +title:cheap)"},
      {"48\" sliding barn door", "(+title:48 +title:sliding +title:barn +title:door)"},
      {"\"barn door", "(+title:barn +title:door)"},
      {"\"red shoes\" 48\" oak rack", "(+title:\"red shoes\" +title:48 +title:oak +title:rack)"},
      {"48\" \"barn door\"", "(+title:48 +title:\"barn door\")"},
      {"a \"b c\" d\" e f", "(+title:a +title:\"b c\" +title:d +title:e +title:f)"},
      {")(", "*:*"},
      {"(+)", "*:*"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Parse(c.query), c.simple) << c.query;
    // kFull rejects each, or (an unpaired quote) reads it otherwise.
    EXPECT_NE(Parse(c.query, QuerySyntax::kFull), c.simple) << c.query;
  }
  // Read as kFull reads them (punctuation-only queries are no error there).
  EXPECT_EQ(Parse("red -"), "title:red");
  EXPECT_EQ(Parse("!?* ~^ ]["), "*:*");
}

TEST_F(SimpleParseTest, WellFormedSyntaxKeepsItsMeaning) {
  for (const char* q :
       {"+red -green blue", "red NOT green", "tea OR coffee cup", "title:(red OR blue) -brand:Acme",
        "\"red shoes\" -\"blue suede\"", "price:[1 TO 5] price:>2", "(a (b OR (c -d)))",
        "12\" x 18\" pan", "ratio: 1", "ratio 1:2", "red AND blue"}) {
    const std::string full = Parse(q, QuerySyntax::kFull);
    EXPECT_EQ(full.rfind("ERROR ", 0), std::string::npos) << q << ": " << full;
    EXPECT_EQ(Parse(q), full) << q;
  }
  // kFull runs an unterminated quote to the end; kSimple leaves it out.
  EXPECT_EQ(Parse("\"barn door", QuerySyntax::kFull), "title:\"barn door\"");
}

TEST_F(SimpleParseTest, LimitsDegradeExceptTheByteLimit) {
  // Nesting beyond max_depth (32) is flattened, not refused.
  const std::string deep = std::string(40, '(') + "a OR (b c)" + std::string(40, ')');
  EXPECT_NE(Parse(deep, QuerySyntax::kFull).find("nested too deeply"), std::string::npos);
  EXPECT_EQ(Parse(deep), "(+(title:a title:b) +title:c)");
  // Structure above the limit survives.
  const std::string mixed = "x -(" + std::string(40, '(') + "y" + std::string(40, ')') + ")";
  EXPECT_EQ(Parse(mixed), "(+title:x -title:y)");
  // More than max_clauses (1024): the first 1024 clauses.
  std::string many, first;
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 1100; ++i) {
    const std::string w = {digits[i / 36], digits[i % 36]};  // 3 bytes a word: under 4096.
    many += w + " ";
    if (i < 1024) first += w + " ";
  }
  EXPECT_NE(Parse(many, QuerySyntax::kFull).find("more than 1024 clauses"), std::string::npos);
  EXPECT_EQ(Parse(many), Parse(first, QuerySyntax::kFull));
  const std::string grouped = "(" + many + ") z";
  EXPECT_EQ(Parse(grouped), Parse(first, QuerySyntax::kFull)) << "the cap ends the query";
  // The byte limit stays an error: cutting the query silently would search
  // for something else than what was sent.
  const std::string big(5000, 'a');
  EXPECT_NE(Parse(big).find("the limit is 4096"), std::string::npos);
}

TEST_F(SimpleParseTest, InvalidUtf8IsNoError) {
  for (const std::string& q :
       {std::string("caf\xc3"), std::string("\xff\xfe red"),
        std::string("re\xed\xa0\x80"
                    "d \"\xc3\""),
        std::string("title:\xff"), std::string("brand:\xc3 x"), std::string("a\0b", 3)}) {
    const std::string simple = Parse(q);
    EXPECT_EQ(simple.rfind("ERROR", 0), std::string::npos) << simple;
    EXPECT_EQ(simple, Parse(q, QuerySyntax::kFull)) << "well-formed: the same in both";
  }
  EXPECT_EQ(Parse("red\xff"
                  "blue"),
            "title:\"red blue\"")
      << "a bad byte separates, as '-'";
}

// -------------------------------------------- Index::Search, catalogue

// Punctuation, operators, field names (known and not), numbers, Unicode,
// and invalid UTF-8, mixed at random.
std::string RandomText(std::mt19937* rng) {
  static const std::vector<std::string> kPieces = {"(",
                                                   ")",
                                                   "\"",
                                                   "\"",
                                                   "+",
                                                   "-",
                                                   ":",
                                                   "[",
                                                   "]",
                                                   "{",
                                                   "}",
                                                   "*",
                                                   "<",
                                                   ">",
                                                   "=",
                                                   "^",
                                                   "~",
                                                   "\\",
                                                   "/",
                                                   "!",
                                                   "?",
                                                   "&",
                                                   "|",
                                                   "'",
                                                   ",",
                                                   ".",
                                                   " ",
                                                   " ",
                                                   " ",
                                                   "\t",
                                                   "\n",
                                                   "OR",
                                                   "OR",
                                                   "AND",
                                                   "NOT",
                                                   "||",
                                                   "&&",
                                                   "TO",
                                                   "or",
                                                   "product_name:",
                                                   "ingredients:",
                                                   "fat_100g:",
                                                   "sugars_100g:",
                                                   "country:",
                                                   "is_healthy:",
                                                   "image_url:",
                                                   "nutrition_band:",
                                                   "barcode:",
                                                   "colour:",
                                                   "wars:",
                                                   "c:",
                                                   "x.y:",
                                                   "_a:",
                                                   "fat_100g:[",
                                                   "sugars_100g:<",
                                                   "salt_100g:>=",
                                                   " TO ",
                                                   "[1 TO 5]",
                                                   "{* TO 2]",
                                                   "chocolate",
                                                   "milk",
                                                   "sugar",
                                                   "organic",
                                                   "peanut",
                                                   "butter",
                                                   "tea",
                                                   "usb",
                                                   "yogurt",
                                                   "soft",
                                                   "drink",
                                                   "the",
                                                   "a",
                                                   "chocolat",
                                                   "orgnic",
                                                   "iphone15",
                                                   "wi-fi",
                                                   "USA/Canada",
                                                   "1",
                                                   "2.5",
                                                   "-3",
                                                   "48",
                                                   "1e308",
                                                   "nan",
                                                   "inf",
                                                   "0x1F",
                                                   "5'11",
                                                   "1,5",
                                                   "\xc3\xa9",
                                                   "\xe6\x97\xa5\xe6\x9c\xac",
                                                   "\xf0\x9f\x98\x80",
                                                   "cafe\xcc\x81",
                                                   "\xe2\x85\xab",
                                                   "\xc3\x9f",
                                                   "\xd7\x90",
                                                   "\xef\xbc\x82",
                                                   "\xe2\x80\x9c",
                                                   "\xc2\xa0",
                                                   "\xff",
                                                   "\xc3",
                                                   "\xe2\x82",
                                                   "\xed\xa0\x80",
                                                   "\xf8\x88\x80\x80\x80",
                                                   "\xc0\xaf",
                                                   std::string(1, '\0')};
  std::string q;
  const int shape = static_cast<int>((*rng)() % 1000);
  if (shape < 10) {  // Deep nesting.
    const size_t n = 20 + (*rng)() % 60;
    for (size_t i = 0; i < n; ++i) q += (*rng)() % 4 ? "(" : "(a OR ";
    q += "b";
    for (size_t i = 0; i < n; ++i) q += ")";
    return q;
  }
  if (shape < 12) {  // Long, near the byte limit.
    while (q.size() < 4000) q += kPieces[(*rng)() % kPieces.size()] + " ";
    q.resize(std::min<size_t>(q.size(), 4096));
    return q;
  }
  if (shape < 100) {  // Raw bytes.
    const size_t n = (*rng)() % 24;
    for (size_t i = 0; i < n; ++i) q.push_back(static_cast<char>((*rng)() % 256));
    return q;
  }
  const size_t n = (*rng)() % 14;
  for (size_t i = 0; i < n; ++i) {
    q += kPieces[(*rng)() % kPieces.size()];
    if ((*rng)() % 2) q += ' ';
  }
  return q;
}

class SimpleSearchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ASSERT_OK(testing::BuildBundledCatalogue(dir_->File("p.idx")));
    ASSERT_OK_AND_ASSIGN(auto synonyms,
                         LoadSynonyms(testing::SourcePath("examples/products/synonyms.txt")));
    OpenOptions open;
    open.synonyms = synonyms;
    ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("p.idx"), open));
    index_ = index.release();
  }
  static void TearDownTestSuite() {
    delete index_;
    delete dir_;
  }

  static SearchRequest Request(const std::string& q, QuerySyntax syntax) {
    SearchRequest req;
    req.query = q;
    req.syntax = syntax;
    req.include_docs = false;
    req.suggest = false;
    return req;
  }

  static testing::TempDir* dir_;
  static Index* index_;
};
testing::TempDir* SimpleSearchTest::dir_ = nullptr;
Index* SimpleSearchTest::index_ = nullptr;

// The hits as (id, score) pairs.
std::vector<std::pair<std::string, float>> Hits(const SearchResponse& r) {
  std::vector<std::pair<std::string, float>> out;
  for (const Hit& h : r.hits) out.emplace_back(h.id, h.score);
  return out;
}

TEST_F(SimpleSearchTest, IssueExamplesSearchTheirWords) {
  // Each malformed query finds what its words, written plainly, find.
  const std::pair<const char*, const char*> cases[] = {
      {"alpha (+)- thalassemia", "alpha thalassemia"},
      {"star wars:the clone wars", "star wars the clone wars"},
      {"usb c:hdmi adapter", "usb c hdmi adapter"},
      {"OR", "or"},
      {"organic (peanut butter", "organic peanut butter"},
      {"peanut butter)", "peanut butter"},
      {"48\" sliding barn door", "48 sliding barn door"},
      {"70\" dark chocolate", "70 dark chocolate"},
      {"fat_100g:[5 TO", "fat_100g 5 TO"},
      {"fat_100g:high protein", "fat_100g high protein"},
      {"sugar OR", "sugar or"},
      {"milk NOT", "milk not"},
      {"product_name:", "product_name"},
      {"image_url:jpg", "image_url jpg"},
      {"colour:red apple", "colour red apple"},
      {"((((((((((((((((((((((((((((((((((((((((chocolate))))))))))))))))))))))))))))))))))))))))",
       "chocolate"},
  };
  for (const auto& [query, words] : cases) {
    ASSERT_OK_AND_ASSIGN(std::string simple,
                         index_->ExplainQuery(Request(query, QuerySyntax::kSimple)));
    ASSERT_OK_AND_ASSIGN(std::string plain,
                         index_->ExplainQuery(Request(words, QuerySyntax::kFull)));
    EXPECT_EQ(simple, plain) << query;
    // Full syntax refuses each, or runs the inch mark's phrase to the end.
    const auto full = index_->ExplainQuery(Request(query, QuerySyntax::kFull));
    EXPECT_TRUE(!full.ok() || *full != plain) << query;
    ASSERT_OK_AND_ASSIGN(SearchResponse a, index_->Search(Request(query, QuerySyntax::kSimple)));
    ASSERT_OK_AND_ASSIGN(SearchResponse b, index_->Search(Request(words, QuerySyntax::kFull)));
    EXPECT_EQ(a.total, b.total) << query;
    EXPECT_EQ(Hits(a), Hits(b)) << query;
  }
  // Real hits, so the comparisons above compare something.
  ASSERT_OK_AND_ASSIGN(SearchResponse butter,
                       index_->Search(Request("organic (peanut butter", QuerySyntax::kSimple)));
  EXPECT_GT(butter.total, 0u);
  ASSERT_OK_AND_ASSIGN(SearchResponse usb,
                       index_->Search(Request("usb c:hdmi adapter", QuerySyntax::kSimple)));
  (void)usb;
}

TEST_F(SimpleSearchTest, DefaultIsSimpleAndFiltersStayFull) {
  SearchRequest req;
  req.query = "colour:red (apple";
  EXPECT_OK(index_->Search(req).status());
  req.filters = {"fat_100g:[1 TO"};
  const auto r = index_->Search(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("filter 1: "), std::string::npos) << r.status().message();
  req.query = std::string(5000, 'a');
  req.filters.clear();
  EXPECT_EQ(index_->Search(req).status().code(), StatusCode::kInvalidArgument) << "byte limit";
}

TEST_F(SimpleSearchTest, SynonymsCanBeTurnedOffPerRequest) {
  SearchRequest req = Request("yoghurt", QuerySyntax::kSimple);
  ASSERT_OK_AND_ASSIGN(std::string with, index_->ExplainQuery(req));
  EXPECT_NE(with.find("yogurt"), std::string::npos) << with;
  req.synonyms = false;
  ASSERT_OK_AND_ASSIGN(std::string without, index_->ExplainQuery(req));
  EXPECT_EQ(without.find("yogurt"), std::string::npos) << without;
  EXPECT_NE(without.find("yoghurt"), std::string::npos) << without;
  ASSERT_OK_AND_ASSIGN(SearchResponse a, index_->Search(Request("yoghurt", QuerySyntax::kSimple)));
  ASSERT_OK_AND_ASSIGN(SearchResponse b, index_->Search(req));
  EXPECT_GT(a.total, b.total) << "yogurt adds matches";
}

TEST_F(SimpleSearchTest, RandomTextNeverFails) {
  std::mt19937 rng(20240611);
  constexpr int kStrings = testing::Rounds(100000);
  constexpr int kSearchEvery = 25;  // 4,000 of them run the whole search too.
  int same_as_full = 0, full_errors = 0;
  for (int i = 0; i < kStrings; ++i) {
    const std::string q = RandomText(&rng);
    SearchRequest req = Request(q, QuerySyntax::kSimple);
    req.prefix_last = i % 3 == 0;
    req.typos = i % 5 == 0;
    req.default_operator = i % 7 == 0 ? Operator::kOr : Operator::kAnd;
    const auto simple = index_->ExplainQuery(req);
    if (!internal::IsValidUtf8(q)) {
      // Any UTF-8 text is a query; other bytes are refused before parsing.
      ASSERT_EQ(simple.status().code(), StatusCode::kInvalidArgument) << "query #" << i;
      ASSERT_NE(simple.status().message().find("is not valid UTF-8 at byte offset"),
                std::string::npos);
      continue;
    }
    ASSERT_TRUE(simple.ok()) << "query #" << i << " " << ::testing::PrintToString(q) << ": "
                             << simple.status().ToString();
    req.syntax = QuerySyntax::kFull;
    const auto full = index_->ExplainQuery(req);
    if (!full.ok()) {
      ++full_errors;
    } else if (std::count(q.begin(), q.end(), '"') % 2 == 0) {
      // Accepted as written (no unterminated phrase): the same reading.
      ASSERT_EQ(*simple, *full) << "query #" << i << " " << ::testing::PrintToString(q);
      ++same_as_full;
    }
    if (i % kSearchEvery == 0) {
      req.syntax = QuerySyntax::kSimple;
      const auto r = index_->Search(req);
      ASSERT_TRUE(r.ok()) << "query #" << i << " " << ::testing::PrintToString(q) << ": "
                          << r.status().ToString();
    }
  }
  // Both branches were exercised in earnest.
  EXPECT_GT(full_errors, kStrings / 10);
  EXPECT_GT(same_as_full, kStrings / 10);
  std::printf("%d random strings: %d rejected by full syntax, %d read the same in both\n", kStrings,
              full_errors, same_as_full);
}

// Well-formed queries from the grammar of query.h.
class QueryGrammar {
 public:
  explicit QueryGrammar(uint32_t seed) : rng_(seed) {}

  std::string Query() { return Clauses(0); }

 private:
  size_t Pick(size_t n) { return rng_() % n; }
  std::string Word() {
    static const char* kWords[] = {
        "chocolate", "milk",    "sugar", "organic", "peanut", "butter",  "salt",   "water",
        "cheese",    "tea",     "green", "dark",    "wheat",  "flour",   "oil",    "soy",
        "rice",      "juice",   "apple", "orange",  "yogurt", "yoghurt", "crisps", "chips",
        "soda",      "pop",     "cocoa", "vanilla", "bread",  "pasta",   "tomato", "sauce",
        "Chocolat",  "biscuit", "corn",  "syrup",   "70%",    "500g",    "wi-fi",  "ratio:"};
    return kWords[Pick(std::size(kWords))];
  }
  std::string Phrase() {
    std::string p = "\"" + Word();
    for (size_t n = 1 + Pick(2); n > 0; --n) p += " " + Word();
    return p + "\"";
  }
  std::string Number() {
    static const char* kNumbers[] = {"0", "1", "2.5", "5", "10", "30", "0.4", "*"};
    return kNumbers[Pick(std::size(kNumbers))];
  }
  std::string Numeric() {
    static const char* kFields[] = {"fat_100g", "sugars_100g", "proteins_100g", "salt_100g"};
    const std::string f = std::string(kFields[Pick(std::size(kFields))]) + ":";
    std::string lo = Number(), hi = Number();
    switch (Pick(4)) {
      case 0: return f + (Pick(2) ? "[" : "{") + lo + " TO " + hi + (Pick(2) ? "]" : "}");
      case 1: return f + (Pick(2) ? ">" : "<=") + (lo == "*" ? "3" : lo);
      case 2: return f + (hi == "*" ? "1" : hi);
      default: return f + ">=" + (lo == "*" ? "7" : lo);
    }
  }
  std::string Primary(size_t depth) {
    switch (Pick(depth < 3 ? 9 : 7)) {
      case 0:
      case 1:
      case 2: return Word();
      case 3: return Phrase();
      case 4:
        return std::string(Pick(2) ? "product_name:" : "ingredients:") +
               (Pick(3) == 0 ? Phrase() : Word());
      case 5:
        switch (Pick(4)) {
          case 0: return "country:\"USA/Canada\"";
          case 1: return "country:France";
          case 2: return std::string("nutrition_band:") + (Pick(2) ? "red" : "green");
          default: return "is_healthy:true";
        }
      case 6: return Numeric();
      case 7: return "product_name:(" + Word() + " OR " + Word() + ")";
      default: return "(" + Clauses(depth + 1) + ")";
    }
  }
  std::string OrGroup(size_t depth) {
    std::string g = Primary(depth);
    for (size_t n = Pick(4) == 0 ? 1 + Pick(2) : 0; n > 0; --n) g += " OR " + Primary(depth);
    return g;
  }
  std::string Clauses(size_t depth) {
    std::string out;
    for (size_t n = 1 + Pick(4); n > 0; --n) {
      if (!out.empty()) out += Pick(6) == 0 ? " AND " : " ";
      switch (Pick(8)) {
        case 0: out += "+"; break;
        case 1: out += "-"; break;
        case 2: out += "NOT "; break;
        default: break;
      }
      out += OrGroup(depth);
    }
    return out;
  }

  std::mt19937 rng_;
};

TEST_F(SimpleSearchTest, WellFormedQueriesSearchTheSameInBothModes) {
  QueryGrammar grammar(7);
  constexpr int kQueries = testing::Rounds(1500);
  int with_hits = 0;
  for (int i = 0; i < kQueries; ++i) {
    const std::string q = grammar.Query();
    SearchRequest req = Request(q, QuerySyntax::kFull);
    req.k = 20;
    req.prefix_last = i % 4 == 0;
    req.typos = i % 3 == 0;
    req.default_operator = i % 5 == 0 ? Operator::kOr : Operator::kAnd;
    ASSERT_OK_AND_ASSIGN(std::string full_tree, index_->ExplainQuery(req));
    ASSERT_OK_AND_ASSIGN(SearchResponse full, index_->Search(req));
    req.syntax = QuerySyntax::kSimple;
    ASSERT_OK_AND_ASSIGN(std::string simple_tree, index_->ExplainQuery(req));
    ASSERT_OK_AND_ASSIGN(SearchResponse simple, index_->Search(req));
    ASSERT_EQ(simple_tree, full_tree) << q;
    ASSERT_EQ(simple.total, full.total) << q;
    ASSERT_EQ(simple.total_exact, full.total_exact) << q;
    ASSERT_EQ(Hits(simple), Hits(full)) << q;
    with_hits += !full.hits.empty();
  }
  EXPECT_GT(with_hits, kQueries / 5) << "the grammar should find things";
}

// JSON lines {"id", "query"}.
std::vector<std::pair<std::string, std::string>> ReadQueries(const std::string& rel) {
  std::vector<std::pair<std::string, std::string>> out;
  std::ifstream in(testing::SourcePath(rel));
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    out.emplace_back(j.at("id").get<std::string>(), j.at("query").get<std::string>());
  }
  return out;
}

TEST_F(SimpleSearchTest, RealQuerySetsNeverFail) {
  const auto scifact = ReadQueries("tests/data/scifact_test_claims.jsonl");
  const auto game = ReadQueries("tests/data/benchmark_game_queries.jsonl");
  ASSERT_EQ(scifact.size(), 300u);
  ASSERT_EQ(game.size(), 962u);
  for (const auto* set : {&scifact, &game}) {
    int full_errors = 0;
    for (const auto& [id, q] : *set) {
      const auto r = index_->Search(Request(q, QuerySyntax::kSimple));
      EXPECT_TRUE(r.ok()) << id << " " << q << ": " << r.status().ToString();
      full_errors += !index_->Search(Request(q, QuerySyntax::kFull)).ok();
    }
    std::printf("%zu queries: 0 errors in simple syntax, %d in full\n", set->size(), full_errors);
  }
}

// The SciFact claims indexed as documents: every claim, searched in simple
// syntax, finds itself (its words, read plainly, are all in it).
TEST(SimpleSyntaxSciFact, EveryClaimFindsItself) {
  const auto claims = ReadQueries("tests/data/scifact_test_claims.jsonl");
  ASSERT_EQ(claims.size(), 300u);
  auto schema =
      Schema::FromJson(R"({"id": "id", "fields": {"claim": {"type": "text", "language": "en"}}})");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  std::vector<std::string> docs;
  for (const auto& [id, q] : claims)
    docs.push_back(nlohmann::json({{"id", id}, {"claim", q}}).dump());
  testing::TempDir dir;
  ASSERT_OK(testing::BuildIndex(*schema, docs, dir.File("c.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("c.idx")));
  int full_errors = 0;
  for (const auto& claim : claims) {
    const std::string& id = claim.first;  // Not a structured binding: clang 14 cannot capture one.
    const std::string& q = claim.second;
    SearchRequest req;
    req.query = q;
    req.k = 300;
    req.include_docs = false;
    ASSERT_OK_AND_ASSIGN(SearchResponse r, index->Search(req));
    const bool found =
        std::any_of(r.hits.begin(), r.hits.end(), [&](const Hit& h) { return h.id == id; });
    EXPECT_TRUE(found) << id << " " << q << "\n  read as " << *index->ExplainQuery(req);
    req.syntax = QuerySyntax::kFull;
    full_errors += !index->Search(req).ok();
  }
  std::printf("300 claims find themselves; full syntax rejects %d\n", full_errors);
}

}  // namespace
}  // namespace libsearch
