// End-to-end tests of the `libsearch` command-line tool on the bundled
// catalogue: what a user types in the README, checked for real output.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

#include "libsearch/index.h"
#include "libsearch/version.h"
#include "testing/cli_run.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using testing::SourcePath;
using testing::TempDir;

using testing::Cli;
using testing::CliRun;

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const CliRun r =
        Cli("index --schema " + SourcePath("examples/products/schema.json") + " --input " +
            SourcePath("examples/products/products.jsonl.gz") + " --output " + Index());
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
  const auto and_total = nlohmann::json::parse(
      Cli("search " + Index() + " 'sugar salt' --json --exact-total").out)["total"];
  const auto or_total = nlohmann::json::parse(
      Cli("search " + Index() + " 'sugar salt' --operator or --json --exact-total").out)["total"];
  const auto or_bounded =
      nlohmann::json::parse(Cli("search " + Index() + " 'sugar salt' --operator or --json").out);
  EXPECT_EQ(or_bounded["total"], 1000) << "counted exactly up to the default threshold";
  EXPECT_EQ(or_bounded["total_exact"], false);
  EXPECT_GT(or_total.get<int>(), and_total.get<int>());
  const auto name_only = nlohmann::json::parse(
      Cli("search " + Index() + " sugar --fields product_name --json --exact-total").out)["total"];
  EXPECT_LT(name_only.get<int>(), and_total.get<int>() * 10);
  EXPECT_GT(name_only.get<int>(), 0);
  // BM25 parameters change scores but not which documents match.
  const auto dflt = nlohmann::json::parse(Cli("search " + Index() + " sugar --json --k 1").out);
  const auto tuned =
      nlohmann::json::parse(Cli("search " + Index() + " sugar --json --k 1 --k1 0.9 --b 0.4").out);
  EXPECT_EQ(dflt["total"], tuned["total"]);
  EXPECT_NE(dflt["hits"][0]["score"], tuned["hits"][0]["score"]);
  EXPECT_NE(Cli("search " + Index() + " sugar --b 2").exit_code, 0);
  const CliRun explain = Cli("search " + Index() + " 'sugar -salt' --explain");
  EXPECT_EQ(
      explain.out,
      "(+(product_name:sugar^5 ingredients:sugar) -(product_name:salt^5 ingredients:salt))\n");
}

TEST_F(CliTest, FiltersRestrictWithoutChangingScores) {
  const auto plain =
      nlohmann::json::parse(Cli("search " + Index() + " chocolate --json --k 1000").out);
  const auto filtered = nlohmann::json::parse(
      Cli("search " + Index() +
          " chocolate --json --k 5 --filter 'sugars_100g:<5' --filter is_healthy:true")
          .out);
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
  EXPECT_NE(bad.out.find("filter 1: query position 9: 'abc' is not a number"), std::string::npos)
      << bad.out;
}

