// The Lambda event adapter (libsearch/lambda_event.h) against the small
// catalogue: the input is an event. Checked: an event that is not JSON is a
// Runtime.UnmarshalError, anything else a JSON payload; an HTTP event's
// reply is an envelope whose body is JSON; Base64Decode never fails on what
// a standard encoder writes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "libsearch/lambda_event.h"

namespace libsearch::fuzz {
namespace {

std::string Base64Encode(std::string_view in) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

void Run(std::string_view event) {
  const LambdaReply reply = HandleLambdaEvent(*OpenSmallIndex(), event);
  if (reply.is_error) {
    FUZZ_CHECK(reply.error_type == "Runtime.UnmarshalError", reply.error_type);
    FUZZ_CHECK(!IsJson(event), "a JSON event was refused: " + reply.payload);
  } else {
    FUZZ_CHECK(IsJson(reply.payload), "invalid payload: " + reply.payload);
    const auto payload = nlohmann::json::parse(reply.payload);
    if (payload.is_object() && payload.contains("statusCode")) {
      FUZZ_CHECK(payload.contains("body") && payload["body"].is_string(), reply.payload);
      FUZZ_CHECK(IsJson(payload["body"].get<std::string>()), reply.payload);
    }
  }
  const std::optional<std::string> decoded = Base64Decode(Base64Encode(event));
  FUZZ_CHECK(decoded.has_value() && *decoded == event, "base64 round trip");
}

}  // namespace
}  // namespace libsearch::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  libsearch::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
