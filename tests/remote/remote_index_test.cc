// Remote indexes (libsearch/remote.h) in a file:// store: publish, follow,
// conflicts, damage, garbage collection, event ids. The same code runs
// against S3 through moto in bindings/python/tests/test_remote.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "libsearch/index_builder.h"
#include "libsearch/remote.h"
#include "remote/object_store.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using ::libsearch::testing::TempDir;

constexpr char kSchema[] = R"({"id": "id", "fields": {
  "title": {"type": "text", "stored": true},
  "price": {"type": "float", "stored": true}}})";

std::string Doc(int id, const std::string& title, double price) {
  return R"({"id": ")" + std::to_string(id) + R"(", "title": ")" + title + R"(", "price": )" +
         std::to_string(price) + "}";
}

std::vector<std::string> Ids(const Index& index, const std::string& query) {
  SearchRequest req;
  req.query = query;
  req.k = 100;
  auto resp = index.Search(req);
  EXPECT_TRUE(resp.ok()) << resp.status().ToString();
  std::vector<std::string> out;
  if (resp.ok()) {
    for (const Hit& h : resp->hits) out.push_back(h.id);
  }
  return out;
}

class RemoteIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = Schema::FromJson(kSchema);
    ASSERT_TRUE(schema.ok());
    schema_ = std::make_unique<Schema>(*schema);
    url_ = "file://" + tmp_.File("store");
  }

  RemoteWriterOptions WriterOptions(const std::string& name) {
    RemoteWriterOptions o;
    o.cache_dir = tmp_.File(name);
    o.schema = schema_.get();
    return o;
  }

  // Publishes `docs` (upserts) through a new writer.
  PublishInfo Publish(const std::vector<std::string>& lines, const std::string& cache = "w") {
    auto writer = RemoteWriter::Open(url_, WriterOptions(cache));
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    for (const std::string& l : lines) EXPECT_TRUE((*writer)->writer().Apply(l).ok()) << l;
    auto info = (*writer)->Commit();
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : PublishInfo{};
  }

  TempDir tmp_;
  std::unique_ptr<Schema> schema_;
  std::string url_;
};

TEST_F(RemoteIndexTest, ReplicaFollowsPublishedCommits) {
  const PublishInfo first = Publish({Doc(1, "peanut butter", 2.5), Doc(2, "olive oil", 7)});
  EXPECT_TRUE(first.published);
  EXPECT_GT(first.files_uploaded, 0u);

  ReplicaOptions ro;
  ro.cache_dir = tmp_.File("replica");
  ro.refresh_seconds = 0;
  auto replica = IndexReplica::Open(url_, ro);
  ASSERT_TRUE(replica.ok()) << replica.status().ToString();
  EXPECT_EQ(Ids(*(*replica)->index(), "butter"), std::vector<std::string>{"1"});
  const auto old_snapshot = (*replica)->index();

  auto unchanged = (*replica)->Refresh();
  ASSERT_TRUE(unchanged.ok());
  EXPECT_FALSE(*unchanged);  // The manifest's etag still matches.

  Publish({R"({"id": "1", "_delete": true})", Doc(3, "crunchy peanut butter", 3),
           R"({"id": "2", "_set": {"price": 6.5}})"});
  auto changed = (*replica)->Refresh();
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(Ids(*(*replica)->index(), "butter"), std::vector<std::string>{"3"});
  SearchRequest oil;
  oil.query = "oil";
  auto hits = (*replica)->index()->Search(oil);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->hits.size(), 1u);
  auto doc = (*replica)->index()->StoredDocument(hits->hits[0].doc);
  ASSERT_TRUE(doc.ok());
  EXPECT_NE(doc->find("6.5"), std::string::npos) << *doc;
  // The old snapshot is unchanged while held.
  EXPECT_EQ(Ids(*old_snapshot, "butter"), std::vector<std::string>{"1"});

  // The same documents as the writer's own copy: identical answers.
  auto local = Index::Open(tmp_.File("w"));
  ASSERT_TRUE(local.ok());
  for (const char* q : {"butter", "peanut", "oil", "crunchy OR olive"}) {
    EXPECT_EQ(Ids(**local, q), Ids(*(*replica)->index(), q)) << q;
  }
  const ReplicaStatus s = (*replica)->status();
  EXPECT_EQ(s.refreshes, 1u);
  EXPECT_EQ(s.checks, 3u);
  EXPECT_EQ(s.failures, 0u);
}