TEST_F(CliTest, BatchWritesTrecRunLines) {
  TempDir d;
  testing::WriteFile(
      d.File("q.jsonl"),
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
  // --skip-bad reports an invalid request and runs the rest. In the default
  // simple syntax "x:y" is two words; --syntax full makes it an error.
  testing::WriteFile(d.File("mixed.jsonl"),
                     "{\"id\": \"a\", \"query\": \"tea\"}\n{\"id\": \"b\", \"query\": \"x:y\"}\n"
                     "{\"id\": \"c\", \"query\": \"milk\", \"k\": 2}\n");
  const CliRun simple = Cli("batch " + Index() + " --queries " + d.File("mixed.jsonl") + " --k 1");
  EXPECT_EQ(simple.exit_code, 0) << simple.out;
  const CliRun mixed = Cli("batch " + Index() + " --queries " + d.File("mixed.jsonl") +
                           " --k 1 --skip-bad --syntax full");
  EXPECT_EQ(mixed.exit_code, 0) << mixed.out;
  EXPECT_NE(mixed.out.find("a Q0 "), std::string::npos) << mixed.out;
  EXPECT_NE(mixed.out.find("c Q0 "), std::string::npos) << mixed.out;
  // A line's own keys override the flags: "c" asked for 2 hits.
  EXPECT_NE(mixed.out.find("c Q0 ", mixed.out.find("c Q0 ") + 1), std::string::npos) << mixed.out;
  EXPECT_NE(mixed.out.find("mixed.jsonl:2: query position 0: unknown field 'x'"),
            std::string::npos);
  EXPECT_EQ(
      Cli("batch " + Index() + " --queries " + d.File("mixed.jsonl") + " --syntax full").exit_code,
      2);
  for (const char* line : {"{\"query\": \"tea\"}", "[1]", "{\"id\": 1, \"k\": \"ten\"}",
                           "{\"id\": 1, \"colour\": 1}"}) {
    testing::WriteFile(d.File("bad.jsonl"), std::string(line) + "\n");
    const CliRun bad = Cli("batch " + Index() + " --queries " + d.File("bad.jsonl"));
    EXPECT_EQ(bad.exit_code, 2) << line;
    EXPECT_NE(bad.out.find("bad.jsonl:1"), std::string::npos) << bad.out;
  }
}

// batch --format json: every response key per line, with the line's id as given.
TEST_F(CliTest, BatchJsonCarriesEveryResponseKey) {
  TempDir d;
  testing::WriteFile(
      d.File("q.jsonl"),
      "{\"id\": 7, \"query\": \"choclate\", \"typos\": true, \"facets\": [\"country\"], "
      "\"sort\": \"sugars_100g:desc\", \"highlight\": [\"product_name\"], \"k\": 2}\n"
      "{\"id\": \"zero\", \"query\": \"chocolatte biscuitz\"}\n");
  const CliRun r = Cli("batch " + Index() + " --queries " + d.File("q.jsonl") + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> out;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] == '{') out.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(out.size(), 2u) << r.out;
  EXPECT_EQ(out[0]["id"], 7);
  EXPECT_EQ(out[0]["hits"].size(), 2u);
  EXPECT_TRUE(out[0]["facets"].contains("country"));
  EXPECT_TRUE(out[0]["hits"][0].contains("highlights"));
  EXPECT_TRUE(out[0]["next_cursor"].is_string());
  EXPECT_GE(out[0]["hits"][0]["doc"]["sugars_100g"].get<double>(),
            out[0]["hits"][1]["doc"]["sugars_100g"].get<double>());
  EXPECT_EQ(out[1]["id"], "zero");
  EXPECT_EQ(out[1]["total"], 0);
  EXPECT_TRUE(out[1]["suggestion"].is_string()) << out[1];
}

