// Change events (libsearch/updates.h) against a file:// store: duplicates,
// bad events, SQS partial batch responses, HTTP bodies, concurrent writers.
#include "libsearch/updates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "testing/test_util.h"

namespace libsearch {
namespace {

using ::libsearch::testing::TempDir;
using Json = nlohmann::json;

constexpr char kSchema[] = R"({"id": "id", "fields": {
  "title": {"type": "text", "stored": true},
  "price": {"type": "float", "stored": true}}})";

std::string Doc(int id, const std::string& title, double price) {
  return Json{{"id", std::to_string(id)}, {"title", title}, {"price", price}}.dump();
}

class UpdatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = Schema::FromJson(kSchema);
    ASSERT_TRUE(schema.ok());
    schema_ = std::make_unique<Schema>(*schema);
    url_ = "file://" + tmp_.File("store");
  }

  UpdateOptions Options(const std::string& cache) {
    UpdateOptions o;
    o.index_url = url_;
    o.writer.cache_dir = tmp_.File(cache);
    o.writer.schema = schema_.get();
    return o;
  }

  std::vector<std::string> Search(const std::string& q) {
    ReplicaOptions ro;
    ro.cache_dir = tmp_.File("replica");
    auto replica = IndexReplica::Open(url_, ro);
    EXPECT_TRUE(replica.ok()) << replica.status().ToString();
    if (!replica.ok()) return {};
    SearchRequest req;
    req.query = q;
    req.k = 100;
    auto resp = (*replica)->index()->Search(req);
    std::vector<std::string> ids;
    for (const Hit& h : resp->hits) ids.push_back(h.id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  TempDir tmp_;
  std::unique_ptr<Schema> schema_;
  std::string url_;
};

TEST_F(UpdatesTest, RedeliveredEventsChangeNothing) {
  const std::vector<ChangeEvent> batch = {{"e1", {Doc(1, "tea", 1), Doc(2, "green tea", 2)}},
                                          {"e2", {Doc(3, "coffee", 3)}}};
  auto first = ApplyChangeEvents(batch, Options("w"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->applied, 2u);
  EXPECT_TRUE(first->publish.published);
  const uint64_t generation = first->publish.commit.generation;
  auto again = ApplyChangeEvents(batch, Options("w"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->duplicates, 2u);
  EXPECT_EQ(again->applied, 0u);
  EXPECT_FALSE(again->publish.published);  // Nothing to publish.
  EXPECT_EQ(again->publish.commit.generation, generation);
  EXPECT_EQ(Search("tea"), (std::vector<std::string>{"1", "2"}));
}

TEST_F(UpdatesTest, ABadEventIsLeftOutWholeAndTheRestApply) {
  ASSERT_TRUE(ApplyChangeEvents({{"seed", {Doc(1, "tea", 1)}}}, Options("w")).ok());
  const std::vector<ChangeEvent> batch = {
      {"good-1", {Doc(2, "green tea", 2)}},
      // Its first line is fine, its second is not: neither applies.
      {"bad", {Doc(3, "black tea", 3), R"({"id": "9", "_set": {"price": 1}})"}},
      {"good-2", {R"({"id": "1", "_set": {"price": 0.5}})"}},
      {"broken-json", {"{not json"}}};
  auto r = ApplyChangeEvents(batch, Options("w"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->applied, 2u);
  ASSERT_EQ(r->failed.size(), 2u);
  EXPECT_EQ(r->failed[0].first, "bad");
  EXPECT_NE(r->failed[0].second.find("NotFound"), std::string::npos) << r->failed[0].second;
  EXPECT_EQ(r->failed[1].first, "broken-json");
  EXPECT_EQ(Search("tea"), (std::vector<std::string>{"1", "2"}));
  // The failed events were not recorded: fixed and redelivered, they apply.
  auto retry = ApplyChangeEvents({{"bad", {Doc(3, "black tea", 3)}}}, Options("w"));
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->applied, 1u);
  EXPECT_EQ(Search("tea"), (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(UpdatesTest, SqsBatchGetsAPartialBatchResponse) {
  const Json event = {
      {"Records",
       {{{"messageId", "m1"}, {"eventSource", "aws:sqs"}, {"body", Doc(1, "tea", 1) + "\n"}},
        {{"messageId", "m2"}, {"eventSource", "aws:sqs"}, {"body", R"({"id": 5, "_delete": 1})"}},
        {{"messageId", "m3"},
         {"eventSource", "aws:sqs"},
         {"body", Doc(2, "mint tea", 2) + "\r\n\n" + Doc(3, "iced tea", 3)}}}}};
  const LambdaReply reply = HandleUpdateLambdaEvent(event.dump(), Options("w"));
  ASSERT_FALSE(reply.is_error) << reply.payload;
  EXPECT_EQ(Json::parse(reply.payload),
            Json::parse(R"({"batchItemFailures": [{"itemIdentifier": "m2"}]})"));
  EXPECT_EQ(Search("tea"), (std::vector<std::string>{"1", "2", "3"}));
  // Delivered again (SQS retries the batch after a timeout): no change.
  const LambdaReply again = HandleUpdateLambdaEvent(event.dump(), Options("w2"));
  EXPECT_EQ(Json::parse(again.payload)["batchItemFailures"].size(), 1u);
}

TEST_F(UpdatesTest, StoreFailureReturnsEveryRecord) {
  UpdateOptions o = Options("w");
  o.index_url = "file://relative";  // Refused: nothing can be published.
  const Json event = {{"Records",
                       {{{"messageId", "a"}, {"body", Doc(1, "x", 1)}},
                        {{"messageId", "b"}, {"body", Doc(2, "y", 2)}}}}};
  const LambdaReply reply = HandleUpdateLambdaEvent(event.dump(), o);
  EXPECT_EQ(Json::parse(reply.payload)["batchItemFailures"].size(), 2u);
}

TEST_F(UpdatesTest, HttpBodiesAndIdempotencyKeys) {
  const std::string body = Doc(1, "tea", 1) + "\n" + Doc(2, "oolong tea", 2) + "\n";
  const JsonReply r = HandleUpdateBody(body, "batch-7", Options("w"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["applied"], 1);
  const JsonReply dup = HandleUpdateBody(body, "batch-7", Options("w"));
  EXPECT_EQ(Json::parse(dup.body)["duplicates"], 1);
  const JsonReply bad = HandleUpdateBody("{\"title\": \"no id\"}", "", Options("w"));
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("id"), std::string::npos);
  // A Pub/Sub push.
  const std::string data = Doc(3, "chai tea", 3);
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (size_t i = 0; i < data.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<uint8_t>(data[i + 1]) << 8;
    if (i + 2 < data.size()) v |= static_cast<uint8_t>(data[i + 2]);
    encoded += kB64[(v >> 18) & 63];
    encoded += kB64[(v >> 12) & 63];
    encoded += i + 1 < data.size() ? kB64[(v >> 6) & 63] : '=';
    encoded += i + 2 < data.size() ? kB64[v & 63] : '=';
  }
  const Json push = {{"message", {{"messageId", "ps-1"}, {"data", encoded}}},
                     {"subscription", "projects/p/subscriptions/s"}};
  EXPECT_EQ(HandleUpdateBody(push.dump(), "", Options("w")).status, 200);
  EXPECT_EQ(Search("tea"), (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(UpdatesTest, ConcurrentUpdateFunctionsLoseNoEvent) {
  ASSERT_TRUE(ApplyChangeEvents({{"seed", {Doc(0, "tea", 0)}}}, Options("seed")).ok());
  constexpr int kWriters = 4;
  constexpr int kBatches = 5;
  std::vector<std::thread> threads;
  std::vector<int> attempts(kWriters, 0);
  std::vector<std::string> errors(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      UpdateOptions o = Options("w" + std::to_string(w));
      o.max_attempts = 50;
      for (int b = 0; b < kBatches; ++b) {
        const int id = 1 + w * kBatches + b;
        auto r = ApplyChangeEvents({{"e" + std::to_string(id), {Doc(id, "tea", id)}}}, o);
        if (!r.ok()) {
          errors[w] = r.status().ToString();
          return;
        }
        attempts[w] += r->attempts;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(Search("tea").size(), 1u + kWriters * kBatches);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(UpdatesTest, RebuildReplacesTheIndexAndReplaysLaterChanges) {
  ASSERT_TRUE(ApplyChangeEvents(
                  {{"s", {Doc(1, "old tea", 1), Doc(2, "green tea", 2), Doc(3, "black tea", 3)}}},
                  Options("w"))
                  .ok());
  const int64_t started = NowMs();
  // The export, as the catalogue system wrote it: 3 is gone, 1 changed, 4 is new.
  std::filesystem::create_directories(tmp_.File("exports"));
  testing::WriteFile(tmp_.File("exports/catalogue.jsonl"),
                     Doc(1, "new tea", 1) + "\n" + Doc(2, "green tea", 2) + "\n" +
                         Doc(4, "white tea", 4) + "\n{bad line\n");
  // A change published after the export started: replayed over it.
  ASSERT_TRUE(
      ApplyChangeEvents({{"late", {R"({"id": "2", "_set": {"price": 9}})"}}}, Options("w")).ok());
  // Concurrent update functions while the rebuild runs.
  std::thread updater([&] {
    for (int i = 10; i < 15; ++i) {
      UpdateOptions o = Options("u");
      o.max_attempts = 50;
      EXPECT_TRUE(ApplyChangeEvents({{"c" + std::to_string(i), {Doc(i, "chai tea", i)}}}, o).ok());
    }
  });
  RebuildOptions r;
  r.index_url = url_;
  r.export_url = "file://" + tmp_.File("exports/catalogue.jsonl");
  r.export_started_unix_ms = started;
  r.writer.cache_dir = tmp_.File("rebuild");
  auto report = RebuildIndex(r);
  updater.join();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->ingest.docs_added, 3u);
  EXPECT_EQ(report->ingest.lines_skipped, 1u);
  EXPECT_GE(report->replayed, 1u);
  // Whatever the interleaving, every change published survives.
  auto final_ids = Search("tea");
  std::vector<std::string> expected = {"1", "10", "11", "12", "13", "14", "2", "4"};
  // An update published before the rebuild won holds; any published after
  // it was replayed or applied on top: all are there, 3 is not.
  EXPECT_EQ(final_ids, expected);
  EXPECT_EQ(Search("old").size(), 0u);
  ReplicaOptions ro;
  ro.cache_dir = tmp_.File("replica2");
  auto replica = IndexReplica::Open(url_, ro);
  ASSERT_TRUE(replica.ok());
  SearchRequest green;
  green.query = "green";
  green.include_docs = true;
  auto hit = (*replica)->index()->Search(green);
  ASSERT_TRUE(hit.ok());
  ASSERT_EQ(hit->hits.size(), 1u);
  EXPECT_NE(hit->hits[0].doc_json.find("\"price\":9"), std::string::npos) << hit->hits[0].doc_json;
  // The events remembered before the rebuild still deduplicate.
  auto again =
      ApplyChangeEvents({{"late", {R"({"id": "2", "_set": {"price": 1}})"}}}, Options("w"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->duplicates, 1u);
}

}  // namespace
}  // namespace libsearch
