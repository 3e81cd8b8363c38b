// Every command's error paths against the exit codes README documents:
// 0 ok, 2 bad input (a usage error, a query, schema, document or request,
// a limit they exceed), 3 not found, 4 damaged index, 1 anything else. One
// row per path: the command line, its exit code and a fragment of its
// message, so a new path is one more row.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "storage/format.h"
#include "testing/cli_run.h"
#include "testing/test_util.h"
#include "util/hash.h"

namespace libsearch {
namespace {

using testing::Cli;
using testing::CliRun;
using testing::SourcePath;
using testing::TempDir;

struct Row {
  std::string args;
  int exit_code;
  std::string fragment;  // Of stdout + stderr.
};

class CliExitCodes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    testing::WriteFile(File("docs.jsonl"),
                       R"({"barcode": "1", "product_name": "dark chocolate"})"
                       "\n"
                       R"({"barcode": "2", "product_name": "milk chocolate", "sugars_100g": 50})"
                       "\n");
    for (const std::string& out : {Path("p.idx"), Path("live/")}) {
      const CliRun r =
          Cli("index --schema " + Schema() + " --input " + Path("docs.jsonl") + " --output " + out);
      ASSERT_EQ(r.exit_code, 0) << r.out;
    }
    const std::string index = testing::ReadFile(File("p.idx"));
    testing::WriteFile(File("cut.idx"), index.substr(0, index.size() / 2));
    // A format this libsearch does not read (major 3), header re-sealed.
    std::string v3 = index;
    internal::FileHeader h;
    std::memcpy(&h, v3.data(), sizeof h);
    h.format_major = 3;
    h.header_checksum = internal::Checksum64(&h, offsetof(internal::FileHeader, header_checksum));
    std::memcpy(v3.data(), &h, sizeof h);
    testing::WriteFile(File("v3.idx"), v3);
    testing::WriteFile(File("not-an-index.idx"), "hello, I am not an index\n");
    testing::WriteFile(File("bad-schema.json"),
                       R"({"id": "x", "fields": {"a": {"type": "blob"}}})");
    testing::WriteFile(File("big-number.jsonl"), R"({"barcode": "3", "x": 1e400})"
                                                 "\n");
    testing::WriteFile(File("deep.jsonl"),
                       "{\"barcode\": \"3\", \"x\": " + std::string(100000, '[') +
                           std::string(100000, ']') + "}\n");
    testing::WriteFile(File("empty.jsonl"), "");
    testing::WriteFile(File("queries.jsonl"), R"({"id": "q1", "query": "chocolate"})"
                                              "\n");
    testing::WriteFile(File("bad-queries.jsonl"), R"({"id": "q1", "k": "ten"})"
                                                  "\n");
    testing::WriteFile(File("deep-queries.jsonl"),
                       "{\"id\": " + std::string(100000, '[') + std::string(100000, ']') + "}\n");
    testing::WriteFile(File("changes.jsonl"), R"({"barcode": "9", "_set": {"x": 1e400}})"
                                              "\n");
    std::string clauses;
    for (int i = 0; i < 1100; ++i) clauses += "w ";
    testing::WriteFile(File("clauses.txt"), clauses);
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string File(const std::string& name) { return dir_->File(name); }
  // Quoted for the shell.
  static std::string Path(const std::string& name) { return "'" + File(name) + "'"; }
  static std::string Schema() { return SourcePath("examples/products/schema.json"); }