// What people type never fails in the simple syntax: the 300 SciFact test
// claims, the 962 search-benchmark-game queries and 100,000 fuzzed strings
// all run through `batch` with no error (and under ASan in make test-asan).
TEST_F(CliTest, BatchSimpleSyntaxNeverFails) {
  for (const char* file :
       {"tests/data/scifact_test_claims.jsonl", "tests/data/benchmark_game_queries.jsonl"}) {
    const CliRun r =
        Cli("batch " + Index() + " --queries " + SourcePath(file) + " --k 3 --operator or");
    EXPECT_EQ(r.exit_code, 0) << file << ": " << r.out.substr(0, 2000);
    EXPECT_EQ(r.out.find("libsearch:"), std::string::npos) << r.out.substr(0, 2000);
    EXPECT_GT(std::count(r.out.begin(), r.out.end(), '\n'), 300) << file;
  }
  // Fuzzed strings: syntax characters, operators, field names (known, unknown,
  // numeric), quotes, non-ASCII letters and control characters, mixed.
  static const char* const kPieces[] = {"(",
                                        ")",
                                        "\"",
                                        "+",
                                        "-",
                                        ":",
                                        "OR",
                                        "AND",
                                        "NOT",
                                        "[",
                                        "]",
                                        "{",
                                        "}",
                                        "*",
                                        "<",
                                        ">",
                                        "=",
                                        ">=",
                                        "TO",
                                        "^",
                                        "~",
                                        "\\",
                                        "/",
                                        "'",
                                        ",",
                                        ".",
                                        "!",
                                        "?",
                                        "&",
                                        "|",
                                        "#",
                                        "%",
                                        "$",
                                        "@",
                                        " ",
                                        " ",
                                        " ",
                                        "\t",
                                        "\x01",
                                        "tea",
                                        "milk",
                                        "chocolate",
                                        "choc",
                                        "product_name:",
                                        "sugars_100g:",
                                        "country:",
                                        "is_healthy:",
                                        "barcode:",
                                        "colour:",
                                        "wars:",
                                        "c:",
                                        "1:",
                                        "48",
                                        "0.5",
                                        "-3",
                                        "1e400",
                                        "\xc3\xa9",
                                        "\xc3\x9f",
                                        "\xf0\x9f\x8d\xab",
                                        "\xe4\xb8\xad\xe6\x96\x87",
                                        "\xcc\x80",
                                        "cr\xc3\xa8me",
                                        "\xff",
                                        "x"};
  std::mt19937 rng(15);
  std::uniform_int_distribution<size_t> piece(0, std::size(kPieces) - 1), len(0, 12);
  std::string lines;
  for (int i = 0; i < 100000; ++i) {
    std::string q;
    for (size_t n = len(rng); n > 0; --n) q += kPieces[piece(rng)];
    const nlohmann::json line = {{"id", i}, {"query", q}};
    lines += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  TempDir d;
  testing::WriteFile(d.File("fuzz.jsonl"), lines);
  const CliRun fuzz = Cli("batch " + Index() + " --queries " + d.File("fuzz.jsonl") + " --k 1");
  EXPECT_EQ(fuzz.exit_code, 0) << fuzz.out.substr(0, 2000);
  EXPECT_EQ(fuzz.out.find("libsearch:"), std::string::npos) << fuzz.out.substr(0, 2000);
  // The same strings in the full syntax do fail, so the test is not vacuous.
  const CliRun full =
      Cli("batch " + Index() + " --queries " + d.File("fuzz.jsonl") + " --k 1 --syntax full");
  EXPECT_EQ(full.exit_code, 2);
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
  const CliRun skip =
      Cli("index --skip-bad --schema " + SourcePath("examples/products/schema.json") + " --input " +
          d.File("in.jsonl") + " --output " + d.File("o.idx"));
  EXPECT_EQ(skip.exit_code, 0) << skip.out;
  EXPECT_NE(skip.out.find("indexed 1 docs (1 bad lines skipped)"), std::string::npos) << skip.out;
  EXPECT_EQ(Cli("--help").exit_code, 0);
  EXPECT_NE(Cli("search --help").out.find("--operator"), std::string::npos);
}

TEST(CliVersion, PrintsTheVersionOfTheHeadersAndTheLibrary) {
  const CliRun r = Cli("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string("libsearch ") + LIBSEARCH_VERSION_STRING + "\n");
  EXPECT_STREQ(Version(), LIBSEARCH_VERSION_STRING);
  EXPECT_EQ(std::string(LIBSEARCH_VERSION_STRING), std::to_string(LIBSEARCH_VERSION_MAJOR) + "." +
                                                       std::to_string(LIBSEARCH_VERSION_MINOR) +
                                                       "." +
                                                       std::to_string(LIBSEARCH_VERSION_PATCH));
}

// A float field has no terms; info shows what its column holds, computed
// here from the catalogue itself.
TEST_F(CliTest, InfoShowsWhatNumericColumnsHold) {
  for (const std::string field : {"sugars_100g", "alcohol_100g"}) {
    uint64_t docs = 0;
    double lo = 0, hi = 0;
    for (const std::string& line : testing::FirstBundledProducts(10000)) {
      const auto doc = nlohmann::json::parse(line);
      if (!doc.contains(field) || doc[field].is_null()) continue;
      const double v = doc[field].get<double>();
      lo = docs == 0 ? v : std::min(lo, v);
      hi = docs == 0 ? v : std::max(hi, v);
      ++docs;
    }
    ASSERT_GT(docs, 0u);
    ASSERT_OK_AND_ASSIGN(auto index, libsearch::Index::Open(Index()));
    const IndexInfo info = *index->Info();
    const auto it = std::find_if(info.fields.begin(), info.fields.end(),
                                 [&](const FieldInfo& f) { return f.name == field; });
    ASSERT_NE(it, info.fields.end());
    EXPECT_EQ(it->doc_count, docs) << field;
    EXPECT_EQ(it->min_value, lo) << field;
    EXPECT_EQ(it->max_value, hi) << field;
    EXPECT_EQ(it->num_terms, 0u);
    char row[200];
    std::snprintf(row, sizeof(row), "column  yes %13llu %10s %12s",
                  static_cast<unsigned long long>(docs),
                  ("min " + std::to_string(static_cast<int64_t>(lo))).c_str(),
                  ("max " + std::to_string(static_cast<int64_t>(hi))).c_str());
    const CliRun r = Cli("info " + Index());
    ASSERT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find(field + "  "), std::string::npos) << r.out;
    if (lo == static_cast<int64_t>(lo) && hi == static_cast<int64_t>(hi)) {
      EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
    }
  }
}

TEST_F(CliTest, IndexPrintsProgressLinesWhenStderrIsNotATerminal) {
  TempDir d;
  const CliRun r = Cli("index --schema " + SourcePath("examples/products/schema.json") +
                       " --input " + SourcePath("examples/products/products.jsonl.gz") +
                       " --output " + d.File("p.idx") + " --progress-seconds 0");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // popen: stderr is a pipe here. One whole line per report, no carriage returns.
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
  const std::regex progress(
      R"(indexed (\d+) docs \(\d+\.\d s; .*products\.jsonl\.gz: [0-9.]+ MB read\))");
  std::vector<uint64_t> counts;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, progress)) counts.push_back(std::stoull(m[1]));
  }
  ASSERT_GE(counts.size(), 2u) << r.out;
  EXPECT_TRUE(std::is_sorted(counts.begin(), counts.end()));
  EXPECT_EQ(counts.back(), 10000u);
  EXPECT_NE(r.out.find("writing " + d.File("p.idx") + " (10000 docs, "), std::string::npos)
      << r.out;
}

