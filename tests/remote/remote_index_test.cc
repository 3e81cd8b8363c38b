// Remote indexes (libsearch/remote.h) in a file:// store and in gs:// on
// fake-gcs-server (tests/remote/fake_gcs.h): publish, follow, conflicts,
// damage, garbage collection, event ids; then the GCS store's own contract
// (generations, preconditions, paging). The same code runs against S3
// through moto in bindings/python/tests/test_remote.py.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libsearch/fan_out.h"
#include "libsearch/index_builder.h"
#include "libsearch/remote.h"
#include "libsearch/sharded_index.h"
#include "remote/fake_gcs.h"
#include "remote/object_store.h"
#include "testing/search_compare.h"
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

using ::libsearch::testing::FakeGcs;

// Starts fake-gcs-server and points STORAGE_EMULATOR_HOST at it; fails the
// test if it cannot.
std::unique_ptr<FakeGcs> StartFakeGcs(const std::string& dir) {
  auto gcs = std::make_unique<FakeGcs>(dir);
  if (gcs->ok()) {
    ::setenv("STORAGE_EMULATOR_HOST", gcs->host().c_str(), 1);
  }
  return gcs;
}

#define REQUIRE_GCS(gcs)                        \
  do {                                          \
    if (!(gcs)->ok()) FAIL() << (gcs)->error(); \
  } while (0)

class RemoteIndexFixture : public ::testing::Test {
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
  std::unique_ptr<FakeGcs> gcs_;
};

// Each test against each store: "file" and "gs" (a fresh prefix in the
// emulator's bucket).
class RemoteIndexTest : public RemoteIndexFixture,
                        public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    RemoteIndexFixture::SetUp();
    if (GetParam() == "gs") {
      gcs_ = StartFakeGcs(tmp_.File("gcs"));
      REQUIRE_GCS(gcs_);
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '-');
      url_ = std::string("gs://") + FakeGcs::kBucket + "/" + name;
    }
  }
};

INSTANTIATE_TEST_SUITE_P(Stores, RemoteIndexTest, ::testing::Values("file", "gs"),
                         [](const auto& p) { return p.param; });

