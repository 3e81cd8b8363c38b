// The JSON model (libsearch/json.h): every request key reaches the engine
// exactly as the equivalent SearchRequest does, bad requests fail with a
// message naming the key, and the handler maps statuses to HTTP.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <string>

#include "libsearch/json.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using Json = nlohmann::ordered_json;

class JsonApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ASSERT_OK(testing::BuildBundledCatalogue(dir_->File("p.idx")));
    auto opened = Index::Open(dir_->File("p.idx"));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    index_ = opened->release();
  }
  static void TearDownTestSuite() {
    delete index_;
    delete dir_;
  }

  static JsonReply Handle(const std::string& request) { return HandleSearchJson(*index_, request); }

  // The handler's body for `request` must equal the engine's answer to
  // `expected`, written by SearchResponseToJson (took_us aside).
  static void ExpectSameAsEngine(const std::string& request, const SearchRequest& expected) {
    const JsonReply r = Handle(request);
    ASSERT_EQ(r.status, 200) << request << " -> " << r.body;
    auto resp = index_->Search(expected);
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    EXPECT_EQ(NoTook(r.body), NoTook(SearchResponseToJson(*resp, expected))) << request;
  }

  static std::string NoTook(const std::string& body) {
    return std::regex_replace(body, std::regex("\"took_us\":[0-9]+"), "\"took_us\":0");
  }

  static void ExpectError(const JsonReply& r, int status, const std::string& code,
                          const std::string& fragment) {
    EXPECT_EQ(r.status, status) << r.body;
    const Json body = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    ASSERT_TRUE(body.contains("error")) << r.body;
    EXPECT_EQ(body["error"]["code"], code) << r.body;
    EXPECT_NE(body["error"]["message"].get<std::string>().find(fragment), std::string::npos)
        << "message: " << body["error"]["message"] << ", expected to contain: " << fragment;
  }

  static testing::TempDir* dir_;
  static Index* index_;
};

testing::TempDir* JsonApi::dir_ = nullptr;
Index* JsonApi::index_ = nullptr;

TEST_F(JsonApi, ResponseShape) {
  const JsonReply r = Handle(R"({"query": "peanut butter", "k": 3})");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json body = Json::parse(r.body);
  std::vector<std::string> keys;
  for (auto it = body.begin(); it != body.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"total", "total_exact", "took_us", "hits", "facets",
                                            "next_cursor", "suggestion"}));
  EXPECT_EQ(body["total"], 97);
  ASSERT_EQ(body["hits"].size(), 3u);
  EXPECT_EQ(body["hits"][0]["id"], "0855094006359");
  EXPECT_EQ(body["hits"][0]["doc"]["barcode"], "0855094006359");
  EXPECT_FALSE(body["hits"][0].contains("highlights"));
  EXPECT_TRUE(body["facets"].is_object() && body["facets"].empty());
  EXPECT_TRUE(body["next_cursor"].is_string());
  EXPECT_TRUE(body["suggestion"].is_null());
}

