// Tests of the Lambda event adapter (libsearch/lambda_event.h), which the C++
// bootstrap and the Python handler share. Both under the real Runtime
// Interface Emulator are tested by functions/tests/test_aws_lambda.py.
#include "libsearch/lambda_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "testing/test_util.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;

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

Json HttpEvent(const std::string& method, const std::string& raw_query, const Json& body,
               bool base64 = false) {
  Json e = {{"version", "2.0"},
            {"routeKey", "$default"},
            {"rawPath", "/search"},
            {"rawQueryString", raw_query},
            {"headers", {{"content-type", "application/json"}}},
            {"requestContext",
             {{"http", {{"method", method}, {"path", "/search"}, {"protocol", "HTTP/1.1"}}},
              {"requestId", "r1"}}},
            {"isBase64Encoded", base64}};
  if (!body.is_null()) e["body"] = body;
  return e;
}

Json Envelope(const LambdaReply& reply) {
  EXPECT_FALSE(reply.is_error);
  Json out = Json::parse(reply.payload);
  EXPECT_EQ(out["headers"]["content-type"], "application/json");
  return out;
}

TEST(LambdaEvent, HttpGetAndPost) {
  const Json get = Envelope(
      HandleLambdaEvent(CatalogueIndex(), HttpEvent("GET", "q=peanut+butter&k=3", nullptr).dump()));
  EXPECT_EQ(get["statusCode"], 200);
  const Json get_body = Json::parse(get["body"].get<std::string>());
  EXPECT_EQ(get_body["total"], 97);
  EXPECT_EQ(get_body["hits"].size(), 3u);

  const Json post = Envelope(HandleLambdaEvent(
      CatalogueIndex(), HttpEvent("POST", "", R"({"query":"peanut butter","k":3})").dump()));
  EXPECT_EQ(post["statusCode"], 200);
  EXPECT_EQ(Json::parse(post["body"].get<std::string>())["hits"], get_body["hits"]);

  // {"query":"peanut butter","k":3} in base64.
  const Json b64 = Envelope(HandleLambdaEvent(
      CatalogueIndex(),
      HttpEvent("POST", "", "eyJxdWVyeSI6InBlYW51dCBidXR0ZXIiLCJrIjozfQ==", true).dump()));
  EXPECT_EQ(b64["statusCode"], 200);
  EXPECT_EQ(Json::parse(b64["body"].get<std::string>())["hits"], get_body["hits"]);
}

TEST(LambdaEvent, HttpErrorsAreEnvelopes) {
  auto status = [](const Json& event) {
    const Json out = Envelope(HandleLambdaEvent(CatalogueIndex(), event.dump()));
    const Json body = Json::parse(out["body"].get<std::string>());
    return std::make_pair(out["statusCode"].get<int>(), body["error"]["code"].get<std::string>());
  };
  EXPECT_EQ(status(HttpEvent("PUT", "", nullptr)),
            std::make_pair(405, std::string("method_not_allowed")));
  EXPECT_EQ(status(HttpEvent("POST", "", "{not json")),
            std::make_pair(400, std::string("invalid_argument")));
  EXPECT_EQ(status(HttpEvent("POST", "", "!!!", true)),
            std::make_pair(400, std::string("invalid_argument")));
  EXPECT_EQ(status(HttpEvent("POST", "", std::string(100000, 'A'), true)),
            std::make_pair(413, std::string("payload_too_large")));
  EXPECT_EQ(status(HttpEvent("POST", "", std::string(70000, ' ') + "{}")),
            std::make_pair(413, std::string("payload_too_large")));
  EXPECT_EQ(status(HttpEvent("GET", "q=colour:red&syntax=full", nullptr)),
            std::make_pair(400, std::string("invalid_argument")));
  EXPECT_EQ(status(Json{{"httpMethod", "GET"}, {"path", "/"}}),
            std::make_pair(400, std::string("invalid_argument")));
}

TEST(LambdaEvent, DirectInvocation) {
  const LambdaReply ok =
      HandleLambdaEvent(CatalogueIndex(), R"({"query": "peanut butter", "k": 3})");
  EXPECT_FALSE(ok.is_error);
  EXPECT_EQ(Json::parse(ok.payload)["total"], 97);

  const LambdaReply bad = HandleLambdaEvent(CatalogueIndex(), R"({"query": "x", "k": -1})");
  EXPECT_FALSE(bad.is_error);
  EXPECT_EQ(Json::parse(bad.payload)["error"]["code"], "invalid_argument");

  const LambdaReply garbage = HandleLambdaEvent(CatalogueIndex(), "{oops");
  EXPECT_TRUE(garbage.is_error);
  EXPECT_EQ(garbage.error_type, "Runtime.UnmarshalError");
  const Json payload = Json::parse(LambdaErrorPayload(garbage.error_type, garbage.payload));
  EXPECT_EQ(payload["errorType"], "Runtime.UnmarshalError");
  EXPECT_TRUE(payload["stackTrace"].is_array());

  // Nesting is refused as the parser reaches the limit, never recursed into.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string& event :
       {R"({"query": "x", "junk": )" + deep + "}",
        R"({"version": "2.0", "requestContext": {"http": {"method": "POST"}}, "x": )" + deep + "}",
        std::string(R"({"k": 1e400})")}) {
    const LambdaReply r = HandleLambdaEvent(CatalogueIndex(), event);
    EXPECT_TRUE(r.is_error);
    EXPECT_EQ(r.error_type, "Runtime.UnmarshalError");
    EXPECT_LT(r.payload.size(), 300u);
  }
  EXPECT_EQ(HandleLambdaEvent(CatalogueIndex(), R"({"query": "x", "junk": )" + deep + "}").payload,
            "Unable to unmarshal input: the event nests deeper than 64 levels ([] and {}) at byte "
            "offset 86");
}

TEST(LambdaEvent, Helpers) {
  EXPECT_EQ(Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(Base64Decode("aGVsbG8"), "hello");
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_FALSE(Base64Decode("a"));
  EXPECT_FALSE(Base64Decode("aGV sbG8="));
}

}  // namespace
}  // namespace libsearch