TEST_F(RemoteIndexTest, CacheIsReusedAndOnlyNewFilesAreDownloaded) {
  Publish({Doc(1, "tea", 1), Doc(2, "coffee", 2)});
  ReplicaOptions ro;
  ro.cache_dir = tmp_.File("replica");
  {
    auto first = IndexReplica::Open(url_, ro);
    ASSERT_TRUE(first.ok());
    EXPECT_GT((*first)->status().files_downloaded, 0u);
  }
  auto again = IndexReplica::Open(url_, ro);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->status().files_downloaded, 0u);  // All in the cache already.

  Publish({Doc(3, "green tea", 3)});  // A new segment; the first stays.
  ASSERT_TRUE((*again)->Refresh().ok());
  EXPECT_EQ((*again)->status().files_downloaded, 1u);
  EXPECT_EQ(Ids(*(*again)->index(), "tea").size(), 2u);
}

TEST_F(RemoteIndexTest, SecondWriterLosesTheRaceAndRetries) {
  Publish({Doc(1, "tea", 1)});
  auto a = RemoteWriter::Open(url_, WriterOptions("a"));
  auto b = RemoteWriter::Open(url_, WriterOptions("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->writer().Upsert(Doc(2, "green tea", 2)).ok());
  ASSERT_TRUE((*b)->writer().Upsert(Doc(3, "black tea", 3)).ok());
  ASSERT_TRUE((*a)->Commit().ok());
  auto lost = (*b)->Commit();
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), StatusCode::kAborted) << lost.status().ToString();
  EXPECT_EQ((*b)->Commit().status().code(), StatusCode::kAborted);  // Unusable now.
  b->reset();
  // The retry builds on the winner's commit: nothing is lost.
  Publish({Doc(3, "black tea", 3)}, "b");
  ReplicaOptions ro;
  ro.cache_dir = tmp_.File("replica");
  auto replica = IndexReplica::Open(url_, ro);
  ASSERT_TRUE(replica.ok());
  auto ids = Ids(*(*replica)->index(), "tea");
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(RemoteIndexTest, DamagedObjectIsRefusedAndTheLastSnapshotServes) {
  Publish({Doc(1, "tea", 1)});
  ReplicaOptions ro;
  ro.cache_dir = tmp_.File("replica");
  auto replica = IndexReplica::Open(url_, ro);
  ASSERT_TRUE(replica.ok());
  Publish({Doc(2, "coffee", 2)});
  // Damage the new segment's object in the store.
  auto store = internal::OpenObjectStore(url_);
  ASSERT_TRUE(store.ok());
  auto files = (*store)->List("files/");
  ASSERT_TRUE(files.ok());
  std::string newest;
  for (const auto& f : *files) {
    if (f.key.find(".seg.") != std::string::npos && f.key > newest) newest = f.key;
  }
  ASSERT_FALSE(newest.empty());
  const std::string path = tmp_.File("store") + "/" + newest;
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  auto refreshed = (*replica)->Refresh();
  ASSERT_FALSE(refreshed.ok());
  EXPECT_EQ(refreshed.status().code(), StatusCode::kCorruption) << refreshed.status().ToString();
  EXPECT_NE(refreshed.status().message().find("hash"), std::string::npos);
  EXPECT_EQ(Ids(*(*replica)->index(), "tea"), std::vector<std::string>{"1"});
  EXPECT_EQ((*replica)->status().failures, 1u);
  EXPECT_FALSE((*replica)->status().last_error.empty());
}

TEST_F(RemoteIndexTest, GarbageCollectionKeepsWhatTheManifestNames) {
  RemoteWriterOptions o = WriterOptions("w");
  o.gc_grace_seconds = 0;
  o.writer.merge_policy.segments_per_tier = 2;
  o.writer.merge_policy.floor_segment_docs = 1;
  for (int i = 0; i < 6; ++i) {
    auto w = RemoteWriter::Open(url_, o);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->writer().Upsert(Doc(i, "tea number " + std::to_string(i), i)).ok());
    auto info = (*w)->Commit();
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }
  auto store = internal::OpenObjectStore(url_);
  auto listed = (*store)->List("files/");
  ASSERT_TRUE(listed.ok());
  ReplicaOptions ro;
  ro.cache_dir = tmp_.File("replica");
  auto replica = IndexReplica::Open(url_, ro);
  ASSERT_TRUE(replica.ok());
  EXPECT_EQ(Ids(*(*replica)->index(), "tea").size(), 6u);
  // Every object left is one the replica needed: as many as its files.
  size_t index_files = 0;
  for (const auto& e : std::filesystem::directory_iterator(ro.cache_dir)) {
    const std::string n = e.path().filename().string();
    if (n != "MANIFEST" && n != "REMOTE") ++index_files;
  }
  EXPECT_EQ(listed->size(), index_files);
}