TEST_P(RemoteIndexTest, ReplicaFollowsPublishedCommits) {
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

// A sharded index in object storage (remote.h, UploadShardedIndex): served
// whole by a replica, and shard by shard (OpenOptions::shards: only that
// shard and the statistics downloaded) behind a fan-out coordinator, both as
// the local sharded index; a new upload is followed by Refresh.
TEST_P(RemoteIndexTest, ShardedIndexServedWholeAndShardByShard) {
  auto schema = Schema::FromFile(testing::SourcePath("examples/products/schema.json"));
  ASSERT_TRUE(schema.ok());
  const std::vector<std::string> products = testing::FirstBundledProducts(1600);
  const std::string local = tmp_.File("local.shards");
  {
    auto writer = ShardedWriter::Create(local, *schema, 3);
    ASSERT_TRUE(writer.ok());
    for (size_t i = 0; i < 1200; ++i) ASSERT_TRUE((*writer)->Upsert(products[i]).ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  ASSERT_TRUE(UploadShardedIndex(local, url_).ok());
  ReplicaOptions whole_options;
  whole_options.cache_dir = tmp_.File("whole");
  whole_options.refresh_seconds = 0;
  auto whole = IndexReplica::Open(url_, whole_options);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  std::vector<std::unique_ptr<IndexReplica>> shards;
  for (uint32_t i = 0; i < 3; ++i) {
    ReplicaOptions o = whole_options;
    o.cache_dir = tmp_.File("shard-" + std::to_string(i));
    o.open.shards = {i};
    auto r = IndexReplica::Open(url_, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    shards.push_back(std::move(*r));
  }
  // A shard function downloads its shard and the statistics, not the others.
  EXPECT_TRUE(std::filesystem::exists(tmp_.File("shard-1/shard-001/MANIFEST")));
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("shard-1/shard-000")));
  EXPECT_TRUE(std::filesystem::exists(tmp_.File("shard-1/stats/shard-000")));
  auto fan_out = [&]() {
    std::vector<std::shared_ptr<const Index>> served;
    for (const auto& r : shards) served.push_back(r->index());
    return FanOutIndex::Open(InProcessShardTransport(served));
  };
  auto compare = [&](const std::string& when) {
    auto want = Index::Open(local);
    ASSERT_TRUE(want.ok());
    auto coordinator = fan_out();
    ASSERT_TRUE(coordinator.ok()) << coordinator.status().ToString();
    for (const char* q : {"chocolate", "peanut butter", "organic juice", "tea OR coffee", "salt"}) {
      SearchRequest req;
      req.query = q;
      req.k = 20;
      req.default_operator = Operator::kOr;
      req.facets.push_back({"country", 5, {}, false});
      auto a = (*want)->Search(req);
      ASSERT_TRUE(a.ok());
      for (const Index* got :
           {(*whole)->index().get(), static_cast<const Index*>(coordinator->get())}) {
        auto b = got->Search(req);
        ASSERT_TRUE(b.ok()) << b.status().ToString();
        testing::ExpectIdentical(*a, *b, when + " " + q);
      }
    }
  };
  compare("first upload");
  // A commit (deletes, new documents) uploaded again: every replica follows.
  {
    auto writer = ShardedWriter::Open(local);
    ASSERT_TRUE(writer.ok());
    for (size_t i = 0; i < 50; ++i) {
      ASSERT_TRUE(
          (*writer)->Delete(nlohmann::json::parse(products[i])["barcode"].get<std::string>()).ok());
    }
    for (size_t i = 1200; i < products.size(); ++i)
      ASSERT_TRUE((*writer)->Upsert(products[i]).ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  ASSERT_TRUE(UploadShardedIndex(local, url_).ok());
  auto changed = (*whole)->Refresh();
  ASSERT_TRUE(changed.ok() && *changed) << changed.status().ToString();
  for (auto& r : shards) {
    auto c = r->Refresh();
    ASSERT_TRUE(c.ok() && *c) << c.status().ToString();
  }
  compare("second upload");
}

TEST_P(RemoteIndexTest, CacheIsReusedAndOnlyNewFilesAreDownloaded) {
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

TEST_P(RemoteIndexTest, SecondWriterLosesTheRaceAndRetries) {
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

TEST_P(RemoteIndexTest, DamagedObjectIsRefusedAndTheLastSnapshotServes) {
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
  auto object = (*store)->Get(newest, "");
  ASSERT_TRUE(object.ok()) << object.status().ToString();
  ASSERT_GT(object->body.size(), 100u);
  object->body[100] = static_cast<char>(object->body[100] ^ 0x7f);
  ASSERT_TRUE((*store)->Put(newest, object->body, internal::Precondition::kNone, "").ok());
  auto refreshed = (*replica)->Refresh();
  ASSERT_FALSE(refreshed.ok());
  EXPECT_EQ(refreshed.status().code(), StatusCode::kCorruption) << refreshed.status().ToString();
  EXPECT_NE(refreshed.status().message().find("hash"), std::string::npos);
  EXPECT_EQ(Ids(*(*replica)->index(), "tea"), std::vector<std::string>{"1"});
  EXPECT_EQ((*replica)->status().failures, 1u);
  EXPECT_FALSE((*replica)->status().last_error.empty());
}

TEST_P(RemoteIndexTest, GarbageCollectionKeepsWhatTheManifestNames) {
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

TEST_P(RemoteIndexTest, EventIdsSurviveInTheManifest) {
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

TEST_F(RemoteIndexFixture, LocalIndexesAreFollowedToo) {
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

TEST_P(RemoteIndexTest, ClearErrors) {
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

// The GCS store's own contract, on the emulator.
class GcsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gcs_ = StartFakeGcs(tmp_.File("gcs"));
    REQUIRE_GCS(gcs_);
  }
  std::unique_ptr<internal::ObjectStore> Open(const std::string& prefix, int page_size = 1000) {
    auto store = internal::OpenGcsStore(FakeGcs::kBucket, prefix, page_size);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  TempDir tmp_;
  std::unique_ptr<FakeGcs> gcs_;
};

using internal::Precondition;

TEST_F(GcsStoreTest, GenerationsAreVersionTokens) {
  auto store = Open("gen/");
  auto first = store->Put("MANIFEST", "one", Precondition::kIfAbsent, "");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_FALSE(first->empty());
  // Create-only again: the key exists.
  auto again = store->Put("MANIFEST", "two", Precondition::kIfAbsent, "");
  EXPECT_EQ(again.status().code(), StatusCode::kAborted) << again.status().ToString();
  EXPECT_NE(again.status().message().find("gs://libsearch-test/gen/MANIFEST"), std::string::npos);

  // Conditional GET on the current generation: not modified, no body.
  auto same = store->Get("MANIFEST", *first);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->not_modified);
  EXPECT_EQ(same->etag, *first);
  EXPECT_TRUE(same->body.empty());

  // Replace-if-unchanged: succeeds on the current generation only.
  auto second = store->Put("MANIFEST", "two", Precondition::kIfMatch, *first);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(*second, *first);
  auto stale = store->Put("MANIFEST", "three", Precondition::kIfMatch, *first);
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted) << stale.status().ToString();

  auto changed = store->Get("MANIFEST", *first);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(changed->not_modified);
  EXPECT_EQ(changed->etag, *second);
  EXPECT_EQ(changed->body, "two");
  auto plain = store->Get("MANIFEST", "");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->body, "two");
}

TEST_F(GcsStoreTest, FilesNamesListingAndDeletion) {
  auto store = Open("p/");
  // Streamed both ways, with a name that needs encoding.
  const std::string bytes(300000, 'x');
  testing::WriteFile(tmp_.File("up"), bytes + "end");
  const std::string key = "files/a b+c%d.seg";
  ASSERT_TRUE(store->PutFile(key, tmp_.File("up"), Precondition::kIfAbsent).ok());
  EXPECT_EQ(store->PutFile(key, tmp_.File("up"), Precondition::kIfAbsent).code(),
            StatusCode::kAborted);
  ASSERT_TRUE(store->GetToFile(key, tmp_.File("down")).ok());
  EXPECT_EQ(testing::ReadFile(tmp_.File("down")), bytes + "end");

  // Paging: five objects under the prefix, two a page; one outside it.
  auto outside = Open("");
  ASSERT_TRUE(outside->Put("p-other", "x", Precondition::kNone, "").ok());
  for (const char* k : {"files/b", "files/c", "files/d", "files/e"}) {
    ASSERT_TRUE(store->Put(k, k, Precondition::kNone, "").ok());
  }
  auto paged = Open("p/", 2)->List("files/");
  ASSERT_TRUE(paged.ok()) << paged.status().ToString();
  std::vector<std::string> keys;
  for (const auto& o : *paged) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{key, "files/b", "files/c", "files/d", "files/e"}));
  EXPECT_EQ((*paged)[0].size, bytes.size() + 3);
  EXPECT_GT((*paged)[0].modified_unix, 1700000000);
  auto all = outside->List("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 6u);

  ASSERT_TRUE(store->Delete("files/b").ok());
  ASSERT_TRUE(store->Delete("files/b").ok());  // Already gone: not an error.
  auto gone = store->Get("files/b", "");
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();
  EXPECT_EQ(store->List("files/")->size(), 4u);
}

TEST_F(GcsStoreTest, ClearErrors) {
  // No such bucket.
  auto store = internal::OpenGcsStore("no-such-bucket", "", 1000);
  ASSERT_TRUE(store.ok());
  auto missing = (*store)->Get("MANIFEST", "");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("gs://no-such-bucket/MANIFEST"), std::string::npos);
  EXPECT_EQ(internal::OpenObjectStore("gs:///x").status().code(), StatusCode::kInvalidArgument);

  // The store goes away: IOError naming the object, after the retries.
  const std::string host = gcs_->host();
  gcs_->Stop();
  auto down = Open("x/");
  auto failed = down->Get("MANIFEST", "");
  EXPECT_EQ(failed.status().code(), StatusCode::kIOError);
  EXPECT_NE(failed.status().message().find("gs://libsearch-test/x/MANIFEST"), std::string::npos)
      << failed.status().ToString();

  // No emulator, no token, no metadata server: what to set.
  ::unsetenv("STORAGE_EMULATOR_HOST");
  ::unsetenv("GOOGLE_OAUTH_ACCESS_TOKEN");
  ::setenv("GCE_METADATA_HOST", host.c_str(), 1);  // Nothing listens there now.
  auto no_auth = Open("x/")->Get("MANIFEST", "");
  EXPECT_EQ(no_auth.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_auth.status().message().find("GOOGLE_OAUTH_ACCESS_TOKEN"), std::string::npos)
      << no_auth.status().ToString();
  ::unsetenv("GCE_METADATA_HOST");
}

}  // namespace
}  // namespace libsearch