// --threads: the same file for any number (the suite's index used the
// default, one per hardware thread); out of range or on a directory, an error.
TEST_F(CliTest, IndexThreadsWriteTheSameFile) {
  TempDir d;
  const std::string args = "index --schema " + SourcePath("examples/products/schema.json") +
                           " --input " + SourcePath("examples/products/products.jsonl.gz");
  for (const char* threads : {"1", "3"}) {
    const CliRun r =
        Cli(args + " --output " + d.File(std::string(threads) + ".idx") + " --threads " + threads);
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  const std::string one = testing::ReadFile(d.File("1.idx"));
  EXPECT_FALSE(one.empty());
  EXPECT_TRUE(one == testing::ReadFile(d.File("3.idx")));
  EXPECT_TRUE(one == testing::ReadFile(Index()));
  const CliRun too_many = Cli(args + " --output " + d.File("x.idx") + " --threads 257");
  EXPECT_EQ(too_many.exit_code, 2) << too_many.out;
  const CliRun dir = Cli(args + " --output " + d.File("live") + "/ --threads 2");
  EXPECT_EQ(dir.exit_code, 2) << dir.out;
  EXPECT_NE(dir.out.find("--threads is for index files"), std::string::npos) << dir.out;
}

// --docstore-level / --docstore-block-bytes (make package's bundled index):
// a smaller file with the same answers, stored documents included; out of
// range or on a directory, an error.
TEST_F(CliTest, DocstoreOptionsShrinkTheFileNotTheAnswers) {
  TempDir d;
  const std::string args = "index --schema " + SourcePath("examples/products/schema.json") +
                           " --input " + SourcePath("examples/products/products.jsonl.gz");
  const std::string packed = d.File("packed.idx");
  const CliRun r =
      Cli(args + " --output " + packed + " --docstore-level 19 --docstore-block-bytes 16384");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_LT(testing::ReadFile(packed).size(), testing::ReadFile(Index()).size() * 95 / 100);
  for (const char* q : {"'peanut butter'", "chocolate", "'organic (apple OR pear) juice'",
                        "'crème brûlée'", "'ingredients:sugar -milk'"}) {
    const std::string search = std::string(" ") + q + " --k 20 --json";
    const CliRun a = Cli("search " + Index() + search);
    const CliRun b = Cli("search " + packed + search);
    ASSERT_EQ(a.exit_code, 0) << a.out;
    ASSERT_EQ(b.exit_code, 0) << b.out;
    auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
    ja.erase("took_us");
    jb.erase("took_us");
    EXPECT_FALSE(ja["hits"].empty()) << q;
    EXPECT_EQ(ja, jb) << q;
  }
  const CliRun low = Cli(args + " --output " + d.File("x.idx") + " --docstore-block-bytes 100");
  EXPECT_EQ(low.exit_code, 2) << low.out;
  const CliRun dir = Cli(args + " --output " + d.File("live") + "/ --docstore-level 19");
  EXPECT_EQ(dir.exit_code, 2) << dir.out;
  EXPECT_NE(dir.out.find("are for index files"), std::string::npos) << dir.out;
}

TEST_F(CliTest, Bm25ParametersAreCheckedByTheLibrary) {
  const CliRun k1 = Cli("search " + Index() + " sugar --k1 -1");
  EXPECT_EQ(k1.exit_code, 2) << k1.out;
  EXPECT_NE(k1.out.find("BM25 k1 must be >= 0"), std::string::npos) << k1.out;
  const CliRun b = Cli("search " + Index() + " sugar --b 1.5");
  EXPECT_EQ(b.exit_code, 2) << b.out;
  EXPECT_NE(b.out.find("BM25 b must be in [0, 1]"), std::string::npos) << b.out;
  EXPECT_EQ(Cli("search " + Index() + " sugar --k1 0 --b 0").exit_code, 0);
}

// The file findings of issue 19 through the CLI: a pipe is refused at once
// (`timeout` turns a hang into exit 124), a truncated .gz input fails the
// build and leaves the old index as it was, and --output onto a symbolic
// link is refused with the link intact.
TEST_F(CliTest, SpecialAndDamagedFilesGetClearErrors) {
  TempDir dir;
  const std::string fifo = dir.File("pipe.idx");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const CliRun info = Cli("info " + fifo);
  EXPECT_NE(info.exit_code, 0) << info.out;
  EXPECT_NE(info.out.find("not a regular file (a pipe)"), std::string::npos) << info.out;

  const std::string gz = testing::ReadFile(SourcePath("examples/products/products.jsonl.gz"));
  testing::WriteFile(dir.File("cut.jsonl.gz"), gz.substr(0, gz.size() / 2));
  const std::string out = dir.File("out.idx");
  testing::WriteFile(out, "old index bytes");
  const CliRun cut = Cli("index --schema " + SourcePath("examples/products/schema.json") +
                         " --input " + dir.File("cut.jsonl.gz") + " --output " + out);
  EXPECT_NE(cut.exit_code, 0) << cut.out;
  EXPECT_NE(cut.out.find("truncated"), std::string::npos) << cut.out;
  EXPECT_EQ(testing::ReadFile(out), "old index bytes");

  const std::string link = dir.File("link.idx");
  std::filesystem::create_symlink(out, link);
  const CliRun linked =
      Cli("index --schema " + SourcePath("examples/products/schema.json") + " --input " +
          SourcePath("examples/products/products.jsonl.gz") + " --output " + link);
  EXPECT_NE(linked.exit_code, 0) << linked.out;
  EXPECT_NE(linked.out.find("symbolic link"), std::string::npos) << linked.out;
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(testing::ReadFile(out), "old index bytes");
}

}  // namespace
}  // namespace libsearch
