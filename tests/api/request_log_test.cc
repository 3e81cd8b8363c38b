// Tests of the request log line (libsearch/request_log.h). The surfaces'
// lines under their real runtimes are tested by
// functions/tests/test_advisor_logs.py.
#include "libsearch/request_log.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <atomic>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/test_util.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;
using std::chrono::microseconds;

const Index& CatalogueIndex() {
  static testing::TempDir* dir = new testing::TempDir();
  static Index* index = [] {
    if (!testing::BuildBundledCatalogue(dir->File("p.idx")).ok()) std::abort();
    auto opened = Index::Open(dir->File("p.idx"));
    if (!opened.ok()) std::abort();
    return opened->release();
  }();
  return *index;
}

// Parses strictly: nlohmann rejects invalid UTF-8 and raw control characters.
Json Parse(const std::string& line) {
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  return Json::parse(line);
}

std::string Xxh3Hex(std::string_view s) {
  std::ostringstream out;
  out << std::hex << std::setw(16) << std::setfill('0')
      << static_cast<unsigned long long>(XXH3_64bits(s.data(), s.size()));
  return out.str();
}

RequestLogRecord Record(std::string query) {
  RequestLogRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764583200125));
  r.surface = "lambda-cpp";
  r.cold = true;
  r.status = 200;
  r.took_us = 412;
  r.total = 37;
  r.query = std::move(query);
  return r;
}

TEST(RequestLogLineTest, WritesEveryFieldInOrder) {
  const std::string line = RequestLogLine(Record("peanut butter"));
  EXPECT_EQ(line,
            "{\"libsearch_request\":1,\"time\":1764583200.125,\"surface\":\"lambda-cpp\","
            "\"cold\":true,\"status\":200,\"took_us\":412,\"total\":37,\"query_len\":13,"
            "\"query_hash\":\"" +
                Xxh3Hex("peanut butter") + "\"}");
  RequestLogRecord error = Record("x");
  error.total.reset();
  error.status = 400;
  error.cold = false;
  const Json j = Parse(RequestLogLine(error));
  EXPECT_TRUE(j["total"].is_null());
  EXPECT_EQ(j["status"], 400);
  EXPECT_EQ(j["cold"], false);
}

TEST(RequestLogLineTest, QueryHashIsXxh3OfTheBytes) {
  // The reference value of XXH3-64 (seed 0) for no input.
  EXPECT_EQ(QueryHash(""), "2d06800538d394c2");
  for (const std::string& q :
       std::vector<std::string>{"tea", "crème brûlée", std::string("a\0b", 3), "\xff\xfe"}) {
    EXPECT_EQ(QueryHash(q), Xxh3Hex(q));
    EXPECT_EQ(QueryHash(q).size(), 16u);
  }
  EXPECT_NE(QueryHash("tea"), QueryHash("Tea"));
}

TEST(RequestLogLineTest, RawQueryOnlyWhenEnabled) {
  const Json off = Parse(RequestLogLine(Record("my secret")));
  EXPECT_FALSE(off.contains("query"));
  EXPECT_EQ(off["query_len"], 9);
  const Json on = Parse(RequestLogLine(Record("my secret"), true));
  EXPECT_EQ(on["query"], "my secret");
  EXPECT_EQ(on["query_hash"], off["query_hash"]);
}

TEST(RequestLogLineTest, OddQueriesKeepTheLineValidJson) {
  const std::vector<std::string> odd = {"say \"hi\" \\ there",
                                        "tab\there\nnewline\rcr",
                                        std::string("nul\0inside", 10),
                                        "\x01\x1f\x7f",
                                        "caf\xc3\xa9 \xe2\x80\xa8 sep \xc2\x85",
                                        "</script>{\"libsearch_request\":1}",
                                        "\xff\xfe invalid \xc3",
                                        "\xed\xa0\x80 surrogate"};
  for (const std::string& q : odd) {
    for (const bool raw : {false, true}) {
      const std::string line = RequestLogLine(Record(q), raw);
      Json j;
      ASSERT_NO_THROW(j = Parse(line)) << line;
      EXPECT_EQ(j["libsearch_request"], 1);
      EXPECT_EQ(j["query_hash"], Xxh3Hex(q));
      EXPECT_EQ(j.contains("query"), raw);
      // One line per request, for any line reader: ASCII only, so no raw
      // newline, U+0085 or U+2028 can split it.
      for (const char c : line) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << line;
    }
  }
  // Valid UTF-8 comes back as it was; invalid bytes as U+FFFD.
  EXPECT_EQ(Parse(RequestLogLine(Record(odd[1]), true))["query"], odd[1]);
  EXPECT_EQ(Parse(RequestLogLine(Record(odd[2]), true))["query"], odd[2]);
  EXPECT_EQ(Parse(RequestLogLine(Record(odd[4]), true))["query"], odd[4]);
  EXPECT_EQ(Parse(RequestLogLine(Record(odd[6]), true))["query"],
            "\xef\xbf\xbd\xef\xbf\xbd invalid \xef\xbf\xbd");
  // Code points, as Python's len().
  EXPECT_EQ(Parse(RequestLogLine(Record(odd[4])))["query_len"], 12);
}