// Each key against the SearchRequest it stands for.
TEST_F(JsonApi, EveryKeyReachesTheEngine) {
  SearchRequest r;
  r.query = "chocolate";
  r.k = 5;
  r.offset = 10;
  ExpectSameAsEngine(R"({"query": "chocolate", "k": 5, "offset": 10})", r);

  r = SearchRequest();
  r.query = "chocolate";
  r.filters = {"sugars_100g:<5", "is_healthy:true"};
  r.fields = {"product_name"};
  r.default_operator = Operator::kOr;
  ExpectSameAsEngine(
      R"({"query": "chocolate", "filters": ["sugars_100g:<5", "is_healthy:true"],
          "fields": "product_name", "operator": "or"})",
      r);

  r = SearchRequest();
  r.query = "chocolate";
  FacetRequest country;
  country.field = "country";
  country.size = 3;
  country.disjunctive = true;
  FacetRequest sugars;
  sugars.field = "sugars_100g";
  sugars.ranges = {
      {"0..5", 0, 5}, {"5..20", 5, 20}, {"20..*", 20, std::numeric_limits<double>::infinity()}};
  r.facets = {country, sugars};
  r.filters = {"country:France"};
  r.sort = {{"sugars_100g", false}, {"_score", true}};
  ExpectSameAsEngine(
      R"({"query": "chocolate", "facets": ["country:3", "sugars_100g:0..5,5..20,20..*"],
          "disjunctive": ["country"], "filters": "country:France",
          "sort": "sugars_100g:asc,_score"})",
      r);

  r = SearchRequest();
  r.query = "choclate bisc";
  r.typos = true;
  r.prefix_last = true;
  r.max_expansions = 20;
  r.highlight.fields = {"product_name", "ingredients"};
  r.retrieve = {"product_name"};
  ExpectSameAsEngine(
      R"({"query": "choclate bisc", "typos": true, "prefix": true, "max_expansions": 20,
          "highlight": ["product_name", "ingredients"], "retrieve": ["product_name"]})",
      r);

  r = SearchRequest();
  r.query = "tea";
  r.highlight.fields = {"product_name"};
  r.highlight.pre_tag = "[";
  r.highlight.post_tag = "]";
  r.highlight.fragment_bytes = 40;
  r.include_docs = false;
  r.total_hits_threshold = SearchRequest::kExactTotal;
  r.suggest = false;
  r.synonyms = false;
  r.syntax = QuerySyntax::kFull;
  ExpectSameAsEngine(
      R"({"query": "tea", "highlight": {"fields": ["product_name"], "pre_tag": "[",
          "post_tag": "]", "fragment_bytes": 40}, "include_docs": false, "exact_total": true,
          "suggest": false, "synonyms": false, "syntax": "full"})",
      r);
}

TEST_F(JsonApi, FacetsHighlightsCursorsAndSuggestionsAreWritten) {
  const Json body =
      Json::parse(Handle(R"({"query": "chocolate", "facets": ["country", "sugars_100g:0..10,10..*"],
                 "highlight": "product_name", "retrieve": "product_name", "k": 3})")
                      .body);
  ASSERT_EQ(body["facets"].size(), 2u);
  uint64_t ranged = 0;
  for (const Json& v : body["facets"]["sugars_100g"]) ranged += v["count"].get<uint64_t>();
  EXPECT_GT(ranged, 0u);
  EXPECT_EQ(body["facets"]["sugars_100g"][0]["value"], "0..10");
  EXPECT_GE(body["facets"]["country"].size(), 1u);
  for (const Json& hit : body["hits"]) {
    EXPECT_TRUE(hit["highlights"].is_object());
    // retrieve keeps only the named stored field.
    EXPECT_EQ(hit["doc"].size(), 1u) << hit["doc"];
    EXPECT_TRUE(hit["doc"].contains("product_name"));
  }
  EXPECT_NE(body["hits"][0]["highlights"]["product_name"].get<std::string>().find("<em>"),
            std::string::npos);

  // The cursor pages through a sorted result without gaps or repeats.
  const Json all = Json::parse(
      Handle(
          R"({"query": "chocolate", "sort": "sugars_100g:desc", "k": 12, "include_docs": false})")
          .body);
  Json after = Json::parse(
      Handle(R"({"query": "chocolate", "sort": "sugars_100g:desc", "k": 6, "include_docs": false})")
          .body);
  Json req = {{"query", "chocolate"},
              {"sort", "sugars_100g:desc"},
              {"k", 6},
              {"include_docs", false},
              {"search_after", after["next_cursor"]}};
  const Json second = Json::parse(Handle(req.dump()).body);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(after["hits"][i]["id"], all["hits"][i]["id"]);
    EXPECT_EQ(second["hits"][i]["id"], all["hits"][6 + i]["id"]);
  }

  const Json none = Json::parse(Handle(R"({"query": "chocolatte biscuitz"})").body);
  EXPECT_EQ(none["total"], 0);
  EXPECT_TRUE(none["next_cursor"].is_null());
  EXPECT_TRUE(none["suggestion"].is_string()) << none;
  // Facets and sort take the visit-all path; the suggestion is the same there.
  const Json faceted = Json::parse(
      Handle(R"({"query": "chocolatte biscuitz", "facets": ["country"], "sort": "sugars_100g"})")
          .body);
  EXPECT_EQ(faceted["suggestion"], none["suggestion"]) << faceted;
}

