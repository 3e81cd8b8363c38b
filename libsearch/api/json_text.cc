#include "api/json_text.h"

#include <nlohmann/json.hpp>
#include <string>

namespace libsearch {

std::string JsonQuote(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace libsearch
