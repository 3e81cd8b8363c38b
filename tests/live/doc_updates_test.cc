// In-place updates (`_set` of fields without terms): update files, what
// readers see through them, and that merges fold them in.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "index/index_reader.h"
#include "libsearch/index.h"
#include "libsearch/index_writer.h"
#include "live/live_state.h"
#include "storage/index_dir.h"
#include "storage/manifest.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using ::libsearch::testing::DirState;
using ::libsearch::testing::LiveIds;
using ::libsearch::testing::ReadDirState;
using ::libsearch::testing::TempDir;
using Json = nlohmann::json;
using Strings = std::vector<std::string>;

constexpr char kSchema[] = R"({"id": "id", "fields": {
  "title": {"type": "text", "stored": true},
  "brand": {"type": "keyword", "stored": true},
  "image": {"type": "keyword", "stored": true, "indexed": false},
  "stock": {"type": "int", "stored": true},
  "price": {"type": "float", "stored": true}}})";

IndexWriterOptions NoMerge() {
  IndexWriterOptions o;
  o.merge_on_commit = false;
  return o;
}

std::string Doc(const std::string& id, double price, int64_t stock) {
  return Json{{"id", id},      {"title", "tea " + id}, {"brand", "acme"},
              {"image", "i0"}, {"stock", stock},       {"price", price}}
      .dump();
}

DirState State(const std::string& dir) {
  auto st = ReadDirState(dir);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  return st.ok() ? *st : DirState();
}

// Ids of the hits of `filter`, sorted by price (ascending).
Strings ByPrice(const Index& index, const std::string& filter) {
  SearchRequest req;
  req.k = 100;
  if (!filter.empty()) req.filters.push_back(filter);
  req.sort.push_back({"price", false});
  auto resp = index.Search(req);
  EXPECT_TRUE(resp.ok()) << resp.status().ToString();
  Strings ids;
  if (resp.ok()) {
    for (const Hit& h : resp->hits) ids.push_back(h.id);
  }
  return ids;
}

class DocUpdatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = Schema::FromJson(kSchema);
    ASSERT_TRUE(schema.ok());
    auto w = IndexWriter::Create(tmp_.path(), *schema, NoMerge());
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    writer_ = std::move(*w);
    for (int i = 0; i < 5; ++i) {
      ASSERT_OK(writer_->Upsert(Doc("d" + std::to_string(i), 10 + i, i)));
    }
    ASSERT_OK(writer_->Commit().status());
  }
  TempDir tmp_;
  std::unique_ptr<IndexWriter> writer_;
};

TEST_F(DocUpdatesTest, NumbersChangeInPlaceAndReadersSeeThemAfterReopen) {
  auto before = Index::Open(tmp_.path());
  ASSERT_TRUE(before.ok());
  // A filter cached on the old snapshot must not leak into the new one.
  EXPECT_EQ(ByPrice(**before, "price:<12"), (Strings{"d0", "d1"}));

  ASSERT_OK(writer_->Set("d3", R"({"price": 1.5})"));
  ASSERT_OK(writer_->Set("d4", R"({"stock": 40, "image": "i4"})"));
  ASSERT_OK(writer_->Set("d4", R"({"price": null})"));  // Accumulates.
  ASSERT_OK_AND_ASSIGN(CommitInfo info, writer_->Commit());
  EXPECT_EQ(info.docs_updated, 2u);
  EXPECT_EQ(info.docs_added, 0u);
  EXPECT_EQ(info.docs_deleted, 0u);

  const DirState st = State(tmp_.path());
  ASSERT_EQ(st.manifest.segments.size(), 1u);  // No new segment.
  EXPECT_EQ(st.manifest.segments[0].num_updated, 2u);
  EXPECT_EQ(st.manifest.segments[0].updates, "s000001_3.upd");
  EXPECT_EQ(LiveIds(st), (Strings{"d0", "d1", "d2", "d3", "d4"}));  // In place.
  EXPECT_EQ(st.live[3].source["price"], 1.5);
  EXPECT_EQ(st.live[4].source, Json::parse(R"({"id": "d4", "title": "tea d4", "brand": "acme",
                                               "image": "i4", "stock": 40})"));

  // The old snapshot is unchanged; the new one sees the values in filters,
  // sort, facets and stored documents.
  EXPECT_EQ(ByPrice(**before, "price:<12"), (Strings{"d0", "d1"}));
  ASSERT_OK_AND_ASSIGN(auto after, (*before)->Reopen());
  EXPECT_EQ(ByPrice(*after, "price:<12"), (Strings{"d3", "d0", "d1"}));
  EXPECT_EQ(ByPrice(*after, "stock:>=10"), (Strings{"d4"}));
  EXPECT_EQ(ByPrice(**before, "stock:>=10"), Strings{});
  EXPECT_EQ(ByPrice(*after, ""), (Strings{"d3", "d0", "d1", "d2", "d4"}));  // No price: last.
  SearchRequest req;
  req.query = "tea";
  req.facets.push_back({"price", 10, {{"cheap", 0, 5}, {"dear", 5, 100}}, false});
  ASSERT_OK_AND_ASSIGN(SearchResponse resp, after->Search(req));
  ASSERT_EQ(resp.facets.size(), 1u);
  EXPECT_EQ(resp.facets[0].values[0].count, 1u);
  EXPECT_EQ(resp.facets[0].values[1].count, 3u);
  for (const Hit& h : resp.hits) {
    if (h.id == "d4") {
      EXPECT_EQ(Json::parse(h.doc_json)["image"], "i4");
      EXPECT_FALSE(Json::parse(h.doc_json).contains("price"));
    }
  }
  ASSERT_OK(after->Verify());
  ASSERT_OK_AND_ASSIGN(IndexInfo ii, after->Info());
  EXPECT_EQ(ii.segments[0].updated, 2u);

  // The next reopen starts from this snapshot's columns and writes what
  // changed: a value changed again, a new one, the entry of a deleted doc.
  ASSERT_OK(writer_->Set("d3", R"({"price": 20})"));
  ASSERT_OK(writer_->Set("d1", R"({"price": 0.5})"));
  ASSERT_OK(writer_->Delete("d4"));
  ASSERT_OK(writer_->Commit().status());
  ASSERT_OK_AND_ASSIGN(auto third, after->Reopen());
  EXPECT_EQ(ByPrice(*third, "price:<12"), (Strings{"d1", "d0"}));
  EXPECT_EQ(ByPrice(*third, "price:>=12"), (Strings{"d2", "d3"}));
  EXPECT_EQ(ByPrice(*third, ""), (Strings{"d1", "d0", "d2", "d3"}));
  EXPECT_EQ(ByPrice(*after, "price:<12"), (Strings{"d3", "d0", "d1"}));  // Unchanged.
  ASSERT_OK(third->Verify());
  // A reader opened afresh agrees with the reopened one.
  ASSERT_OK_AND_ASSIGN(auto fresh, Index::Open(tmp_.path()));
  EXPECT_EQ(ByPrice(*fresh, "price:>=12"), (Strings{"d2", "d3"}));
}

