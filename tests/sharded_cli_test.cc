// `libsearch shard`, and the other commands on a shard map: the same
// answers and cursors as one index of the same file.
#include <gtest/gtest.h>

#include "testing/cli_run.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

TEST(ShardedCli, ShardSearchUpdateCompactInfoVerify) {
  testing::TempDir dir;
  const std::string schema = testing::SourcePath("examples/products/schema.json");
  const std::string input = testing::SourcePath("examples/products/products.jsonl.gz");
  const std::string shards = dir.File("p.shards"), one = dir.File("p.idx");
  auto built = testing::Cli("shard --schema " + schema + " --input " + input +
                            " --shards 3 --output " + shards);
  ASSERT_EQ(built.exit_code, 0) << built.out;
  EXPECT_NE(built.out.find("indexed 10000 docs (0 bad lines skipped) into 3 shards"),
            std::string::npos)
      << built.out;
  ASSERT_EQ(
      testing::Cli("index --schema " + schema + " --input " + input + " --output " + one).exit_code,
      0);
  for (const std::string q :
       {"'peanut butter' --k 5", "chocolate --sort sugars_100g:asc --k 4",
        "chocolate --facet country:4 --k 0", "'choclate chip'", "'peanutt buter' --typos"}) {
    auto want = testing::Cli("search " + one + " " + q);
    auto got = testing::Cli("search " + shards + " " + q);
    ASSERT_EQ(want.exit_code, 0) << want.out;
    ASSERT_EQ(got.exit_code, 0) << got.out;
    // Everything but the timing ("N matches in T us").
    auto strip = [](std::string s) { return s.substr(s.find('\n')); };
    EXPECT_EQ(strip(want.out), strip(got.out)) << q;
  }
  testing::WriteFile(dir.File("changes.jsonl"), R"({"barcode": "0855094006359", "_delete": true})"
                                                "\n");
  auto updated = testing::Cli("update " + shards + " --input " + dir.File("changes.jsonl"));
  ASSERT_EQ(updated.exit_code, 0) << updated.out;
  EXPECT_NE(updated.out.find("9999 docs"), std::string::npos) << updated.out;
  auto compacted = testing::Cli("compact " + shards);
  ASSERT_EQ(compacted.exit_code, 0) << compacted.out;
  auto info = testing::Cli("info " + shards);
  ASSERT_EQ(info.exit_code, 0) << info.out;
  EXPECT_NE(info.out.find("documents 9999"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("shard-002/"), std::string::npos) << info.out;
  EXPECT_EQ(info.out.find("_shard_seq"), std::string::npos) << info.out;
  auto verified = testing::Cli("verify " + shards);
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  auto again = testing::Cli("shard --schema " + schema + " --input " + input +
                            " --shards 3 --output " + shards);
  EXPECT_EQ(again.exit_code, 2) << again.out;  // Never over an existing sharded index.
}

}  // namespace
}  // namespace libsearch
