// End-to-end tests of the `libsearch` command-line tool on the bundled
// catalogue: what a user types in the README, checked for real output.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <sstream>
#include <nlohmann/json.hpp>

#include "testing/test_util.h"

namespace libsearch {
namespace {

using testing::SourcePath;
using testing::TempDir;

struct CliRun {
  int exit_code;
  std::string out;  // stdout and stderr together.
};

CliRun Cli(const std::string& args) {
  const std::string cmd = std::string(LIBSEARCH_CLI) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  CliRun r{-1, ""};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const CliRun r = Cli("index --schema " + SourcePath("examples/products/schema.json") +
                      " --input " + SourcePath("examples/products/products.jsonl.gz") +
                      " --output " + Index());
    ASSERT_EQ(r.exit_code, 0) << r.out;
    ASSERT_NE(r.out.find("indexed 10000 docs"), std::string::npos) << r.out;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Index() { return dir_->File("products.idx"); }
  static TempDir* dir_;
};
TempDir* CliTest::dir_ = nullptr;

TEST_F(CliTest, SearchJsonHasTotalHitsAndDocs) {
  const CliRun r = Cli("search " + Index() + " 'peanut butter' --k 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["total"].get<int>(), 3);
  EXPECT_TRUE(j["took_us"].is_number());
  ASSERT_EQ(j["hits"].size(), 3u);
  double prev = 1e9;
  for (const auto& hit : j["hits"]) {
    EXPECT_LE(hit["score"].get<double>(), prev);
    prev = hit["score"].get<double>();
    EXPECT_EQ(hit["doc"]["barcode"], hit["id"]);
    std::string name = hit["doc"]["product_name"];
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(name.find("peanut"), std::string::npos) << name;
  }
}

TEST_F(CliTest, FieldsAndOperatorOptions) {
  const auto and_total = nlohmann::json::parse(Cli("search " + Index() + " 'sugar salt' --json --exact-total").out)["total"];
  const auto or_total = nlohmann::json::parse(Cli("search " + Index() + " 'sugar salt' --operator or --json --exact-total").out)["total"];
  const auto or_bounded = nlohmann::json::parse(Cli("search " + Index() + " 'sugar salt' --operator or --json").out);
  EXPECT_EQ(or_bounded["total"], 1000) << "counted exactly up to the default threshold";
  EXPECT_EQ(or_bounded["total_exact"], false);
  EXPECT_GT(or_total.get<int>(), and_total.get<int>());
  const auto name_only = nlohmann::json::parse(
      Cli("search " + Index() + " sugar --fields product_name --json --exact-total").out)["total"];
  EXPECT_LT(name_only.get<int>(), and_total.get<int>() * 10);
  EXPECT_GT(name_only.get<int>(), 0);
  // BM25 parameters change scores but not which documents match.
  const auto dflt = nlohmann::json::parse(Cli("search " + Index() + " sugar --json --k 1").out);
  const auto tuned = nlohmann::json::parse(Cli("search " + Index() + " sugar --json --k 1 --k1 0.9 --b 0.4").out);
  EXPECT_EQ(dflt["total"], tuned["total"]);
  EXPECT_NE(dflt["hits"][0]["score"], tuned["hits"][0]["score"]);
  EXPECT_NE(Cli("search " + Index() + " sugar --b 2").exit_code, 0);
  const CliRun explain = Cli("search " + Index() + " 'sugar -salt' --explain");
  EXPECT_EQ(explain.out, "(+(product_name:sugar^2 ingredients:sugar) -(product_name:salt^2 ingredients:salt))\n");
}

TEST_F(CliTest, FiltersRestrictWithoutChangingScores) {
  const auto plain = nlohmann::json::parse(Cli("search " + Index() + " chocolate --json --k 1000").out);
  const auto filtered = nlohmann::json::parse(
      Cli("search " + Index() + " chocolate --json --k 5 --filter 'sugars_100g:<5' --filter is_healthy:true").out);
  ASSERT_GT(filtered["hits"].size(), 0u);
  for (const auto& hit : filtered["hits"]) {
    EXPECT_LT(hit["doc"]["sugars_100g"].get<double>(), 5.0);
    EXPECT_EQ(hit["doc"]["is_healthy"], true);
    bool found = false;  // Same score as in the unfiltered ranking.
    for (const auto& p : plain["hits"]) found |= p["id"] == hit["id"] && p["score"] == hit["score"];
    EXPECT_TRUE(found) << hit["id"];
  }
  const CliRun bad = Cli("search " + Index() + " chocolate --filter 'fat_100g:abc'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("filter 1: query position 9: 'abc' is not a number"), std::string::npos) << bad.out;
}

TEST_F(CliTest, BatchWritesTrecRunLines) {
  TempDir d;
  testing::WriteFile(d.File("q.jsonl"),
                     "{\"id\": \"q1\", \"query\": \"chocolate\"}\n{\"id\": 2, \"query\": \"olive oil\"}\n");
  const CliRun r = Cli("batch " + Index() + " --queries " + d.File("q.jsonl") + " --k 5");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::istringstream lines(r.out);
  std::string qid, q0, docid, tag;
  int rank, n = 0;
  double score;
  while (lines >> qid >> q0 >> docid >> rank >> score >> tag) {
    EXPECT_TRUE(qid == "q1" || qid == "2");
    EXPECT_EQ(q0, "Q0");
    EXPECT_EQ(tag, "libsearch");
    EXPECT_EQ(rank, n % 5 + 1);
    ++n;
  }
  EXPECT_EQ(n, 10);
  // --skip-bad reports an invalid query and runs the rest.
  testing::WriteFile(d.File("mixed.jsonl"),
                     "{\"id\": \"a\", \"query\": \"tea\"}\n{\"id\": \"b\", \"query\": \"x:y\"}\n"
                     "{\"id\": \"c\", \"query\": \"milk\"}\n");
  const CliRun mixed = Cli("batch " + Index() + " --queries " + d.File("mixed.jsonl") + " --k 1 --skip-bad");
  EXPECT_EQ(mixed.exit_code, 0) << mixed.out;
  EXPECT_NE(mixed.out.find("a Q0 "), std::string::npos) << mixed.out;
  EXPECT_NE(mixed.out.find("c Q0 "), std::string::npos) << mixed.out;
  EXPECT_NE(mixed.out.find("mixed.jsonl:2: query position 0: unknown field 'x'"), std::string::npos);
  EXPECT_EQ(Cli("batch " + Index() + " --queries " + d.File("mixed.jsonl")).exit_code, 2);
  testing::WriteFile(d.File("bad.jsonl"), "{\"id\": \"q1\"}\n");
  const CliRun bad = Cli("batch " + Index() + " --queries " + d.File("bad.jsonl"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("bad.jsonl:1"), std::string::npos) << bad.out;
}

TEST_F(CliTest, InfoAndVerify) {
  const CliRun info = Cli("info " + Index());
  ASSERT_EQ(info.exit_code, 0);
  EXPECT_NE(info.out.find("documents 10000"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("postings"), std::string::npos);
  const CliRun ok = Cli("verify " + Index());
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  // Damage one byte in the middle: verify must fail with a clear message and
  // search must report an error or answer, never crash.
  std::string bytes = testing::ReadFile(Index());
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  TempDir d;
  testing::WriteFile(d.File("bad.idx"), bytes);
  const CliRun bad = Cli("verify " + d.File("bad.idx"));
  EXPECT_EQ(bad.exit_code, 4) << bad.out;
  EXPECT_NE(bad.out.find("checksum mismatch"), std::string::npos) << bad.out;
  const CliRun search = Cli("search " + d.File("bad.idx") + " sugar");
  EXPECT_TRUE(search.exit_code == 0 || search.exit_code == 4) << search.out;
}

// "pasteuris" suggests a stem that re-analyses to a term the index lacks; the
// suggestion check once retried itself until the stack overflowed.
TEST_F(CliTest, SuggestionThatMatchesNothingEnds) {
  const CliRun r = Cli("search " + Index() + " pasteuris --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"], 0);
}

TEST_F(CliTest, UserErrorsAreClearAndExitNonZero) {
  const CliRun q = Cli("search " + Index() + " 'colour:red'");
  EXPECT_EQ(q.exit_code, 2);
  EXPECT_NE(q.out.find("unknown field 'colour'"), std::string::npos) << q.out;
  const CliRun missing = Cli("search /nonexistent/x.idx sugar");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.out.find("/nonexistent/x.idx"), std::string::npos);
  TempDir d;
  testing::WriteFile(d.File("in.jsonl"), "{\"barcode\": \"1\"}\n{\"barcode\": \"1\"}\n");
  const CliRun dup = Cli("index --schema " + SourcePath("examples/products/schema.json") +
                      " --input " + d.File("in.jsonl") + " --output " + d.File("o.idx"));
  EXPECT_EQ(dup.exit_code, 2);
  EXPECT_NE(dup.out.find("in.jsonl:2: duplicate id '1'"), std::string::npos) << dup.out;
  EXPECT_FALSE(std::filesystem::exists(d.File("o.idx")));
  const CliRun skip = Cli("index --skip-bad --schema " + SourcePath("examples/products/schema.json") +
                       " --input " + d.File("in.jsonl") + " --output " + d.File("o.idx"));
  EXPECT_EQ(skip.exit_code, 0) << skip.out;
  EXPECT_NE(skip.out.find("indexed 1 docs (1 bad lines skipped)"), std::string::npos) << skip.out;
  EXPECT_EQ(Cli("--help").exit_code, 0);
  EXPECT_NE(Cli("search --help").out.find("--operator"), std::string::npos);
}

}  // namespace
}  // namespace libsearch