TEST_F(JsonApi, RejectsBadRequestsNamingTheKey) {
  ExpectError(Handle("{\"query\": \"" + std::string(70000, 'a') + "\"}"), 413, "payload_too_large",
              "the limit is 65536");
  // Whitespace counts: the limit is on the bytes received.
  ExpectError(Handle(std::string(70000, ' ') + "{}"), 413, "payload_too_large",
              "request body is 70002 bytes");
  ExpectError(Handle(R"({"query": [[[["x"]]]]})"), 400, "invalid_argument",
              "nests deeper than 4 levels");
  ExpectError(Handle(R"({"query": "x")"), 400, "invalid_argument", "not valid JSON");
  ExpectError(Handle(""), 400, "invalid_argument", "not valid JSON");
  ExpectError(Handle("{\"query\": \"\xff\"}"), 400, "invalid_argument", "not valid JSON");
  ExpectError(Handle(R"({"query": "\ud800"})"), 400, "invalid_argument", "surrogate");
  ExpectError(Handle(R"({"k": 1e400})"), 400, "invalid_argument", "number overflow");
  ExpectError(Handle(R"({"junk": 1e400, "query": "x"})"), 400, "invalid_argument",
              "number overflow");
  ExpectError(Handle(R"(["query"])"), 400, "invalid_argument", "must be a JSON object");
  ExpectError(Handle(R"({"query": "x", "facet": ["country"]})"), 400, "invalid_argument",
              "unknown key \"facet\"; known keys: query, k, offset, filters, fields, operator, "
              "facets, disjunctive, sort");
  ExpectError(Handle(R"({"query": 5})"), 400, "invalid_argument", "query must be a string");
  ExpectError(Handle("{\"query\": \"" + std::string(3000, 'a') + "\"}"), 400, "invalid_argument",
              "query is 3000 bytes; the limit is 2048");
  for (const char* k : {"1001", "-1", "1.5", "\"10\"", "true", "null", "1e3"}) {
    ExpectError(Handle(std::string(R"({"k": )") + k + "}"), 400, "invalid_argument",
                "k must be an integer from 0 to 1000");
  }
  ExpectError(Handle(R"({"offset": 10001})"), 400, "invalid_argument",
              "offset must be an integer from 0 to 10000");
  ExpectError(Handle(R"({"offset": 9995, "k": 10})"), 400, "invalid_argument",
              "offset + k must be at most 10000");
  ExpectError(Handle(R"({"filters": [1]})"), 400, "invalid_argument",
              "filters must be a string or an array of strings");
  Json many = Json::array();
  for (int i = 0; i < 33; ++i) many.push_back("is_healthy:true");
  ExpectError(Handle(Json({{"filters", many}}).dump()), 400, "invalid_argument",
              "filters has 33 entries; the limit is 32");
  ExpectError(Handle(Json({{"fields", {"product_name", std::string(1100, 'x')}}}).dump()), 400,
              "invalid_argument", "fields entry 2 is 1100 bytes; the limit is 1024");
  ExpectError(Handle(R"({"operator": "xor"})"), 400, "invalid_argument",
              "operator must be \"and\" or \"or\"");
  ExpectError(Handle(R"({"syntax": "lucene"})"), 400, "invalid_argument",
              "syntax must be \"simple\" or \"full\"");
  ExpectError(Handle(R"({"exact_total": "yes"})"), 400, "invalid_argument",
              "exact_total must be true or false");
  ExpectError(Handle(R"({"typos": 1})"), 400, "invalid_argument", "typos must be true or false");
  ExpectError(Handle(R"({"facets": ["country:0"]})"), 400, "invalid_argument",
              "size after ':' must be an integer from 1 to 10000");
  ExpectError(Handle(R"({"facets": ["sugars_100g:5..1"]})"), 400, "invalid_argument",
              "range '5..1' is empty");
  ExpectError(Handle(R"({"facets": ["sugars_100g:a..1"]})"), 400, "invalid_argument",
              "'a' is not a number");
  ExpectError(Handle(R"({"facets": ["country", "country:3"]})"), 400, "invalid_argument",
              "'country' is listed twice");
  ExpectError(Handle(R"({"facets": ["country"], "disjunctive": ["is_healthy"]})"), 400,
              "invalid_argument", "'is_healthy' is not one of the request's facets");
  ExpectError(Handle(R"({"facets": ["product_name"]})"), 400, "invalid_argument", "facet");
  ExpectError(Handle(R"({"sort": "sugars_100g:down"})"), 400, "invalid_argument",
              "direction must be asc or desc");
  ExpectError(Handle(R"({"sort": "colour"})"), 400, "invalid_argument",
              "sort: unknown field 'colour'");
  ExpectError(Handle(R"({"search_after": "nonsense", "sort": "sugars_100g"})"), 400,
              "invalid_argument", "");
  ExpectError(Handle(R"({"highlight": ["sugars_100g"]})"), 400, "invalid_argument",
              "is not a stored text field");
  ExpectError(Handle(R"({"highlight": {"field": ["product_name"]}})"), 400, "invalid_argument",
              "unknown key \"field\" in highlight");
  ExpectError(Handle(R"({"retrieve": ["colour"]})"), 400, "invalid_argument",
              "retrieve: 'colour' is not a stored field");
  ExpectError(Handle(R"({"max_expansions": 0})"), 400, "invalid_argument",
              "max_expansions must be an integer from 1 to 1000");
}