  static TempDir* dir_;
};
TempDir* CliExitCodes::dir_ = nullptr;

TEST_F(CliExitCodes, EveryCommandsErrorPathsExitAsDocumented) {
  const std::string idx = Path("p.idx");
  const std::string index_cmd = "index --schema " + Schema() + " --output " + Path("o.idx");
  const std::vector<Row> rows = {
      // Usage errors (CLI11's own exit codes are 105 to 120).
      {"", 2, "A subcommand is required"},
      {"frobnicate", 2, "A subcommand is required"},
      {"search " + idx + " x --no-such-flag", 2, "--no-such-flag"},
      {"search " + idx, 2, "query is required"},
      {"search " + idx + " x --k ten", 2, "Could not convert: --k = ten"},
      {"search " + idx + " x --operator xor", 2, "--operator"},
      {"batch " + idx, 2, "--queries is required"},
      {"index --schema " + Schema(), 2, "--input is required"},
      {"update", 2, "index is required"},
      {"info", 2, "index is required"},
      {"verify a b", 2, "argument was not expected: b"},
      {"--help", 0, "index"},
      {"search --help", 0, "--operator"},
      {"--version", 0, "libsearch "},
      // index
      {index_cmd + " --input " + Path("missing.jsonl"), 3, "missing.jsonl"},
      {"index --schema " + Path("bad-schema.json") + " --input " + Path("docs.jsonl") +
           " --output " + Path("o.idx"),
       2, "unknown type 'blob'"},
      {index_cmd + " --input " + Path("big-number.jsonl"), 2,
       "big-number.jsonl:1: document is not valid JSON: number overflow parsing '1e400'"},
      {index_cmd + " --input " + Path("deep.jsonl"), 2,
       "deep.jsonl:1: document nests deeper than 64 levels"},
      {index_cmd + " --skip-bad --input " + Path("deep.jsonl"), 0, "(1 bad lines skipped)"},
      {"index --schema " + Schema() + " --input " + Path("empty.jsonl") + " --output " + idx, 2,
       "refusing to replace"},
      {"index --schema " + Schema() + " --skip-bad --input " + Path("big-number.jsonl") +
           " --output " + idx,
       2, "(an index of 2 documents) with an empty index"},
      // search
      {"search " + Path("missing.idx") + " x", 3, "missing.idx"},
      {"search " + Path("cut.idx") + " x", 4, "Corruption"},
      {"search " + Path("not-an-index.idx") + " x", 4, "too short for a libsearch index"},
      {"search " + idx + " 'colour:red'", 2, "unknown field 'colour'"},
      {"search " + idx + " \"$(printf 'choc\\377olate')\" --json", 2,
       "query is not valid UTF-8 at byte offset 4"},
      {"search " + idx + " \"$(printf 'choc\\377olate')\" --explain", 2, "not valid UTF-8"},
      {"search " + idx + " \"$(cat " + Path("clauses.txt") + ")\"", 2,
       "ResourceExhausted: query has more than 1024 clauses"},
      {"search " + idx + " x --k 20000", 2, "k must be an integer from 0 to 10000"},
      // batch
      {"batch " + idx + " --queries " + Path("missing.jsonl"), 3, "missing.jsonl"},
      {"batch " + idx + " --queries " + Path("bad-queries.jsonl"), 2,
       "bad-queries.jsonl:1: k must be an integer"},
      {"batch " + idx + " --queries " + Path("deep-queries.jsonl"), 2,
       "deep-queries.jsonl:1: query line nests deeper than 16 levels"},
      {"batch " + Path("cut.idx") + " --queries " + Path("queries.jsonl"), 4, "Corruption"},
      // update and compact
      {"update " + Path("live/") + " --input " + Path("changes.jsonl"), 2,
       "changes.jsonl:1: document is not valid JSON: number overflow"},
      {"update " + Path("live/") + " --input " + Path("deep.jsonl"), 2,
       "deep.jsonl:1: document nests deeper than 64 levels"},
      {"update " + Path("live/") + " --input " + Path("missing.jsonl"), 3, "missing.jsonl"},
      {"update " + Path("nowhere/") + " --input " + Path("docs.jsonl"), 3, "nowhere"},
      {"compact " + Path("nowhere/"), 3, "nowhere"},
      // info and verify
      {"info " + Path("missing.idx"), 3, "missing.idx"},
      {"info " + Path("cut.idx"), 4, "Corruption"},
      {"info " + Path("v3.idx"), 4,
       "index format version 3." + std::to_string(internal::kFormatMinor) + " is not supported"},
      {"search " + Path("v3.idx") + " x", 4, "rebuild the index with `libsearch index`"},
      {"verify " + Path("cut.idx"), 4, "Corruption"},
      {"verify " + idx, 0, "OK"},
  };
  for (const Row& row : rows) {
    const CliRun r = Cli(row.args);
    EXPECT_EQ(r.exit_code, row.exit_code) << "libsearch " << row.args.substr(0, 200) << "\n"
                                          << r.out.substr(0, 2000);
    EXPECT_NE(r.out.find(row.fragment), std::string::npos)
        << "libsearch " << row.args.substr(0, 200) << "\nexpected: " << row.fragment
        << "\ngot: " << r.out.substr(0, 2000);
  }
  // The refused empty builds left the index as it was.
  const CliRun info = Cli("info " + idx);
  EXPECT_NE(info.out.find("documents 2\n"), std::string::npos) << info.out;
}

TEST_F(CliExitCodes, AllowEmptyWritesAnEmptyIndexOverAFullOne) {
  TempDir dir;
  const std::string out = dir.File("o.idx");
  std::filesystem::copy_file(File("p.idx"), out);
  const CliRun r = Cli("index --allow-empty --schema " + Schema() + " --input " +
                       Path("empty.jsonl") + " --output " + out);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(Cli("info " + out).out.find("documents 0\n"), std::string::npos);
  // An empty index may be replaced by an empty one without the flag.
  EXPECT_EQ(
      Cli("index --schema " + Schema() + " --input " + Path("empty.jsonl") + " --output " + out)
          .exit_code,
      0);
}

}  // namespace
}  // namespace libsearch
