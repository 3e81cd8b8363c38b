// Tests of functions/common/search_handler: the JSON contract every surface
// shares (CLI shape, validation, limits, error mapping, query strings).
#include "functions/common/search_handler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "functions/tests/test_index.h"

namespace libsearch::functions {
namespace {

using Json = nlohmann::ordered_json;
using testing::CatalogueIndex;
using testing::CatalogueIndexPath;

std::string NoTook(const std::string& body) {
  return std::regex_replace(body, std::regex("\"took_us\":[0-9]+"), "\"took_us\":0");
}

HttpLikeResponse Search(const std::string& request) {
  return HandleSearch(CatalogueIndex(), request);
}

// Asserts an error response with `status`, `code` and a message containing
// `fragment`.
void ExpectError(const HttpLikeResponse& r, int status, const std::string& code,
                 const std::string& fragment) {
  EXPECT_EQ(r.status, status) << r.body_json;
  const Json body = Json::parse(r.body_json, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body_json;
  ASSERT_TRUE(body.contains("error")) << r.body_json;
  EXPECT_EQ(body["error"]["code"], code) << r.body_json;
  EXPECT_NE(body["error"]["message"].get<std::string>().find(fragment), std::string::npos)
      << "message: " << body["error"]["message"] << ", expected to contain: " << fragment;
}

TEST(SearchHandler, AnswersInTheCliShape) {
  const HttpLikeResponse r = Search(R"({"query": "peanut butter", "k": 3})");
  ASSERT_EQ(r.status, 200) << r.body_json;
  const Json body = Json::parse(r.body_json);
  std::vector<std::string> keys;
  for (auto it = body.begin(); it != body.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"total", "total_exact", "took_us", "hits"}));
  EXPECT_EQ(body["total"], 97);
  ASSERT_EQ(body["hits"].size(), 3u);
  EXPECT_EQ(body["hits"][0]["id"], "0855094006359");
  EXPECT_TRUE(body["hits"][0]["doc"].is_object());
  EXPECT_EQ(body["hits"][0]["doc"]["barcode"], "0855094006359");
}

// The CLI's `search --json` output is the reference: same bytes, apart from
// took_us. This pins the score printing rule and the stored-doc passthrough.
TEST(SearchHandler, ByteIdenticalToTheCliJson) {
  const std::string cli = LIBSEARCH_CLI;
  ASSERT_FALSE(cli.empty()) << "build the CLI (LIBSEARCH_BUILD_TOOLS) to run this comparison";
  const char* queries[] = {"peanut butter", "\"dark chocolate\" -milk",
                           "organic (apple OR pear) juice", "product_name:cookies chocolate chip",
                           "crème brûlée", "sugars_100g:[0 TO 1] proteins_100g:>=20", "",
                           "salt", "tea coffee", "wi-fi"};
  for (const char* q : queries) {
    const std::string cmd = "'" + cli + "' search '" + CatalogueIndexPath() + "' " +
                            "$'" + std::regex_replace(q, std::regex("'"), "\\'") +
                            "' --json --k 20";
    FILE* p = ::popen(("bash -c " + Json(cmd).dump()).c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    ASSERT_EQ(::pclose(p), 0) << cmd;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    const HttpLikeResponse r = Search(Json({{"query", q}, {"k", 20}}).dump());
    ASSERT_EQ(r.status, 200) << r.body_json;
    // The CLI may print keys the handler does not have yet (next_cursor,
    // facets): compare total, total_exact and the hits array's bytes.
    const Json cli_json = Json::parse(out);
    const Json ours = Json::parse(r.body_json);
    EXPECT_EQ(ours["total"], cli_json["total"]) << q;
    EXPECT_EQ(ours["total_exact"], cli_json["total_exact"]) << q;
    // The CLI's hits with their scores printed shortest (it prints the same
    // doubles through nlohmann::json, not always shortest): byte-identical.
    std::string expected = "[";
    for (const Json& h : cli_json["hits"]) {
      if (expected.size() > 1) expected += ',';
      expected += "{\"id\":" + h["id"].dump() +
                  ",\"score\":" + ShortestDouble(h["score"].get<double>()) +
                  ",\"doc\":" + h["doc"].dump() + "}";
    }
    expected += "]";
    const size_t hits_at = r.body_json.find(",\"hits\":");
    ASSERT_NE(hits_at, std::string::npos);
    const std::string our_hits =
        r.body_json.substr(hits_at + 8, r.body_json.size() - 1 - (hits_at + 8));
    EXPECT_EQ(our_hits, expected) << "query: " << q;
  }
}

TEST(SearchHandler, OptionsReachTheEngine) {
  const Json all = Json::parse(Search(R"({"query": "chocolate", "k": 20})").body_json);
  const Json page = Json::parse(Search(R"({"query": "chocolate", "k": 5, "offset": 10})").body_json);
  ASSERT_EQ(page["hits"].size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(page["hits"][i]["id"], all["hits"][10 + i]["id"]);

  const Json no_docs =
      Json::parse(Search(R"({"query": "chocolate", "include_docs": false})").body_json);
  EXPECT_FALSE(no_docs["hits"][0].contains("doc"));
  EXPECT_EQ(no_docs["hits"][0]["id"], all["hits"][0]["id"]);

  const Json filtered = Json::parse(
      Search(R"({"query": "chocolate", "filters": ["sugars_100g:<5"], "k": 50})").body_json);
  ASSERT_FALSE(filtered["hits"].empty());
  for (const Json& h : filtered["hits"]) EXPECT_LT(h["doc"]["sugars_100g"].get<double>(), 5.0);
  const Json one_filter =
      Json::parse(Search(R"({"query": "chocolate", "filters": "sugars_100g:<5", "k": 50})").body_json);
  EXPECT_EQ(one_filter["hits"], filtered["hits"]);

  const Json and_q = Json::parse(Search(R"({"query": "tea coffee"})").body_json);
  const Json or_q = Json::parse(Search(R"({"query": "tea coffee", "operator": "or"})").body_json);
  EXPECT_GT(or_q["total"].get<int>(), and_q["total"].get<int>());

  const Json names = Json::parse(
      Search(R"({"query": "sugar", "fields": ["product_name"], "k": 100})").body_json);
  const Json both = Json::parse(Search(R"({"query": "sugar", "k": 100})").body_json);
  EXPECT_LT(names["total"].get<int>(), both["total"].get<int>());

  const Json capped = Json::parse(Search(R"({"query": "", "k": 1})").body_json);
  EXPECT_FALSE(capped["total_exact"].get<bool>());
  const Json exact = Json::parse(Search(R"({"query": "", "k": 1, "exact_total": true})").body_json);
  EXPECT_TRUE(exact["total_exact"].get<bool>());
  EXPECT_EQ(exact["total"], 10000);
}

TEST(SearchHandler, RejectsBadRequestsWithStructuredErrors) {
  ExpectError(Search("{\"query\": \"" + std::string(70000, 'a') + "\"}"), 413,
              "payload_too_large", "the limit is 65536");
  ExpectError(Search(R"({"query": [[[["x"]]]]})"), 400, "invalid_argument",
              "nests deeper than 4 levels");
  ExpectError(Search(R"({"query": "x")"), 400, "invalid_argument", "not valid JSON");
  ExpectError(Search(""), 400, "invalid_argument", "not valid JSON");
  ExpectError(Search("{\"query\": \"\xff\"}"), 400, "invalid_argument", "not valid JSON");
  ExpectError(Search(R"(["query"])"), 400, "invalid_argument", "must be a JSON object");
  ExpectError(Search(R"({"query": "x", "facets": ["brand"]})"), 400, "invalid_argument",
              "unknown key \"facets\"; known keys: query, k, offset, filters, fields, operator, "
              "exact_total, include_docs");
  ExpectError(Search(R"({"query": 5})"), 400, "invalid_argument", "query must be a string");
  ExpectError(Search("{\"query\": \"" + std::string(3000, 'a') + "\"}"), 400,
              "invalid_argument", "query is 3000 bytes; the limit is 2048");
  for (const char* k : {"1001", "-1", "1.5", "\"10\"", "true", "null", "1e3"}) {
    ExpectError(Search(std::string(R"({"k": )") + k + "}"), 400, "invalid_argument",
                "k must be an integer from 0 to 1000");
  }
  ExpectError(Search(R"({"offset": 10001})"), 400, "invalid_argument",
              "offset must be an integer from 0 to 10000");
  ExpectError(Search(R"({"offset": 9995, "k": 10})"), 400, "invalid_argument",
              "offset + k must be at most 10000");
  ExpectError(Search(R"({"filters": [1]})"), 400, "invalid_argument",
              "filters must be a string or an array of strings");
  ExpectError(Search(R"({"filters": {"a": "b"}})"), 400, "invalid_argument",
              "filters must be a string or an array of strings");
  Json many = Json::array();
  for (int i = 0; i < 33; ++i) many.push_back("is_healthy:true");
  ExpectError(Search(Json({{"filters", many}}).dump()), 400, "invalid_argument",
              "filters has 33 entries; the limit is 32");
  ExpectError(Search(Json({{"fields", {"product_name", std::string(1100, 'x')}}}).dump()), 400,
              "invalid_argument", "fields entry 2 is 1100 bytes; the limit is 1024");
  ExpectError(Search(R"({"operator": "xor"})"), 400, "invalid_argument",
              "operator must be \"and\" or \"or\"");
  ExpectError(Search(R"({"exact_total": "yes"})"), 400, "invalid_argument",
              "exact_total must be true or false");
  ExpectError(Search(R"({"include_docs": 1})"), 400, "invalid_argument",
              "include_docs must be true or false");
}

TEST(SearchHandler, EngineErrorsKeepTheirMessage) {
  ExpectError(Search(R"({"query": "colour:red"})"), 400, "invalid_argument", "colour");
  ExpectError(Search(R"({"query": "(apple"})"), 400, "invalid_argument", "query position");
  ExpectError(Search(R"({"query": "x", "fields": ["nope"]})"), 400, "invalid_argument",
              "unknown search field 'nope'");
  ExpectError(Search(R"({"query": "x", "filters": ["sugars_100g:<"]})"), 400,
              "invalid_argument", "filter 1");
}

TEST(SearchHandler, StatusCodesMapToHttp) {
  EXPECT_EQ(StatusResponse(Status::NotFound("x")).status, 404);
  EXPECT_EQ(StatusResponse(Status::Corruption("x")).status, 500);
  EXPECT_EQ(StatusResponse(Status::Corruption("x")).body_json,
            R"({"error":{"code":"corrupt_index","message":"x"}})");
  EXPECT_EQ(StatusResponse(Status::Internal("x")).status, 500);
  EXPECT_EQ(StatusResponse(Status::IOError("x")).status, 500);
  EXPECT_EQ(StatusResponse(Status::Unimplemented("x")).status, 501);
  EXPECT_EQ(StatusResponse(Status::ResourceExhausted("x")).status, 400);
  EXPECT_EQ(StatusResponse(Status::InvalidArgument("say \"hi\"\n")).body_json,
            R"({"error":{"code":"invalid_argument","message":"say \"hi\"\n"}})");
}

TEST(SearchHandler, DeadlineAlreadyPassed) {
  HandleOptions options;
  options.deadline = std::chrono::system_clock::now() - std::chrono::milliseconds(1);
  ExpectError(HandleSearch(CatalogueIndex(), R"({"query": "tea"})", options), 504,
              "deadline_exceeded", "deadline");
  options.deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  EXPECT_EQ(HandleSearch(CatalogueIndex(), R"({"query": "tea"})", options).status, 200);
}

TEST(SearchHandler, QueryStrings) {
  auto req = [](std::string_view qs) {
    QueryStringResult r = QueryStringToRequestJson(qs);
    EXPECT_FALSE(r.error) << qs << " -> " << r.error->body_json;
    return r.request_json;
  };
  EXPECT_EQ(req("q=peanut+butter&k=3"), R"({"query":"peanut butter","k":3})");
  EXPECT_EQ(req("query=cr%C3%A8me&offset=10&operator=or"),
            R"({"query":"crème","offset":10,"operator":"or"})");
  EXPECT_EQ(req("q=x&filter=sugars_100g%3A%3C5&filter=is_healthy:true&fields=product_name,,ingredients"),
            R"({"query":"x","filters":["sugars_100g:<5","is_healthy:true"],"fields":["product_name","ingredients"]})");
  EXPECT_EQ(req("exact_total=1&include_docs=false&&k=ten"),
            R"({"exact_total":true,"include_docs":false,"k":"ten"})");
  EXPECT_EQ(req(""), "{}");

  const HttpLikeResponse ok = HandleQueryString(CatalogueIndex(), "q=peanut%20butter&k=3");
  EXPECT_EQ(NoTook(ok.body_json), NoTook(Search(R"({"query": "peanut butter", "k": 3})").body_json));
  ExpectError(HandleQueryString(CatalogueIndex(), "q=x&k=ten"), 400, "invalid_argument",
              "k must be an integer from 0 to 1000");
  ExpectError(HandleQueryString(CatalogueIndex(), "q=%zz"), 400, "invalid_argument",
              "invalid percent escape");
  ExpectError(HandleQueryString(CatalogueIndex(), "q=%"), 400, "invalid_argument",
              "invalid percent escape");
  ExpectError(HandleQueryString(CatalogueIndex(), "q=%ff"), 400, "invalid_argument",
              "not valid UTF-8");
  ExpectError(HandleQueryString(CatalogueIndex(), "colour=red"), 400, "invalid_argument",
              "unknown query parameter \"colour\"; known parameters: q, k, offset, filter");
  ExpectError(HandleQueryString(CatalogueIndex(), "q=" + std::string(70000, 'a')), 413,
              "payload_too_large", "query string is 70002 bytes");
}

TEST(SearchHandler, ScoresPrintShortestLikePythonRepr) {
  EXPECT_EQ(ScoreJson(4.59955311f), "4.59955311");  // nlohmann: 4.5995531099999996
  EXPECT_EQ(ScoreJson(15.7663536f), "15.7663536");
  EXPECT_EQ(ScoreJson(0.0f), "0.0");
  EXPECT_EQ(ScoreJson(2.0f), "2.0");
  EXPECT_EQ(ScoreJson(0.1f), "0.100000001");  // "%.9g": nine digits, as the CLI.
  EXPECT_EQ(ShortestDouble(1e-05), "1e-05");
  EXPECT_EQ(ShortestDouble(0.0001), "0.0001");
  EXPECT_EQ(ShortestDouble(1234.5), "1234.5");
  EXPECT_EQ(ShortestDouble(1e16), "1e+16");
  EXPECT_EQ(ShortestDouble(123456789012345.0), "123456789012345.0");
  EXPECT_EQ(ShortestDouble(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(ShortestDouble(1.5e300), "1.5e+300");
  EXPECT_EQ(ShortestDouble(-0.0), "-0.0");
  EXPECT_EQ(ShortestDouble(std::numeric_limits<double>::infinity()), "null");
}

TEST(SearchHandler, Helpers) {
  EXPECT_EQ(JsonDepth("{}", 4), 1);
  EXPECT_EQ(JsonDepth(R"({"a": ["[[[[", {"b": []}]})", 4), 4);
  EXPECT_EQ(JsonDepth(R"("\"[[[[[")", 4), 0);
  EXPECT_EQ(JsonDepth("[[[[[[[[[[", 4), 5);
  EXPECT_TRUE(IsValidUtf8("crème brûlée €𝄞"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // Overlong '/'.
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // A surrogate.
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // Past U+10FFFF.
  EXPECT_EQ(JsonString("a\"b\\c\x01\xff"), "\"a\\\"b\\\\c\\u0001\xef\xbf\xbd\"");
}

}  // namespace
}  // namespace libsearch::functions
