// A model of a live index's documents in index order, for differential
// tests (tests/live, tests/sharded_*): an upsert moves a doc to the end; an
// in-place `_set` (Replace) changes it where it is. Lines() is the input of
// the fresh single build the index must search like.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace libsearch::testing {

// The live documents in index order: id -> doc, and the order. Ids are
// the documents' "barcode" (the bundled catalogue's id field).
class DocOrderModel {
 public:
  void Upsert(const nlohmann::json& doc) {
    const std::string id = doc["barcode"].get<std::string>();
    Remove(id);
    order_[++clock_] = id;
    docs_[id] = {doc, clock_};
  }
  // The doc changes where it is.
  void Replace(const nlohmann::json& doc) {
    docs_.at(doc["barcode"].get<std::string>()).first = doc;
  }
  void Remove(const std::string& id) {
    const auto it = docs_.find(id);
    if (it == docs_.end()) return;
    order_.erase(it->second.second);
    docs_.erase(it);
  }
  bool Has(const std::string& id) const { return docs_.count(id) > 0; }
  const nlohmann::json& Get(const std::string& id) const { return docs_.at(id).first; }
  std::string RandomId(std::mt19937& rng) const {
    auto it = order_.begin();
    std::advance(it, static_cast<long>(rng() % order_.size()));
    return it->second;
  }
  size_t size() const { return docs_.size(); }
  const std::string& LastId() const { return order_.rbegin()->second; }
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    for (const auto& [t, id] : order_) lines.push_back(docs_.at(id).first.dump());
    return lines;
  }

 private:
  uint64_t clock_ = 0;
  std::map<uint64_t, std::string> order_;                            // Position -> id.
  std::map<std::string, std::pair<nlohmann::json, uint64_t>> docs_;  // id -> (doc, position).
};

}  // namespace libsearch::testing