TEST_F(JsonApi, DeepRequestsAreRefusedAtTheLimitNotByRecursion) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  ExpectError(Handle(R"({"query": )" + deep.substr(0, 30000) + "}"), 400, "invalid_argument",
              "request body nests deeper than 4 levels ([] and {}) at byte offset 13");
  SearchRequest req;
  const Status s =
      ParseSearchRequestInto(R"({"query": "x", "junk": )" + deep + "}", OwnerLimits(), &req);
  EXPECT_EQ(s.message(), "request body nests deeper than 16 levels ([] and {}) at byte offset 38");
}

TEST_F(JsonApi, BatchLinesTakeTheIdOut) {
  SearchRequest req;
  ASSERT_OK_AND_ASSIGN(
      BatchQueryId id,
      ParseBatchQueryInto(R"({"id": "q1", "query": "tea", "k": 3})", OwnerLimits(), &req));
  EXPECT_EQ(id.json, "\"q1\"");
  EXPECT_EQ(id.text, "q1");
  EXPECT_EQ(req.query, "tea");
  EXPECT_EQ(req.k, 3u);
  ASSERT_OK_AND_ASSIGN(id, ParseBatchQueryInto(R"({"id": [7, {"a": "b"}]})", OwnerLimits(), &req));
  EXPECT_EQ(id.json, R"([7,{"a":"b"}])");
  EXPECT_EQ(id.text, id.json);
  struct Case {
    std::string line;
    std::string expect;
  } cases[] = {
      {R"({"query": "x"})", "expected a JSON object {\"id\": ..."},
      {R"(["id"])", "expected a JSON object {\"id\": ..."},
      {"{\"id\": " + std::string(100000, '[') + std::string(100000, ']') + "}",
       "query line nests deeper than 16 levels ([] and {}) at byte offset 22"},
      {R"({"id": 1e400, "query": "x"})", "query line is not valid JSON: number overflow"},
      {R"({"id": "q", "k": "x"})", "k must be an integer"},
      {"{\"id\": \"\xff\"}", "query line is not valid JSON"},
  };
  for (const Case& c : cases) {
    auto r = ParseBatchQueryInto(c.line, OwnerLimits(), &req);
    ASSERT_FALSE(r.ok()) << c.line.substr(0, 80);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
}

// Request text reaches the analyser and comes back in suggestions and
// highlights: it must be UTF-8, checked before anything runs.
TEST_F(JsonApi, InvalidUtf8InARequestIsRejectedWithItsOffset) {
  SearchRequest req;
  req.query = "choc\xffolate";
  auto r = index_->Search(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "query is not valid UTF-8 at byte offset 4");
  EXPECT_EQ(index_->ExplainQuery(req).status().message(), r.status().message());
  req.query = "tea";
  req.filters = {"country:\xc3("};
  EXPECT_EQ(index_->Search(req).status().message(), "filter is not valid UTF-8 at byte offset 8");
  req.filters.clear();
  req.search_after = "1:\xed\xa0\x80";  // A surrogate.
  EXPECT_EQ(index_->Search(req).status().message(),
            "search_after is not valid UTF-8 at byte offset 2");
}

// A damaged index can hold any bytes in a facet label, an id or a snippet:
// the writer replaces invalid UTF-8 and never throws.
TEST_F(JsonApi, ResponseWriterReplacesInvalidUtf8) {
  SearchResponse resp;
  resp.hits.push_back(Hit{});
  resp.hits[0].id = "id\xff";
  resp.hits[0].highlights = {{"f\xfe", "snip\xc3"}};
  FacetResult facet;
  facet.field = "country";
  facet.values.push_back(
      {"Fran\xe7"
       "e",
       3});
  resp.facets.push_back(facet);
  resp.suggestion = "choc\xffolate";
  SearchRequest req;
  req.include_docs = false;
  req.highlight.fields = {"f"};
  const std::string body = SearchResponseToJson(resp, req);
  const Json parsed = Json::parse(body, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << body;
  EXPECT_EQ(parsed["facets"]["country"][0]["value"],
            "Fran\xef\xbf\xbd"
            "e");
  EXPECT_EQ(parsed["hits"][0]["id"], "id\xef\xbf\xbd");
  EXPECT_EQ(parsed["suggestion"], "choc\xef\xbf\xbdolate");
}

TEST_F(JsonApi, ByteOrderMarkIsSkipped) {
  const JsonReply plain = Handle(R"({"query": "tea", "k": 2})");
  const JsonReply bom = Handle(
      "\xEF\xBB\xBF"
      R"({"query": "tea", "k": 2})");
  ASSERT_EQ(bom.status, 200) << bom.body;
  EXPECT_EQ(NoTook(bom.body), NoTook(plain.body));
}

TEST_F(JsonApi, FullSyntaxKeepsPositionedErrors) {
  ExpectError(Handle(R"({"query": "colour:red", "syntax": "full"})"), 400, "invalid_argument",
              "colour");
  ExpectError(Handle(R"({"query": "(apple", "syntax": "full"})"), 400, "invalid_argument",
              "position");
  ExpectError(Handle(R"({"query": "x", "filters": ["sugars_100g:<"]})"), 400, "invalid_argument",
              "filter 1");
  ExpectError(Handle(R"({"query": "x", "fields": ["nope"]})"), 400, "invalid_argument",
              "unknown search field 'nope'");
}

TEST_F(JsonApi, StatusCodesMapToHttp) {
  EXPECT_EQ(HttpStatusOf(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusOf(StatusCode::kCorruption), 500);
  EXPECT_EQ(ErrorToJson(Status::Corruption("x")),
            R"({"error":{"code":"corrupt_index","message":"x"}})");
  EXPECT_EQ(HttpStatusOf(StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusOf(StatusCode::kAborted), 409);
  EXPECT_EQ(ErrorCodeName(StatusCode::kAborted), "conflict");
  EXPECT_EQ(HttpStatusOf(StatusCode::kIOError), 500);
  EXPECT_EQ(HttpStatusOf(StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusOf(StatusCode::kResourceExhausted), 400);
  EXPECT_EQ(
      ErrorToJson(Status::InvalidArgument("say \"hi\"\n\xff")),
      "{\"error\":{\"code\":\"invalid_argument\",\"message\":\"say \\\"hi\\\"\\n\xEF\xBF\xBD\"}}");
}

TEST_F(JsonApi, DeadlineAlreadyPassed) {
  HandleOptions options;
  options.deadline = std::chrono::system_clock::now() - std::chrono::milliseconds(1);
  ExpectError(HandleSearchJson(*index_, R"({"query": "tea"})", options), 504, "deadline_exceeded",
              "deadline");
  options.deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  EXPECT_EQ(HandleSearchJson(*index_, R"({"query": "tea"})", options).status, 200);
}

TEST_F(JsonApi, QueryStringsMapOneToOne) {
  auto req = [](std::string_view qs) {
    Result<std::string> r = QueryStringToRequestJson(qs);
    EXPECT_TRUE(r.ok()) << qs << " -> " << r.status().ToString();
    return r.ok() ? *r : std::string();
  };
  EXPECT_EQ(req("q=peanut+butter&k=3"), R"({"query":"peanut butter","k":3})");
  EXPECT_EQ(req("query=cr%C3%A8me&offset=10&operator=or"),
            R"({"query":"crème","offset":10,"operator":"or"})");
  EXPECT_EQ(
      req("q=x&filter=sugars_100g%3A%3C5&filter=is_healthy:true&fields=product_name,,ingredients"),
      R"({"query":"x","filters":["sugars_100g:<5","is_healthy:true"],"fields":["product_name","ingredients"]})");
  EXPECT_EQ(req("facet=country:5&facet=sugars_100g:0..5,5..*&disjunctive=country&sort=sugars_100g:"
                "desc,_score"
                "&search_after=c&typos=1&prefix=true&highlight=product_name,ingredients&synonyms=0"
                "&suggest=false&retrieve=product_name&syntax=full&max_expansions=7"),
            R"({"facets":["country:5","sugars_100g:0..5,5..*"],"disjunctive":["country"],)"
            R"("sort":"sugars_100g:desc,_score","search_after":"c","typos":true,"prefix":true,)"
            R"("highlight":["product_name","ingredients"],"synonyms":false,"suggest":false,)"
            R"("retrieve":["product_name"],"syntax":"full","max_expansions":7})");
  EXPECT_EQ(req("exact_total=1&include_docs=false&&k=ten"),
            R"({"exact_total":true,"include_docs":false,"k":"ten"})");
  EXPECT_EQ(req(""), "{}");

  const JsonReply ok = HandleSearchQueryString(*index_, "q=peanut%20butter&k=3&facet=country");
  EXPECT_EQ(NoTook(ok.body),
            NoTook(Handle(R"({"query": "peanut butter", "k": 3, "facets": ["country"]})").body));
  ExpectError(HandleSearchQueryString(*index_, "q=x&k=ten"), 400, "invalid_argument",
              "k must be an integer from 0 to 1000");
  ExpectError(HandleSearchQueryString(*index_, "q=x&q=y"), 400, "invalid_argument",
              "\"q\" is given twice");
  ExpectError(HandleSearchQueryString(*index_, "q=%zz"), 400, "invalid_argument",
              "invalid percent escape");
  ExpectError(HandleSearchQueryString(*index_, "q=%"), 400, "invalid_argument",
              "invalid percent escape");
  ExpectError(HandleSearchQueryString(*index_, "q=%ff"), 400, "invalid_argument",
              "not valid UTF-8");
  ExpectError(HandleSearchQueryString(*index_, "colour=red"), 400, "invalid_argument",
              "unknown query parameter \"colour\"; known parameters: q (or query), k");
  ExpectError(HandleSearchQueryString(*index_, "q=" + std::string(70000, 'a')), 413,
              "payload_too_large", "query string is 70002 bytes");
}

TEST_F(JsonApi, ScoresPrintShortestFloat) {
  EXPECT_EQ(ScoreToJson(4.59955311f), "4.599553");  // As numpy.float32 repr.
  EXPECT_EQ(ScoreToJson(15.7663536f), "15.766354");
  EXPECT_EQ(ScoreToJson(0.0f), "0.0");
  EXPECT_EQ(ScoreToJson(2.0f), "2.0");
  EXPECT_EQ(ScoreToJson(0.1f), "0.1");
  EXPECT_EQ(ScoreToJson(1e-05f), "1e-05");
  EXPECT_EQ(ScoreToJson(0.0001f), "0.0001");
  EXPECT_EQ(ScoreToJson(1234.5f), "1234.5");
  EXPECT_EQ(ScoreToJson(1e16f), "1e+16");
  EXPECT_EQ(ScoreToJson(-2.5e-7f), "-2.5e-07");
  EXPECT_EQ(ScoreToJson(-0.0f), "-0.0");
  EXPECT_EQ(ScoreToJson(std::numeric_limits<float>::infinity()), "null");
  // Shortest and exact: each printed score reads back to the same float.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(0.0f, 40.0f);
  for (int i = 0; i < 100000; ++i) {
    const float f = dist(rng);
    const std::string text = ScoreToJson(f);
    ASSERT_EQ(std::strtof(text.c_str(), nullptr), f) << text;
  }
}

TEST_F(JsonApi, SchemaSearchDefaultsApplyAndRequestsOverride) {
  ASSERT_OK_AND_ASSIGN(Schema schema,
                       Schema::FromFile(testing::SourcePath("examples/products/schema.json")));
  ASSERT_OK(schema.SetSearchDefaults(
      R"({"typos": true, "prefix": true, "facets": ["country:3"], "highlight": ["product_name"], "k": 4})"));
  // Round-trips through the index file.
  ASSERT_OK_AND_ASSIGN(Schema reread, Schema::FromJson(schema.ToJson()));
  EXPECT_EQ(reread.search_defaults_json(), schema.search_defaults_json());
  const std::string path = dir_->File("defaults.idx");
  ASSERT_OK(testing::BuildIndex(schema, testing::FirstBundledProducts(2000), path));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(path));
  EXPECT_EQ(index->schema().search_defaults_json(), schema.search_defaults_json());

  ASSERT_OK_AND_ASSIGN(SearchRequest only_q, ParseSearchRequest(*index, R"({"query": "choc"})"));
  EXPECT_TRUE(only_q.typos);
  EXPECT_TRUE(only_q.prefix_last);
  EXPECT_EQ(only_q.k, 4u);
  ASSERT_EQ(only_q.facets.size(), 1u);
  EXPECT_EQ(only_q.facets[0].size, 3u);
  EXPECT_EQ(only_q.highlight.fields, std::vector<std::string>{"product_name"});
  const Json body = Json::parse(HandleSearchJson(*index, R"({"query": "choc"})").body);
  EXPECT_GT(body["total"].get<int>(), 0);
  EXPECT_EQ(body["hits"].size(), 4u);
  EXPECT_TRUE(body["facets"].contains("country"));

  ASSERT_OK_AND_ASSIGN(
      SearchRequest overridden,
      ParseSearchRequest(*index, R"({"query": "choc", "typos": false, "facets": [], "k": 2})"));
  EXPECT_FALSE(overridden.typos);
  EXPECT_TRUE(overridden.prefix_last);
  EXPECT_TRUE(overridden.facets.empty());
  EXPECT_EQ(overridden.k, 2u);

  // Bad defaults fail when the schema is read, naming what is wrong.
  Schema bad = schema;
  Status s = bad.SetSearchDefaults(R"({"typos": "yes"})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("typos must be true or false"), std::string::npos) << s.ToString();
  s = bad.SetSearchDefaults(R"({"facets": ["colour"]})");
  EXPECT_NE(s.message().find("facets names 'colour'"), std::string::npos) << s.ToString();
  auto from_json = Schema::FromJson(R"({"id": "id", "fields": {}, "search_defaults": {"kk": 1}})");
  ASSERT_FALSE(from_json.ok());
  EXPECT_NE(from_json.status().message().find("unknown key \"kk\""), std::string::npos);
}

}  // namespace
}  // namespace libsearch