TEST(RequestLoggerTest, FirstLineIsColdThenWarm) {
  RequestLogger logger({.surface = "service", .include_query = false});
  const Json first = Parse(logger.Refused(408, microseconds(5)));
  const Json second = Parse(logger.Refused(408, microseconds(5)));
  EXPECT_EQ(first["cold"], true);
  EXPECT_EQ(second["cold"], false);
  EXPECT_EQ(first["surface"], "service");
  EXPECT_EQ(first["status"], 408);
  EXPECT_EQ(first["took_us"], 5);
  EXPECT_TRUE(first["total"].is_null());
  EXPECT_EQ(first["query_len"], 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(first["time"].get<double>(), now, 5.0);
}

TEST(RequestLoggerTest, OneColdLineAcrossThreads) {
  RequestLogger logger({.surface = "service", .include_query = false});
  std::atomic<int> cold{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        cold += Parse(logger.Refused(200, microseconds(1)))["cold"] == true;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(cold.load(), 1);
}

TEST(RequestLoggerTest, ReadsTheSearchJsonAnswer) {
  const Index& index = CatalogueIndex();
  RequestLogger logger({.surface = "service", .include_query = false});
  const std::string body = R"({"query": "chocolate", "k": 2})";
  const JsonReply reply = HandleSearchJson(index, body);
  ASSERT_EQ(reply.status, 200);
  const Json answer = Json::parse(reply.body);
  const Json line = Parse(logger.SearchJson(body, reply, microseconds(999999)));
  EXPECT_EQ(line["status"], 200);
  EXPECT_GT(answer["total"].get<int>(), 0);
  EXPECT_EQ(line["total"], answer["total"]);
  EXPECT_EQ(line["took_us"], answer["took_us"]);  // The engine's, not the surface's.
  EXPECT_EQ(line["query_len"], 9);
  EXPECT_EQ(line["query_hash"], QueryHash("chocolate"));

  const std::string none = R"({"query": "zzzqqqxx"})";
  const Json zero = Parse(logger.SearchJson(none, HandleSearchJson(index, none), microseconds(1)));
  EXPECT_EQ(zero["total"], 0);
  EXPECT_EQ(zero["status"], 200);

  const std::string bad = R"({"query": "tea", "k": -1})";
  const JsonReply refused = HandleSearchJson(index, bad);
  ASSERT_EQ(refused.status, 400);
  const Json error = Parse(logger.SearchJson(bad, refused, microseconds(77)));
  EXPECT_EQ(error["status"], 400);
  EXPECT_TRUE(error["total"].is_null());
  EXPECT_EQ(error["took_us"], 77);  // No engine took_us: the surface's.
  EXPECT_EQ(error["query_hash"], QueryHash("tea"));

  const Json garbage =
      Parse(logger.SearchJson("{not json", HandleSearchJson(index, "{not json"), microseconds(3)));
  EXPECT_EQ(garbage["status"], 400);
  EXPECT_EQ(garbage["query_hash"], QueryHash(""));
}

TEST(RequestLoggerTest, ReadsTheQueryStringAnswer) {
  const Index& index = CatalogueIndex();
  RequestLogger logger({.surface = "service", .include_query = true});
  const std::string qs = "q=peanut+butter&k=3";
  const JsonReply reply = HandleSearchQueryString(index, qs);
  const Json line = Parse(logger.SearchQueryString(qs, reply, microseconds(1)));
  EXPECT_EQ(line["query"], "peanut butter");
  EXPECT_EQ(line["total"], Json::parse(reply.body)["total"]);
  const std::string percent = "query=caf%C3%A9";
  EXPECT_EQ(Parse(logger.SearchQueryString(percent, HandleSearchQueryString(index, percent),
                                           microseconds(1)))["query"],
            "caf\xc3\xa9");
  // Not valid UTF-8 after decoding: refused, and logged without a query.
  const std::string invalid = "q=%FF";
  const Json bad = Parse(
      logger.SearchQueryString(invalid, HandleSearchQueryString(index, invalid), microseconds(1)));
  EXPECT_EQ(bad["status"], 400);
  EXPECT_EQ(bad["query"], "");
}

Json HttpEvent(const std::string& method, const std::string& raw_query, const std::string& body,
               bool base64 = false) {
  return {{"version", "2.0"},
          {"rawQueryString", raw_query},
          {"body", body},
          {"isBase64Encoded", base64},
          {"requestContext", {{"http", {{"method", method}, {"path", "/search"}}}}}};
}

TEST(RequestLoggerTest, ReadsEveryLambdaEventShape) {
  const Index& index = CatalogueIndex();
  RequestLogger logger({.surface = "lambda-cpp", .include_query = false});
  const auto line = [&](const std::string& event) {
    return Parse(logger.LambdaEvent(event, HandleLambdaEvent(index, event), microseconds(42)));
  };
  const JsonReply direct_reply = HandleSearchJson(index, R"({"query":"chocolate"})");
  const Json direct = line(R"({"query": "chocolate"})");
  EXPECT_EQ(direct["cold"], true);
  EXPECT_EQ(direct["status"], 200);
  EXPECT_EQ(direct["total"], Json::parse(direct_reply.body)["total"]);
  EXPECT_EQ(direct["query_hash"], QueryHash("chocolate"));
  EXPECT_NE(direct["took_us"], 42);

  const Json get = line(HttpEvent("GET", "q=chocolate&k=1", "").dump());
  EXPECT_EQ(get["cold"], false);
  EXPECT_EQ(get["status"], 200);
  EXPECT_EQ(get["total"], direct["total"]);
  EXPECT_EQ(get["query_len"], 9);
  const Json post = line(HttpEvent("POST", "", R"({"query":"chocolate"})").dump());
  EXPECT_EQ(post["total"], direct["total"]);
  EXPECT_EQ(post["query_hash"], QueryHash("chocolate"));
  // {"query":"zzzqqqxx"} in base64: a zero-result search.
  const Json b64 = line(HttpEvent("POST", "", "eyJxdWVyeSI6Inp6enFxcXh4In0=", true).dump());
  EXPECT_EQ(b64["status"], 200);
  EXPECT_EQ(b64["total"], 0);
  EXPECT_EQ(b64["query_hash"], QueryHash("zzzqqqxx"));

  // Errors: the status each shape answers with.
  const Json http_bad = line(HttpEvent("POST", "", R"({"query":"tea","k":-1})").dump());
  EXPECT_EQ(http_bad["status"], 400);
  EXPECT_TRUE(http_bad["total"].is_null());
  EXPECT_EQ(http_bad["took_us"], 42);
  EXPECT_EQ(line(HttpEvent("DELETE", "", "").dump())["status"], 405);
  EXPECT_EQ(line(R"({"query": "tea", "k": -1})")["status"], 400);
  EXPECT_EQ(line(R"({"query": "tea", "unknown_key": 1})")["status"], 400);
  EXPECT_EQ(line(R"({"httpMethod": "GET"})")["status"], 400);
  const Json unmarshal = line("not json");
  EXPECT_EQ(unmarshal["status"], 500);
  EXPECT_EQ(unmarshal["query_len"], 0);
  HandleOptions late;
  late.deadline = std::chrono::system_clock::now() - std::chrono::seconds(1);
  const std::string event = R"({"query": "tea"})";
  EXPECT_EQ(Parse(logger.LambdaEvent(event, HandleLambdaEvent(index, event, late),
                                     microseconds(1)))["status"],
            504);
}

}  // namespace
}  // namespace libsearch