TEST_F(RemoteIndexTest, EventIdsSurviveInTheManifest) {
  {
    auto w = RemoteWriter::Open(url_, WriterOptions("w"));
    ASSERT_TRUE(w.ok());
    EXPECT_FALSE((*w)->Applied("evt-1"));
    ASSERT_TRUE((*w)->writer().Upsert(Doc(1, "tea", 1)).ok());
    (*w)->MarkApplied("evt-1");
    ASSERT_TRUE((*w)->Commit().ok());
  }
  auto w = RemoteWriter::Open(url_, WriterOptions("w2"));
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE((*w)->Applied("evt-1"));
  EXPECT_FALSE((*w)->Applied("evt-2"));
}

TEST_F(RemoteIndexTest, LocalIndexesAreFollowedToo) {
  // A directory: a commit is picked up.
  auto writer = IndexWriter::Create(tmp_.File("dir"), *schema_);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Upsert(Doc(1, "tea", 1)).ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  ReplicaOptions ro;  // No cache_dir: nothing to download.
  ro.refresh_seconds = 0;
  auto dir = IndexReplica::Open(tmp_.File("dir"), ro);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_FALSE(*(*dir)->Refresh());
  ASSERT_TRUE((*writer)->Upsert(Doc(2, "green tea", 2)).ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_TRUE(*(*dir)->MaybeRefresh());
  EXPECT_EQ(Ids(*(*dir)->index(), "tea").size(), 2u);
  EXPECT_EQ((*dir)->status().generation, 3u);

  // A file: replaced by a rename, as `libsearch index --output` does.
  auto builder = IndexBuilder::Create(*schema_);
  ASSERT_TRUE(builder.ok());
  ASSERT_TRUE((*builder)->AddJson(Doc(1, "coffee", 1)).ok());
  ASSERT_TRUE((*builder)->Build(tmp_.File("one.idx")).ok());
  auto file = IndexReplica::Open(tmp_.File("one.idx"), ro);
  ASSERT_TRUE(file.ok());
  auto next = IndexBuilder::Create(*schema_);
  ASSERT_TRUE((*next)->AddJson(Doc(1, "coffee", 1)).ok());
  ASSERT_TRUE((*next)->AddJson(Doc(2, "iced coffee", 2)).ok());
  ASSERT_TRUE((*next)->Build(tmp_.File("one.idx")).ok());
  EXPECT_TRUE(*(*file)->Refresh());
  EXPECT_EQ(Ids(*(*file)->index(), "coffee").size(), 2u);
  std::filesystem::remove(tmp_.File("one.idx"));
  EXPECT_EQ((*file)->Refresh().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Ids(*(*file)->index(), "coffee").size(), 2u);  // Still serving.
}

TEST_F(RemoteIndexTest, ClearErrors) {
  ReplicaOptions ro;
  ro.cache_dir = tmp_.File("replica");
  auto none = IndexReplica::Open(url_, ro);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound) << none.status().ToString();
  RemoteWriterOptions wo;
  wo.cache_dir = tmp_.File("w");
  auto no_schema = RemoteWriter::Open(url_, wo);
  ASSERT_FALSE(no_schema.ok());
  EXPECT_NE(no_schema.status().message().find("schema"), std::string::npos);
  EXPECT_EQ(IndexReplica::Open("ftp://x/y", ro).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IndexReplica::Open("file://relative/dir", ro).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IndexReplica::Open(tmp_.File("none.idx"), ro).status().code(), StatusCode::kNotFound);
  ro.cache_dir.clear();
  EXPECT_EQ(IndexReplica::Open(url_, ro).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace libsearch