// The numeric overlay (values of updated docs beside the mapped column)
// against a model of every doc's value, over random rounds of `_set`s
// (values changed, removed, added back) and reopens: Has, Value and the
// block bounds (each covers its block's values) for every doc; and the
// filters and sort of the reopened snapshot against the model.
TEST(DocUpdatesOverlay, ReadsEqualAModelOverRandomRounds) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(kSchema));
  ASSERT_OK_AND_ASSIGN(auto writer, IndexWriter::Create(tmp.path(), schema, NoMerge()));
  constexpr int kDocs = 1500;  // Several numeric blocks and overlay words.
  std::mt19937_64 rng(21);
  std::vector<std::optional<double>> price(kDocs);
  std::vector<std::optional<int64_t>> stock(kDocs);
  for (int i = 0; i < kDocs; ++i) {
    price[i] = static_cast<double>(rng() % 1000) / 10;
    stock[i] = static_cast<int64_t>(rng() % 50);
    ASSERT_OK(writer->Upsert(Doc("d" + std::to_string(i), *price[i], *stock[i])));
  }
  ASSERT_OK(writer->Commit().status());
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(tmp.path()));
  for (int round = 0; round < 8; ++round) {
    for (int k = 0, n = 1 + static_cast<int>(rng() % 200); k < n; ++k) {
      const int d = static_cast<int>(rng() % kDocs);
      Json set = Json::object();
      if (rng() % 2 == 0) {
        price[d].reset();
        if (rng() % 4 != 0) price[d] = static_cast<double>(rng() % 1000) / 10;
        set["price"] = price[d] ? Json(*price[d]) : Json(nullptr);
      }
      if (rng() % 2 == 0) {
        stock[d].reset();
        if (rng() % 4 != 0) stock[d] = static_cast<int64_t>(rng() % 50) - 10;
        set["stock"] = stock[d] ? Json(*stock[d]) : Json(nullptr);
      }
      if (set.empty()) continue;
      ASSERT_OK(writer->Set("d" + std::to_string(d), set.dump()));
    }
    ASSERT_OK(writer->Commit().status());
    ASSERT_OK_AND_ASSIGN(index, index->Reopen());
    ASSERT_OK(index->Verify());

    const DirState st = State(tmp.path());
    ASSERT_EQ(st.manifest.segments.size(), 1u);
    const internal::SegmentEntry& e = st.manifest.segments[0];
    ASSERT_OK_AND_ASSIGN(auto reader, internal::IndexReader::Open(tmp.File(e.SegmentFile())));
    ASSERT_OK_AND_ASSIGN(auto updates, internal::ReadUpdateFile(tmp.File(e.updates), e.num_docs,
                                                                schema.fields().size()));
    ASSERT_OK(reader->ApplyUpdates(std::move(updates)));
    const internal::NumericColumn* pc = reader->numeric(*schema.FieldIndex("price"));
    const internal::NumericColumn* sc = reader->numeric(*schema.FieldIndex("stock"));
    for (uint32_t d = 0; d < kDocs; ++d) {
      ASSERT_EQ(pc->Has(d), price[d].has_value()) << "doc " << d << " round " << round;
      if (price[d]) {
        ASSERT_EQ(pc->Value(d), *price[d]) << "doc " << d;
      }
      ASSERT_EQ(sc->Has(d), stock[d].has_value()) << "doc " << d << " round " << round;
      if (stock[d]) {
        ASSERT_EQ(sc->Value(d), static_cast<double>(*stock[d])) << "doc " << d;
      }
      const size_t b = d / internal::kNumericBlockDocs;
      if (price[d]) {
        ASSERT_LE(pc->block_min_max[2 * b], *price[d]);
        ASSERT_GE(pc->block_min_max[2 * b + 1], *price[d]);
      }
    }
    // Through the reopened snapshot: a range filter and the sort.
    Strings want;
    std::vector<std::pair<double, int>> cheap;
    for (int d = 0; d < kDocs; ++d) {
      if (price[d] && *price[d] < 20) cheap.emplace_back(*price[d], d);
    }
    std::sort(cheap.begin(), cheap.end());
    for (const auto& [p, d] : cheap) want.push_back("d" + std::to_string(d));
    if (want.size() > 100) want.resize(100);
    EXPECT_EQ(ByPrice(*index, "price:<20"), want) << "round " << round;
  }
}

