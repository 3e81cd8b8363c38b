// Regression tests for what the fuzzers (tests/fuzz) found: each input class
// fails with a clean Status, never a crash or invalid output.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "libsearch/json.h"
#include "storage/format.h"
#include "testing/index_reseal.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

// schema_fuzzer: an id field left out of "fields" was not checked like a
// declared one, so a schema with a space in its id name was accepted, and its
// own ToJson() (which declares the id) was refused: the index built with it
// could not be opened again.
TEST(FuzzRegression, ImplicitIdFieldIsCheckedLikeADeclaredOne) {
  const auto bad = Schema::FromJson(R"({"id": "my id", "fields": {}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("names may not contain"), std::string::npos)
      << bad.status().message();
  ASSERT_OK_AND_ASSIGN(Schema good, Schema::FromJson(R"({"id": "sku", "fields": {}})"));
  ASSERT_OK_AND_ASSIGN(Schema again, Schema::FromJson(good.ToJson()));
  EXPECT_EQ(again.ToJson(), good.ToJson());
}

// The [offset, length) of the first section of `kind` in an index file.
std::pair<uint64_t, uint64_t> FindSection(const std::string& file, internal::SectionKind kind) {
  internal::FileHeader header;
  std::memcpy(&header, file.data(), sizeof header);
  for (uint32_t i = 0; i < header.section_count; ++i) {
    internal::SectionEntry e;
    std::memcpy(&e, file.data() + header.table_offset + i * sizeof e, sizeof e);
    if (e.kind == static_cast<uint32_t>(kind)) return {e.offset, e.length};
  }
  return {0, 0};
}

// index_reader_fuzzer: a damaged stored document that still decompresses
// (its checksum re-sealed, or never checked) came back as is, so responses
// carried invalid JSON ("doc":<the damaged bytes>). Now it is Corruption.
TEST(FuzzRegression, DamagedStoredDocumentIsCorruptionNotInvalidJson) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(R"({"id": "sku", "fields": {
      "title": {"type": "text", "stored": true}, "url": {"type": "keyword", "stored": true}}})"));
  ASSERT_OK(
      testing::BuildIndex(schema,
                          {R"({"sku": "a1", "title": "Peanut butter", "url": "http://x/a1"})",
                           R"({"sku": "a2", "title": "Dark chocolate", "url": "http://x/a2"})"},
                          dir.File("good.idx")));
  const std::string good = testing::ReadFile(dir.File("good.idx"));
  const auto [begin, length] = FindSection(good, internal::SectionKind::kDocStore);
  ASSERT_GT(length, 0u);
  // Every byte of it set to '"' in turn (zstd keeps short literals as they
  // are, so many variants still decompress), the file re-sealed.
  int not_json = 0;
  for (uint64_t pos = begin; pos < begin + length; ++pos) {
    std::string damaged = good;
    if (damaged[pos] == '"') continue;
    damaged[pos] = '"';
    testing::ResealIndex(&damaged);
    testing::WriteFile(dir.File("damaged.idx"), damaged);
    ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("damaged.idx")));
    for (uint32_t doc = 0; doc < 2; ++doc) {
      const Result<std::string> stored = index->StoredDocument(doc);
      if (stored.ok()) {
        EXPECT_TRUE(nlohmann::json::accept(*stored)) << "byte " << pos << ": " << *stored;
      } else {
        EXPECT_EQ(stored.status().code(), StatusCode::kCorruption) << stored.status().ToString();
        not_json += stored.status().message().find("is not a JSON object") != std::string::npos;
      }
    }
    const JsonReply reply = HandleSearchJson(*index, R"({"query": "peanut OR chocolate"})");
    EXPECT_TRUE(nlohmann::json::accept(reply.body)) << "byte " << pos << ": " << reply.body;
    EXPECT_TRUE(reply.status == 200 || reply.status == 500) << reply.body;
  }
  EXPECT_GT(not_json, 0) << "no variant reached the JSON check";
}

// index_reader_fuzzer: a doc store block whose zstd frame header claims a
// content size far beyond what its bytes can hold (here 512 MiB from a
// frame of a few bytes) was allocated and zero-filled in full before
// decompression failed, on every fetch: seconds per search. Now a claim no
// frame of that size can meet is Corruption before anything is allocated.
TEST(FuzzRegression, DocStoreBlockClaimingTooMuchIsCorruption) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(R"({"id": "sku", "fields": {
      "title": {"type": "text", "stored": true}}})"));
  ASSERT_OK(testing::BuildIndex(schema, {R"({"sku": "a1", "title": "Peanut butter"})"},
                                dir.File("good.idx")));
  std::string file = testing::ReadFile(dir.File("good.idx"));
  const auto [begin, length] = FindSection(file, internal::SectionKind::kDocStore);
  // zstd magic; a single-segment frame with an 8-byte content size; then an
  // empty last raw block.
  std::string frame = {'\x28', '\xb5', '\x2f', '\xfd', '\xe0'};
  for (int b = 0; b < 8; ++b) frame += static_cast<char>(((uint64_t{512} << 20) >> (8 * b)) & 0xff);
  frame += std::string("\x01\x00\x00", 3);
  ASSERT_LE(frame.size(), length);
  file.replace(begin, frame.size(), frame);
  testing::ResealIndex(&file);
  testing::WriteFile(dir.File("claim.idx"), file);
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("claim.idx")));
  const Result<std::string> stored = index->StoredDocument(0);
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.status().code(), StatusCode::kCorruption);
  EXPECT_NE(stored.status().message().find("bad header"), std::string::npos)
      << stored.status().message();
  const JsonReply reply = HandleSearchJson(*index, R"({"query": "peanut"})");
  EXPECT_EQ(reply.status, 500) << reply.body;
  EXPECT_TRUE(nlohmann::json::accept(reply.body)) << reply.body;
}

// index_reader_fuzzer: a re-sealed header with section_count 0 copied the
// empty table with memcpy from a null pointer (undefined behaviour, which
// UBSan reports). Now an empty table is Corruption.
TEST(FuzzRegression, EmptySectionTableIsCorruption) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(R"({"id": "sku", "fields": {}})"));
  ASSERT_OK(testing::BuildIndex(schema, {R"({"sku": "a1"})"}, dir.File("good.idx")));
  std::string file = testing::ReadFile(dir.File("good.idx"));
  internal::FileHeader header;
  std::memcpy(&header, file.data(), sizeof header);
  header.section_count = 0;
  std::memcpy(file.data(), &header, sizeof header);
  testing::ResealIndex(&file);
  testing::WriteFile(dir.File("empty.idx"), file);
  const auto index = Index::Open(dir.File("empty.idx"));
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), StatusCode::kCorruption);
  EXPECT_NE(index.status().message().find("section table is empty"), std::string::npos)
      << index.status().message();
}

}  // namespace
}  // namespace libsearch
