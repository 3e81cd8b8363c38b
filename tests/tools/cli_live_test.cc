// The `libsearch` commands that write index directories: `index --output
// DIR/`, `update`, `compact`; on-disk effects read with the internal readers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "live/live_state.h"
#include "testing/cli_run.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using testing::ReadDirState;
using testing::SourcePath;
using testing::TempDir;
using testing::WriteFile;
using Json = nlohmann::json;

using testing::Cli;
using testing::CliRun;

class CliLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string lines;
    for (const std::string& d : testing::FirstBundledProducts(200)) lines += d + "\n";
    WriteFile(tmp_.File("products.jsonl"), lines);
  }
  std::string Index(const std::string& output, const std::string& extra = "") {
    return "index --schema " + SourcePath("examples/products/schema.json") + " --input " +
           tmp_.File("products.jsonl") + " --output " + output + extra;
  }
  TempDir tmp_;
};

TEST_F(CliLiveTest, IndexIntoADirectoryUpdateAndCompact) {
  const std::string dir = tmp_.File("live");
  CliRun r = Cli(Index(dir + "/"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("indexed 200 docs (0 bad lines skipped) into index directory"),
            std::string::npos)
      << r.out;
  auto st = ReadDirState(dir);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_EQ(st->segments.size(), 1u);
  ASSERT_EQ(st->live.size(), 200u);
  const std::string first = st->live[0].id, second = st->live[1].id;

  WriteFile(tmp_.File("changes.jsonl"),
            Json{{"barcode", first}, {"_set", {{"sugars_100g", 1.5}}}}.dump() + "\n" +
                Json{{"barcode", second}, {"_delete", true}}.dump() + "\n" +
                Json{{"barcode", "none"}, {"_delete", true}}.dump() + "\n" +
                Json{{"barcode", "new1"}, {"product_name", "Fresh peanut butter"}}.dump() + "\n");
  r = Cli("update " + dir + " --input " + tmp_.File("changes.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, dir +
                       ": 4 changes (0 bad lines skipped): 1 docs added, 1 deleted or replaced, 1 "
                       "updated in place, 1 deletes not found, 0 merges; generation 3, 2 segments, "
                       "200 docs (" +
                       r.out.substr(r.out.rfind('(') + 1));
  st = ReadDirState(dir);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_EQ(st->live.size(), 200u);
  // A number changes in place: the product keeps its place.
  EXPECT_EQ(st->live[0].id, first);
  EXPECT_EQ(st->live[0].source["sugars_100g"], 1.5);
  EXPECT_FALSE(st->manifest.segments[0].updates.empty());
  EXPECT_EQ(st->live[199].id, "new1");
  for (const auto& d : st->live) EXPECT_NE(d.id, second);

  r = Cli("compact " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(": compacted; generation 4, 1 segments, 200 docs"), std::string::npos)
      << r.out;
  auto compacted = ReadDirState(dir);
  ASSERT_TRUE(compacted.ok());
  EXPECT_EQ(compacted->manifest.segments.size(), 1u);
  EXPECT_EQ(testing::LiveIds(*compacted), testing::LiveIds(*st));
}

TEST_F(CliLiveTest, LiveFlagAndExistingDirectoryMakeDirectories) {
  CliRun r = Cli(Index(tmp_.File("a"), " --live"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(tmp_.File("a/MANIFEST")));
  std::filesystem::create_directory(tmp_.File("b"));
  r = Cli(Index(tmp_.File("b")));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::exists(tmp_.File("b/MANIFEST")));
  // Not over an existing index directory.
  r = Cli(Index(tmp_.File("b")));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("already an index directory"), std::string::npos) << r.out;
  // A file output is still one file.
  r = Cli(Index(tmp_.File("c.idx")));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(std::filesystem::is_regular_file(tmp_.File("c.idx")));
}

TEST_F(CliLiveTest, UpdateErrors) {
  ASSERT_EQ(Cli(Index(tmp_.File("one.idx"))).exit_code, 0);
  WriteFile(tmp_.File("bad.jsonl"), "{\"barcode\": \"x\", \"_bad\": 1}\n" +
                                        Json{{"barcode", "n"}, {"product_name", "n"}}.dump() +
                                        "\n");
  CliRun r = Cli("update " + tmp_.File("one.idx") + " --input " + tmp_.File("bad.jsonl"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("'" + tmp_.File("one.idx") +
                       "' is a single-file index, which cannot change; rebuild it as an index "
                       "directory with `libsearch index --output DIR/ ...`"),
            std::string::npos)
      << r.out;

  const std::string dir = tmp_.File("live/");
  ASSERT_EQ(Cli(Index(dir)).exit_code, 0);
  r = Cli("update " + dir + " --input " + tmp_.File("bad.jsonl"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find(tmp_.File("bad.jsonl") + ":1: unknown key '_bad'"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("nothing committed"), std::string::npos) << r.out;
  r = Cli("update " + dir + " --input " + tmp_.File("bad.jsonl") + " --skip-bad --no-merge");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("skipped: " + tmp_.File("bad.jsonl") + ":1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 changes (1 bad lines skipped)"), std::string::npos) << r.out;
  r = Cli("update " + tmp_.File("nowhere") + " --input " + tmp_.File("bad.jsonl"));
  EXPECT_EQ(r.exit_code, 3) << r.out;
}

}  // namespace
}  // namespace libsearch
