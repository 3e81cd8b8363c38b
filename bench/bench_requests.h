// The sharded benchmarks' requests and statistics (sharded_bench.cc,
// fan_out_bench.cc): words of the first product names, requests of 1-2
// words, a third with a facet, a fifth sorted, a fifth with typos.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "libsearch/index.h"

namespace bench {

using Clock = std::chrono::steady_clock;

inline double Us(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

inline double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Words of the first product names; requests of 1-2 words, a third with a
// facet, a fifth sorted, a fifth with typos.
inline std::vector<libsearch::SearchRequest> Requests(const std::string& jsonl, size_t n) {
  std::ifstream in(jsonl);
  std::vector<std::string> words;
  std::string line;
  while (words.size() < 5000 && std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("product_name") || !j["product_name"].is_string()) continue;
    std::string w;
    for (char c : j["product_name"].get<std::string>() + " ") {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else {
        if (w.size() >= 4) words.push_back(w);
        w.clear();
      }
    }
  }
  std::mt19937 rng(23);
  std::vector<libsearch::SearchRequest> out;
  for (size_t i = 0; i < n && !words.empty(); ++i) {
    libsearch::SearchRequest req;
    req.query = words[rng() % words.size()];
    if (rng() % 2) req.query += " " + words[rng() % words.size()];
    req.default_operator = rng() % 2 ? libsearch::Operator::kOr : libsearch::Operator::kAnd;
    if (rng() % 3 == 0) req.facets.push_back({"country", 5, {}, false});
    if (rng() % 5 == 0) req.sort = {{"sugars_100g", false}};
    req.typos = rng() % 5 == 0;
    req.include_docs = false;
    out.push_back(std::move(req));
  }
  return out;
}

}  // namespace bench
