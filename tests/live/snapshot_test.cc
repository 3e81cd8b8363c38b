// Readers searching while a writer commits: every snapshot a reader opens
// (Index::Open or Reopen) is one whole commit. Each batch upserts and
// deletes docs; the writer records each commit's generation and live count,
// and every (generation, documents, matches) a reader saw must be a
// recorded commit's, with a match-all count equal to its document count.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "libsearch/index.h"
#include "libsearch/index_writer.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

constexpr char kSchema[] = R"({"id": "id", "fields": {
  "title": {"type": "text", "stored": true}, "n": {"type": "int", "stored": true}}})";

TEST(Snapshots, ReadersNeverSeeAPartialCommit) {
  testing::TempDir dir;
  const std::string path = dir.File("live");
  auto schema = Schema::FromJson(kSchema);
  ASSERT_TRUE(schema.ok());
  IndexWriterOptions options;
  options.merge_policy.floor_segment_docs = 10;
  options.merge_policy.segments_per_tier = 3;
  auto writer = IndexWriter::Create(path, *schema, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  std::mutex mu;
  std::map<uint64_t, uint64_t> committed;  // generation -> live docs
  {
    auto first = (*writer)->Commit();  // Nothing pending: generation 1.
    ASSERT_TRUE(first.ok());
    committed[first->generation] = first->live_docs;
  }
  std::atomic<bool> done{false};
  struct Seen {
    uint64_t generation, docs, matches;
  };
  std::vector<Seen> seen;
  std::vector<std::string> errors;
  std::thread reader([&] {
    std::unique_ptr<Index> index;
    while (!done.load()) {
      auto next = index == nullptr ? Index::Open(path) : index->Reopen();
      if (!next.ok()) {
        errors.push_back(next.status().ToString());
        continue;
      }
      index = std::move(*next);
      SearchRequest all;
      all.query = "item";
      all.k = 5;
      all.total_hits_threshold = SearchRequest::kExactTotal;
      auto r = index->Search(all);
      if (!r.ok()) {
        errors.push_back(r.status().ToString());
        continue;
      }
      seen.push_back({index->Info()->generation, index->num_docs(), r->total});
    }
  });
  uint64_t next_id = 0;
  for (int batch = 0; batch < 60; ++batch) {
    for (int i = 0; i < 15; ++i) {
      const std::string doc = R"({"id": "d)" + std::to_string(next_id++) +
                              R"(", "title": "item number", "n": )" + std::to_string(batch) + "}";
      ASSERT_OK((*writer)->Upsert(doc));
    }
    const uint64_t first = static_cast<uint64_t>(batch) * 7;
    for (uint64_t d = first; d < first + 5 && d < next_id; ++d) {
      ASSERT_OK((*writer)->Delete("d" + std::to_string(d)));
    }
    auto info = (*writer)->Commit();
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    std::lock_guard<std::mutex> lock(mu);
    committed[info->generation] = info->live_docs;
  }
  done = true;
  reader.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_GT(seen.size(), 10u);
  for (const Seen& s : seen) {
    EXPECT_EQ(s.docs, s.matches) << "generation " << s.generation;
    if (committed.count(s.generation)) {
      EXPECT_EQ(committed[s.generation], s.docs) << "generation " << s.generation;
    } else {
      // A commit followed by merges in the same call: the call recorded
      // its last merge's generation, and merges keep the live docs.
      auto it = committed.upper_bound(s.generation);
      ASSERT_NE(it, committed.end()) << "generation " << s.generation;
      EXPECT_EQ(it->second, s.docs) << "generation " << s.generation;
    }
  }
}

// A directory removed and built again at the same path has the same file
// names with other content: Reopen must not keep the old segments' mappings.
TEST(Snapshots, ReopenOfARebuiltDirectoryReadsTheNewFiles) {
  testing::TempDir dir;
  const std::string path = dir.File("live");
  auto schema = Schema::FromJson(kSchema);
  ASSERT_TRUE(schema.ok());
  auto build = [&](const std::string& title) {
    auto writer = IndexWriter::Create(path, *schema);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE((*writer)->Upsert(R"({"id": "1", "title": ")" + title + R"(", "n": 1})").ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  };
  build("apple");
  auto first = Index::Open(path);
  ASSERT_TRUE(first.ok());
  std::filesystem::remove_all(path);
  build("banana");  // Same names: s000001.seg, MANIFEST generation 2.
  auto again = (*first)->Reopen();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  SearchRequest req;
  req.query = "banana";
  EXPECT_EQ((*again)->Search(req)->total, 1u);
  req.query = "apple";
  EXPECT_EQ((*again)->Search(req)->total, 0u);
}

// A segment file written over in place under an open snapshot of several
// segments is reported on every call, as a single file's is
// (corruption_matrix_test); a merge unlinking a snapshot's files is not a
// change of them: that snapshot keeps answering.
TEST(Snapshots, SegmentChangedInPlaceIsReportedUnlinkedIsNot) {
  testing::TempDir dir;
  const std::string path = dir.File("live");
  auto schema = Schema::FromJson(kSchema);
  ASSERT_TRUE(schema.ok());
  IndexWriterOptions options;
  options.merge_on_commit = false;  // Several segments, with deletes.
  auto writer = IndexWriter::Create(path, *schema, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  // Docs first..first+2 in two segments, then `first` deleted.
  auto add_three = [&](int first) {
    for (int i = first; i < first + 3; ++i) {
      const std::string id = std::to_string(i);
      ASSERT_TRUE((*writer)->Upsert(R"({"id": ")" + id + R"(", "title": "apple", "n": 1})").ok());
      if (i > first) {
        ASSERT_TRUE((*writer)->Commit().ok());
      }
    }
    ASSERT_TRUE((*writer)->Delete(std::to_string(first)).ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  };
  SearchRequest req;
  req.query = "apple";
  add_three(1);
  auto before = Index::Open(path);
  ASSERT_TRUE(before.ok());
  ASSERT_EQ((*before)->Search(req)->total, 2u);
  ASSERT_EQ((*before)->Info()->segments.size(), 2u);
  ASSERT_TRUE((*writer)->Compact().ok());
  auto after_merge = (*before)->Search(req);
  ASSERT_TRUE(after_merge.ok()) << after_merge.status().ToString();
  EXPECT_EQ(after_merge->total, 2u);

  add_three(4);
  auto snapshot = Index::Open(path);
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ((*snapshot)->Search(req)->total, 4u);
  ASSERT_GE((*snapshot)->Info()->segments.size(), 2u);
  for (const auto& f : std::filesystem::directory_iterator(path)) {
    if (f.path().extension() == ".seg") {
      std::filesystem::resize_file(f.path(), std::filesystem::file_size(f.path()) / 2);
    }
  }
  for (int call = 0; call < 2; ++call) {
    auto resp = (*snapshot)->Search(req);
    EXPECT_EQ(resp.status().code(), StatusCode::kCorruption);
    EXPECT_NE(resp.status().message().find("changed under this reader"), std::string::npos)
        << resp.status().ToString();
  }
}

}  // namespace
}  // namespace libsearch
