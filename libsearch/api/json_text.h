// JSON text helpers shared by the JSON model's readers and writers
// (libsearch/json.h, lambda_event.h, updates.h).
#pragma once

#include <string>
#include <string_view>

namespace libsearch {

// `s` as a JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD.
std::string JsonQuote(std::string_view s);

// The member `key` of a JSON object (an nlohmann json type), or null if
// `object` is not an object or has no such member.
template <typename Json>
const Json* Member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// The member `key` if it is a string, else "".
template <typename Json>
std::string StringMember(const Json& object, const char* key) {
  const Json* v = Member(object, key);
  return v != nullptr && v->is_string() ? v->template get<std::string>() : std::string();
}

}  // namespace libsearch