TEST_F(DocUpdatesTest, LaterWritersMergesAndUpsertsKeepTheUpdates) {
  ASSERT_OK(writer_->Set("d1", R"({"price": 99})"));
  ASSERT_OK(writer_->Commit().status());
  writer_.reset();
  ASSERT_OK_AND_ASSIGN(writer_, IndexWriter::Open(tmp_.path(), NoMerge()));
  // A second writer reads the update file: entries accumulate per doc.
  ASSERT_OK(writer_->Set("d1", R"({"stock": 7})"));
  ASSERT_OK(writer_->Set("d2", R"({"price": 5})"));
  ASSERT_OK(writer_->Delete("d2"));  // The pending update goes with the doc.
  ASSERT_OK(writer_->Set("d0", R"({"price": 3})"));
  ASSERT_OK(writer_->Upsert(Doc("d0", 4, 0)));  // The upsert wins.
  ASSERT_OK(writer_->Commit().status());
  DirState st = State(tmp_.path());
  EXPECT_EQ(LiveIds(st), (Strings{"d1", "d3", "d4", "d0"}));
  EXPECT_EQ(st.live[0].source["price"], 99);
  EXPECT_EQ(st.live[0].source["stock"], 7);
  EXPECT_EQ(st.live[3].source["price"], 4);
  EXPECT_EQ(st.manifest.segments[0].num_updated, 1u);
  // A text field re-indexes: the doc moves to a new segment.
  ASSERT_OK(writer_->Set("d3", R"({"title": "green tea", "price": 2})"));
  ASSERT_OK(writer_->Commit().status());
  st = State(tmp_.path());
  EXPECT_EQ(LiveIds(st), (Strings{"d1", "d4", "d0", "d3"}));
  EXPECT_EQ(st.live[3].source["title"], "green tea");

  // Compaction folds the updates into the new segment's columns.
  ASSERT_OK(writer_->Compact().status());
  st = State(tmp_.path());
  ASSERT_EQ(st.manifest.segments.size(), 1u);
  EXPECT_TRUE(st.manifest.segments[0].updates.empty());
  EXPECT_EQ(st.live[0].source["stock"], 7);
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(tmp_.path()));
  EXPECT_EQ(ByPrice(*index, "price:>50"), (Strings{"d1"}));
  // Only the manifest's files are left.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp_.path())) {
    files += e.path().extension() == ".upd";
  }
  EXPECT_EQ(files, 0u);
}

TEST_F(DocUpdatesTest, BadUpdatesAreRefusedAndDamageIsFound) {
  EXPECT_EQ(writer_->Set("d1", R"({"stock": 1.5})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(writer_->Set("d1", R"({"price": "cheap"})").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(writer_->has_pending());
  ASSERT_OK(writer_->Set("d1", R"({"price": 2})"));
  ASSERT_OK(writer_->Commit().status());
  const DirState st = State(tmp_.path());
  const std::string upd = tmp_.path() + "/" + st.manifest.segments[0].updates;

  // A column value unlike its JSON value: the file's checksum is right, so
  // only verify finds it.
  internal::DocUpdates bad;
  const uint32_t price = static_cast<uint32_t>(*writer_->schema().FieldIndex("price"));
  bad.docs.push_back({1, R"({"price":2})", {{price, true, 0}}});
  ASSERT_OK(internal::WriteUpdateFile(upd, bad, 5));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(tmp_.path()));
  EXPECT_EQ(index->Verify().code(), StatusCode::kCorruption);

  // A flipped byte: the checksum.
  std::string bytes = testing::ReadFile(upd);
  bytes[30] ^= 1;
  testing::WriteFile(upd, bytes);
  auto damaged = Index::Open(tmp_.path());
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::kCorruption);
  EXPECT_NE(damaged.status().message().find("update file"), std::string::npos);
}

}  // namespace
}  // namespace libsearch
